using Redoubt.Graph.Algorithms;
using Redoubt.Graph.Engine;

namespace Redoubt.Perf.Graph;

// The engine's choke points as it was at commit 62a139c (before the branch graphspeed), kept so the
// bench times before and after in the same run on the same snapshot and checks they answer alike.
// Do not use elsewhere.

/// <summary>
/// Choke points by Brandes' dependency accumulation, restricted to target nodes: from each source a
/// Dijkstra counts the cheapest paths to every node (σ); walking back from the targets in reverse
/// settle order gives each node and step the fraction of cheapest source→target paths through it.
/// A Dijkstra stops once every target is settled. O(sources · E log V) at worst, budgeted; a budget
/// cut reports the sources done so far.
/// </summary>
public static class ChokePointsBefore
{
    public static ChokePointsResult Run(GraphSnapshot g, PathEnds ends, int top, in EdgeFilter filter, QueryBudget budget)
    {
        var nodeScore = new Dictionary<int, double>();
        var stepScore = new Dictionary<int, double>();
        var pairs = 0;
        var done = 0;
        using var s = Scratch.Rent(g.NodeCount);
        foreach (var t in ends.Targets) s.Targets.Add(t);
        var targetCount = ends.Targets.Distinct().Count();
        var sigma = s.Real;
        var delta = s.Real2;
        var dist = s.Dist;
        var seenSources = new HashSet<int>();
        var sourceCount = ends.Sources.Select(x => x.Node).Distinct().Count();
        foreach (var (source, _) in ends.Sources)
        {
            if (!seenSources.Add(source)) continue;
            if (budget.Exhausted) break;
            s.NextSearch(g.NodeCount);
            var order = s.ListA;
            order.Clear();
            var remaining = targetCount - (s.Targets.Contains(source) ? 1 : 0);
            s.Touched.Add(source);
            dist[source] = 0;
            sigma[source] = 1;
            s.Heap.Enqueue(source, 0);
            var complete = true;
            while (s.Heap.TryDequeue(out var v, out var d))
            {
                if (s.Settled.Contains(v) || d != dist[v]) continue;
                if (!budget.Spend()) { complete = false; break; }
                s.Settled.Add(v);
                order.Add(v);
                if (v != source && s.Targets.Contains(v) && --remaining == 0) break;
                var seen = 0;
                foreach (var step in g.AttackSteps(v, filter))
                {
                    seen++;
                    var w = step.Peer;
                    if (s.Settled.Contains(w)) continue;
                    var nd = d + step.Cost;
                    if (s.Touched.Add(w) || nd < dist[w])
                    {
                        dist[w] = nd;
                        sigma[w] = sigma[v];
                        s.Heap.Enqueue(w, nd);
                    }
                    else if (nd == dist[w]) sigma[w] += sigma[v];
                }
                if (!budget.Spend(seen)) { complete = false; break; }
            }
            if (!complete) break; // a half-explored source would skew the counts: leave it out
            done++;

            foreach (var v in order) delta[v] = 0;
            for (var i = order.Count - 1; i >= 0; i--)
            {
                var w = order[i];
                var isTarget = w != source && s.Targets.Contains(w);
                if (isTarget) pairs++;
                var coefficient = (isTarget ? 1.0 : 0.0) + delta[w];
                if (w != source && delta[w] > 0) nodeScore[w] = nodeScore.GetValueOrDefault(w) + delta[w];
                if (coefficient == 0 || !g.Costs.CanEnter(g.Kind(w))) continue;
                // Steps into w that lie on a cheapest path: a forward step along an in-edge, or a reverse step against an out-edge.
                var costs = g.Costs;
                foreach (var a in g.In(w)) // whole runs: they put reverse steps first, not these
                {
                    var c = costs.Forward[(int)a.Type];
                    if (c == 0 || !filter.Allows(g, a)) continue;
                    if (costs.ForwardExploit[(int)a.Type]) c += g.ExploitCost(w);
                    Credit(a.Peer, Step.Of(a.Edge, false), c);
                }
                foreach (var a in g.Out(w))
                {
                    var c = costs.Reverse[(int)a.Type];
                    if (c == 0 || !filter.Allows(g, a)) continue;
                    if (costs.ReverseExploit[(int)a.Type]) c += g.ExploitCost(w);
                    Credit(a.Peer, Step.Of(a.Edge, true), c);
                }

                void Credit(int u, int step, int cost)
                {
                    if (!s.Settled.Contains(u) || dist[u] + cost != dist[w]) return;
                    var share = sigma[u] / sigma[w] * coefficient;
                    delta[u] += share;
                    stepScore[step] = stepScore.GetValueOrDefault(step) + share;
                }
            }
        }
        return new ChokePointsResult(Top(nodeScore, top), Top(stepScore, top), pairs, done, sourceCount, budget.Hit, budget.Visits);
    }

    private static List<Crossing> Top(Dictionary<int, double> scores, int top)
    {
        var list = new List<Crossing>(scores.Count);
        foreach (var (id, score) in scores) list.Add(new Crossing(id, Math.Round(score, 9)));
        list.Sort((a, b) => b.Paths != a.Paths ? b.Paths.CompareTo(a.Paths) : a.Id.CompareTo(b.Id));
        if (list.Count > top) list.RemoveRange(top, list.Count - top);
        return list;
    }
}

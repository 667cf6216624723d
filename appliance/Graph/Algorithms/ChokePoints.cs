using Redoubt.Graph.Engine;

namespace Redoubt.Graph.Algorithms;

public readonly record struct Crossing(int Id, double Paths);

/// <summary>
/// Nodes and steps ranked by how many (source, target) pairs' cheapest attack paths cross them;
/// where a pair has several equally cheap paths, each counts for its share. Pairs = the (source,
/// target) pairs with a path at all.
/// </summary>
public sealed record ChokePointsResult(IReadOnlyList<Crossing> Nodes, IReadOnlyList<Crossing> Steps, int Pairs, int SourcesDone, int SourcesTotal, BudgetHit Truncated, long Visits);

/// <summary>
/// Choke points by Brandes' dependency accumulation, restricted to target nodes: from each source a
/// search counts the cheapest paths to every node (σ); walking back from the targets in reverse
/// settle order gives each node and step the fraction of cheapest source→target paths through it.
/// O(sources · E log V) at worst, budgeted; a budget cut reports the sources done so far.
/// Each search is A* towards the nearest target (<see cref="Guide"/>, shared by all sources) and
/// stops once every target is settled: it settles nodes by cost so far plus the least still to pay,
/// so it settles only the nodes that could lie on a cheapest path to the farthest target, not every
/// node cheaper than it (a few hundred instead of tens of thousands on the bench's enterprise).
/// Equal estimates settle the cheaper-so-far node first, so a node's predecessors on its cheapest
/// paths are settled before it and σ is complete when it is settled. The search remembers, for each
/// node, the steps into it that lie on a cheapest path, so the walk back follows those alone.
/// </summary>
public static class ChokePoints
{
    public static ChokePointsResult Run(GraphSnapshot g, PathEnds ends, int top, in EdgeFilter filter, QueryBudget budget)
    {
        var nodeScore = new Dictionary<int, double>();
        var stepScore = new Dictionary<int, double>();
        var pairs = 0;
        var done = 0;
        using var s = Scratch.Rent(g.NodeCount);
        foreach (var t in ends.Targets) s.Targets.Add(t);
        var sigma = s.Real;
        var delta = s.Real2;
        var dist = s.Dist;
        var predHead = s.NodeA;
        var preds = new Predecessors();
        using var guide = new Guide(g, ends.Targets, filter, budget);
        var heap = new PriorityQueue<int, (long Estimate, long Cost)>();
        var targetCount = ends.Targets.Distinct().Count();
        var seenSources = new HashSet<int>();
        var sourceCount = ends.Sources.Select(x => x.Node).Distinct().Count();
        foreach (var (source, _) in ends.Sources)
        {
            if (!seenSources.Add(source)) continue;
            if (budget.Exhausted) break;
            s.NextSearch(g.NodeCount);
            preds.Clear();
            var order = s.ListA;
            order.Clear();
            s.Touched.Add(source);
            dist[source] = 0;
            sigma[source] = 1;
            predHead[source] = -1;
            heap.Clear();
            heap.Enqueue(source, (0, 0));
            var remaining = targetCount - (s.Targets.Contains(source) ? 1 : 0);
            if (!Search(g, s, heap, guide, filter, source, remaining, preds, budget)) break; // a half-explored source would skew the counts: leave it out
            done++;

            foreach (var v in order) delta[v] = 0;
            for (var i = order.Count - 1; i >= 0; i--)
            {
                var w = order[i];
                var isTarget = w != source && s.Targets.Contains(w);
                if (isTarget) pairs++;
                var coefficient = (isTarget ? 1.0 : 0.0) + delta[w];
                if (w != source && delta[w] > 0) nodeScore[w] = nodeScore.GetValueOrDefault(w) + delta[w];
                if (coefficient == 0) continue;
                // The steps into w that lie on a cheapest path, from nodes settled before it.
                for (var p = predHead[w]; p >= 0; p = preds.Next[p])
                {
                    var u = preds.Node[p];
                    var share = sigma[u] / sigma[w] * coefficient;
                    delta[u] += share;
                    stepScore[preds.Step[p]] = stepScore.GetValueOrDefault(preds.Step[p]) + share;
                }
            }
        }
        return new ChokePointsResult(Top(nodeScore, top), Top(stepScore, top), pairs, done, sourceCount, budget.Hit, budget.Visits);
    }

    /// <summary>
    /// A* from the seeded source until <paramref name="remaining"/> targets are settled (or none is
    /// left to settle): distances in s.Dist, path counts in s.Real, settle order in s.ListA, and per
    /// node (s.NodeA) its list of steps on a cheapest path. False when the budget cut it short.
    /// </summary>
    private static bool Search(GraphSnapshot g, Scratch s, PriorityQueue<int, (long Estimate, long Cost)> heap, Guide guide, in EdgeFilter filter,
        int source, int remaining, Predecessors preds, QueryBudget budget)
    {
        var dist = s.Dist;
        var order = s.ListA;
        var b = g.Edges.Base;
        var costs = g.Costs;
        var exploit = g.Nodes.ExploitCost;
        var checkEdges = filter.TypeMask != uint.MaxValue || filter.HasWindow;
        var hasDelta = g.Edges.Delta.Count > 0;
        while (heap.TryDequeue(out var v, out var key))
        {
            var d = key.Cost;
            if (d != dist[v] || s.Settled.Contains(v)) continue;
            // The guide's bound may have risen since the node was queued (see LabelSearch): learn just
            // enough to tell whether it still comes first, then queue it again if it does not.
            var h = guide.Bound(v);
            if (h != Guide.Unreachable && !guide.IsExact(v))
            {
                guide.Extend(v, (heap.TryPeek(out _, out var next) ? next.Estimate : long.MaxValue) - d);
                h = guide.Bound(v);
            }
            if (h == Guide.Unreachable) continue; // no target is reachable from it: on no path that counts
            if (d + h > key.Estimate)
            {
                heap.Enqueue(v, (d + h, d));
                continue;
            }
            s.Settled.Add(v);
            if (!budget.Spend()) return false;
            order.Add(v);
            if (v != source && s.Targets.Contains(v) && --remaining == 0) return true;
            var seen = 0;
            if (v < b.NodeCount)
            {
                // The compacted runs list a node's attack steps first: forward along its out-run, reverse along its in-run.
                var from = b.OutOffsets[v];
                var end = from + b.OutSteps[v];
                for (var i = from; i < end; i++)
                {
                    int t = b.Type[i];
                    if (checkEdges && !Allowed(b, filter, t, i)) continue;
                    var w = b.OutTarget[i];
                    Relax(s, heap, guide, preds, v, w, d + costs.Forward[t] + (costs.ForwardExploit[t] ? exploit[w] : 0), i << 1);
                }
                var inFrom = b.InOffsets[v];
                var inEnd = inFrom + b.InSteps[v];
                for (var i = inFrom; i < inEnd; i++)
                {
                    int t = b.InType[i];
                    var e = b.InEdge[i];
                    if (checkEdges && !Allowed(b, filter, t, e)) continue;
                    var w = b.InSource[i];
                    Relax(s, heap, guide, preds, v, w, d + costs.Reverse[t] + (costs.ReverseExploit[t] ? exploit[w] : 0), (e << 1) | 1);
                }
                seen = end - from + inEnd - inFrom;
            }
            if (hasDelta)
            {
                // Delta edges (not yet compacted) are neither sorted nor checked for the kind they enter.
                foreach (var a in g.DeltaOut(v))
                {
                    seen++;
                    var c = costs.Forward[(int)a.Type];
                    if (c == 0 || !costs.Enterable[(int)g.Kind(a.Peer)] || !filter.Allows(g, a)) continue;
                    Relax(s, heap, guide, preds, v, a.Peer, d + c + (costs.ForwardExploit[(int)a.Type] ? exploit[a.Peer] : 0), Step.Of(a.Edge, false));
                }
                foreach (var a in g.DeltaIn(v))
                {
                    seen++;
                    var c = costs.Reverse[(int)a.Type];
                    if (c == 0 || !costs.Enterable[(int)g.Kind(a.Peer)] || !filter.Allows(g, a)) continue;
                    Relax(s, heap, guide, preds, v, a.Peer, d + c + (costs.ReverseExploit[(int)a.Type] ? exploit[a.Peer] : 0), Step.Of(a.Edge, true));
                }
            }
            guide.Earn(seen + 1);
            if (!budget.Spend(seen)) return false;
        }
        return true;
    }

    private static void Relax(Scratch s, PriorityQueue<int, (long Estimate, long Cost)> heap, Guide guide, Predecessors preds, int v, int w, long nd, int step)
    {
        if (s.Settled.Contains(w)) return;
        if (s.Touched.Add(w) || nd < s.Dist[w])
        {
            s.Dist[w] = nd;
            s.Real[w] = s.Real[v];
            s.NodeA[w] = preds.Add(v, step, -1); // a cheaper way: the ones found before are not cheapest
            var h = guide.Bound(w);
            if (h != Guide.Unreachable) heap.Enqueue(w, (nd + h, nd)); // else no target is reachable from it
        }
        else if (nd == s.Dist[w])
        {
            s.Real[w] += s.Real[v];
            s.NodeA[w] = preds.Add(v, step, s.NodeA[w]);
        }
    }

    private static bool Allowed(EdgeBase b, in EdgeFilter f, int type, int edge) =>
        ((f.TypeMask >> type) & 1) != 0
        && (!f.HasWindow || (b.LastSeen[edge] >= f.FromMs && b.FirstSeen[edge] <= f.ToMs));

    private static List<Crossing> Top(Dictionary<int, double> scores, int top)
    {
        var list = new List<Crossing>(scores.Count);
        foreach (var (id, score) in scores) list.Add(new Crossing(id, Math.Round(score, 9)));
        list.Sort((a, b) => b.Paths != a.Paths ? b.Paths.CompareTo(a.Paths) : a.Id.CompareTo(b.Id));
        if (list.Count > top) list.RemoveRange(top, list.Count - top);
        return list;
    }

    /// <summary>Steps into a node on a cheapest path to it, as linked lists: the node they come from, the step, the next entry.</summary>
    private sealed class Predecessors
    {
        public int[] Node = new int[1024];
        public int[] Step = new int[1024];
        public int[] Next = new int[1024];
        private int _count;

        public void Clear() => _count = 0;

        public int Add(int node, int step, int next)
        {
            if (_count == Node.Length)
            {
                Array.Resize(ref Node, _count * 2);
                Array.Resize(ref Step, _count * 2);
                Array.Resize(ref Next, _count * 2);
            }
            (Node[_count], Step[_count], Next[_count]) = (node, step, next);
            return _count++;
        }
    }
}

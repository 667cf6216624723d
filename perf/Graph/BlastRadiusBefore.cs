using Redoubt.Graph.Engine;

using Redoubt.Graph.Algorithms;

namespace Redoubt.Perf.Graph;

/// <summary>
/// The engine's blast radius as it was before the rewrite of 2026-12-04 (commit de168eb), kept so
/// the bench measures before and after in the same run on the same snapshot. Do not use elsewhere.
/// Everything an attacker holding the start nodes can reach over attack steps within a hop limit,
/// cheapest first, each with its cheapest path. Exact, by hop-layered Bellman-Ford: layer h holds the
/// cheapest cost of every node over at most h steps, relaxed only from the nodes that improved in
/// layer h-1 (their improvements over the layers are exactly the Pareto front of cost and hops). No
/// priority queue: flat arrays and two frontiers, which is what keeps a 6-hop radius over a large
/// part of the graph fast. A node's records (one per layer it improved in) chain back to the start.
/// A result limit keeps the cheapest nodes; a time or work budget stops between or inside layers, and
/// then the nodes found may not yet show their cheapest cost.
/// </summary>
public static class BlastRadiusBefore
{
    public static BlastRadiusResult Run(GraphSnapshot g, IReadOnlyList<int> starts, int maxHops, long? maxCost, in EdgeFilter filter, QueryBudget budget)
    {
        if (maxHops is < 1 or > LabelSearch.MaxHopLimit) throw new ArgumentOutOfRangeException(nameof(maxHops), $"a hop limit is 1..{LabelSearch.MaxHopLimit}");
        var limit = maxCost ?? long.MaxValue;
        using var s = Scratch.Rent(g.NodeCount);
        var records = s.Labels;            // records: node, cost, layer (Hops), previous record, step
        var best = s.Dist;                 // per touched node: its cheapest cost so far
        var latest = s.NodeB;              // per touched node: its latest record
        var firstLayer = s.NodeA;          // per touched node: the layer it was first reached in
        var frontier = s.ListA;
        var next = s.ListB;
        foreach (var v in starts)
        {
            if (!s.Touched.Add(v)) continue;
            best[v] = 0;
            firstLayer[v] = 0;
            latest[v] = records.Add(v, 0, 0, -1, -1, -1);
            frontier.Add(latest[v]);
        }
        for (var layer = 1; layer <= maxHops && frontier.Count > 0 && !budget.Exhausted; layer++)
        {
            next.Clear();
            foreach (var r in frontier)
            {
                // Relax from the record as it stood after the previous layer (never changed in this one).
                var u = records.Node[r];
                var cost = records.Cost[r];
                var seen = 0;
                foreach (var step in g.AttackSteps(u, filter))
                {
                    seen++;
                    var v = step.Peer;
                    var nc = cost + step.Cost;
                    if (nc > limit) continue;
                    if (s.Touched.Add(v)) { firstLayer[v] = layer; latest[v] = -1; }
                    else if (best[v] <= nc) continue;
                    best[v] = nc;
                    var lv = latest[v];
                    if (lv >= 0 && records.Hops[lv] == layer)
                    {
                        // Improved again within this layer: the layer keeps one record, the cheapest.
                        records.Cost[lv] = nc;
                        records.Prev[lv] = r;
                        records.Step[lv] = step.Step;
                    }
                    else
                    {
                        latest[v] = records.Add(v, nc, layer, r, step.Step, -1);
                        next.Add(latest[v]);
                    }
                }
                if (!budget.Spend(seen + 1)) break;
            }
            (frontier, next) = (next, frontier);
        }
        return Collect(g, s, starts, budget);
    }

    private static BlastRadiusResult Collect(GraphSnapshot g, Scratch s, IReadOnlyList<int> starts, QueryBudget budget)
    {
        var records = s.Labels;
        // Each touched node's latest record is its cheapest; list the nodes cheapest first.
        var reached = new List<(int Node, long Cost, int Hops, int MinHops, int Record)>();
        var startSet = new HashSet<int>(starts);
        for (var r = 0; r < records.Count; r++)
        {
            var v = records.Node[r];
            if (s.NodeB[v] != r || startSet.Contains(v)) continue;
            reached.Add((v, records.Cost[r], records.Hops[r], s.NodeA[v], r));
        }
        reached.Sort((a, b) => a.Cost != b.Cost ? a.Cost.CompareTo(b.Cost) : a.Hops != b.Hops ? a.Hops.CompareTo(b.Hops) : a.Node.CompareTo(b.Node));
        if (reached.Count > budget.MaxResults)
        {
            reached.RemoveRange(budget.MaxResults, reached.Count - budget.MaxResults);
            budget.ResultsFull();
        }

        var exported = new Dictionary<int, int>();
        var node = new List<int>();
        var step = new List<int>();
        var parent = new List<int>();
        var cost = new List<long>();
        var result = new List<ReachedNode>(reached.Count);
        foreach (var x in reached) result.Add(new ReachedNode(x.Node, x.Cost, x.Hops, x.MinHops, Export(x.Record)));
        return new BlastRadiusResult(starts, result, new PathTree([.. node], [.. step], [.. parent], [.. cost]), budget.Hit, budget.Visits);

        int Export(int r)
        {
            if (exported.TryGetValue(r, out var done)) return done;
            var p = records.Prev[r] >= 0 ? Export(records.Prev[r]) : -1;
            var i = node.Count;
            node.Add(records.Node[r]);
            step.Add(records.Step[r]);
            parent.Add(p);
            cost.Add(records.Cost[r]);
            exported[r] = i;
            return i;
        }
    }
}

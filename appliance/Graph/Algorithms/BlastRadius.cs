using Redoubt.Graph.Engine;

namespace Redoubt.Graph.Algorithms;

/// <summary>A node inside the blast radius: cheapest cost to reach it within the hop limit, the hops of that cheapest path, and the fewest hops any path within the limit needs.</summary>
public readonly record struct ReachedNode(int Node, long Cost, int Hops, int MinHops, int TreeIndex);

/// <summary>
/// The cheapest paths of a blast radius, as a tree of steps shared between them (a path is a walk
/// up from its node's entry); small however many nodes were reached.
/// </summary>
public sealed class PathTree(int[] node, int[] step, int[] parent, long[] cost)
{
    public GraphPath PathTo(int index)
    {
        var hops = 0;
        for (var i = index; parent[i] >= 0; i = parent[i]) hops++;
        var nodes = new int[hops + 1];
        var steps = new int[hops];
        var k = hops;
        for (var i = index; ; i = parent[i])
        {
            nodes[k] = node[i];
            if (parent[i] < 0) break;
            steps[--k] = step[i];
        }
        return new GraphPath(nodes, steps, cost[index], 0);
    }

    /// <summary>The step into this entry and the entry it came from (-1 at a start).</summary>
    public (int Step, int Parent) Via(int index) => (step[index], parent[index]);
}

public sealed record BlastRadiusResult(IReadOnlyList<int> Starts, IReadOnlyList<ReachedNode> Reached, PathTree Tree, BudgetHit Truncated, long Visits);

/// <summary>
/// Everything an attacker holding the start nodes can reach over attack steps within a hop limit,
/// cheapest first, each with its cheapest path. Exact: the label search keeps every (cost, hops)
/// Pareto-optimal way to a node, so a dearer path that is shorter still extends as far as it can.
/// A budget cut keeps the cheapest nodes found, each one's cost final.
/// </summary>
public static class BlastRadius
{
    public static BlastRadiusResult Run(GraphSnapshot g, IReadOnlyList<int> starts, int maxHops, long? maxCost, in EdgeFilter filter, QueryBudget budget)
    {
        if (maxHops is < 1 or > LabelSearch.MaxHopLimit) throw new ArgumentOutOfRangeException(nameof(maxHops), $"a hop limit is 1..{LabelSearch.MaxHopLimit}");
        using var s = Scratch.Rent(g.NodeCount);
        // Starts count among the settled, so allow for them in the result budget.
        var spec = LabelSearch.Spec.For(maxHops, filter) with
        {
            MaxSettled = SaturatingAdd(budget.MaxResults, starts.Count),
            MaxCost = maxCost ?? long.MaxValue,
        };
        foreach (var node in starts) LabelSearch.Seed(s, spec, node, 0);
        LabelSearch.Run(g, s, spec, budget);
        return Collect(g, s, starts, budget);
    }

    private static int SaturatingAdd(int a, int b) => (int)Math.Min(int.MaxValue, (long)a + b);

    private static BlastRadiusResult Collect(GraphSnapshot g, Scratch s, IReadOnlyList<int> starts, QueryBudget budget)
    {
        var labels = s.Labels;
        var exported = new Dictionary<int, int>();
        var node = new List<int>();
        var step = new List<int>();
        var parent = new List<int>();
        var cost = new List<long>();
        var reached = new List<ReachedNode>(s.ListA.Count);
        var startSet = new HashSet<int>(starts);
        foreach (var v in s.ListA)
        {
            var l = s.NodeA[v];
            var index = Export(l);
            if (startSet.Contains(v)) continue;
            var minHops = int.MaxValue;
            for (var i = s.NodeB[v]; i >= 0; i = labels.NextOfNode[i]) minHops = Math.Min(minHops, labels.Hops[i]);
            reached.Add(new ReachedNode(v, labels.Cost[l], labels.Hops[l], minHops, index));
        }
        return new BlastRadiusResult(starts, reached, new PathTree([.. node], [.. step], [.. parent], [.. cost]), budget.Hit, budget.Visits);

        int Export(int l)
        {
            if (exported.TryGetValue(l, out var done)) return done;
            var p = labels.Prev[l] >= 0 ? Export(labels.Prev[l]) : -1;
            var i = node.Count;
            node.Add(labels.Node[l]);
            step.Add(labels.Step[l]);
            parent.Add(p);
            cost.Add(labels.Cost[l]);
            exported[l] = i;
            return i;
        }
    }
}

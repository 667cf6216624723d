using Redoubt.Graph.Algorithms;
using Redoubt.Graph.Engine;
using Redoubt.Tests.Graph.Reference;

namespace Redoubt.Tests.Graph.Algorithms;

/// <summary>Checks an engine path against the reference graph, step by step.</summary>
internal static class PathChecks
{
    /// <summary>The reference edge index an engine edge id stands for.</summary>
    public static int RefEdgeOf(GraphSnapshot g, ReferenceGraph r, int edge)
    {
        var v = g.Edge(edge);
        var i = r.Edges.ToList().FindIndex(e => e.Source == v.Source && e.Type == v.Type && e.Target == v.Target);
        Assert.True(i >= 0, $"engine edge {v} is not in the reference graph");
        return i;
    }

    /// <summary>Asserts the path is a simple walk over allowed attack steps whose cost adds up; returns the reference cost without entry.</summary>
    public static long AssertValid(GraphSnapshot g, ReferenceGraph r, GraphPath p, EdgeFilter filter, int? maxHops)
    {
        Assert.Equal(p.Nodes.Length, p.Steps.Length + 1);
        Assert.Equal(p.Nodes.Length, p.Nodes.Distinct().Count());
        if (maxHops is { } h) Assert.True(p.Hops <= h, $"{p.Hops} hops over the limit {h}");
        long cost = 0;
        for (var i = 0; i < p.Steps.Length; i++)
        {
            var refEdge = RefEdgeOf(g, r, Step.Edge(p.Steps[i]));
            var reverse = Step.IsReverse(p.Steps[i]);
            var options = r.Steps(p.Nodes[i], filter).Where(s => s.Edge == refEdge && s.Reverse == reverse && s.To == p.Nodes[i + 1]).ToList();
            Assert.True(options.Count == 1, $"step {i} of {string.Join("→", p.Nodes)} is not an allowed attack step");
            cost += options[0].Cost;
        }
        Assert.Equal(p.Cost - p.EntryCost, cost);
        return cost;
    }
}

using System.Text;
using Redoubt.Graph.Algorithms;
using Redoubt.Graph.Engine;
using Redoubt.Storage.Graph;

namespace Redoubt.Tests.Graph.Reference;

public sealed record RefNode(NodeKind Kind, NodeFlags Flags, double? Cvss);

public sealed record RefEdge(int Source, EdgeType Type, int Target, long FirstMs, long LastMs);

/// <summary>One attack step in the reference: along (or against) edge Edge (an index into Edges), to node To.</summary>
public readonly record struct RefStep(int Edge, bool Reverse, int To, long Cost);

public sealed record RefPath(int[] Nodes, RefStep[] Steps, long Cost)
{
    public int Hops => Steps.Length;
}

/// <summary>
/// The obvious, slow version of the graph, written without the engine's data structures: a node and
/// edge list, costs recomputed from the model's published rules, and every simple path enumerated
/// by depth-first search. The algorithms are checked against it on small random graphs.
/// </summary>
public sealed class ReferenceGraph(IReadOnlyList<RefNode> nodes, IReadOnlyList<RefEdge> edges, AttackCostModel costs)
{
    public IReadOnlyList<RefNode> Nodes { get; } = nodes;
    /// <summary>Distinct by (source, type, target): the engine merges repeats into one edge.</summary>
    public IReadOnlyList<RefEdge> Edges { get; } = edges;
    public AttackCostModel Costs { get; } = costs;

    public long Exploit(int v)
    {
        if (!AttackCostModel.IsExploitable(Nodes[v].Kind)) return 0;
        long best = Costs.NoVulnerability;
        foreach (var e in Edges)
            if (e.Source == v && e.Type == EdgeType.HasVulnerability)
                best = Math.Min(best, Costs.VulnerabilityCost(Nodes[e.Target].Cvss, (Nodes[e.Target].Flags & NodeFlags.KnownExploited) != 0));
        return best;
    }

    private static bool InWindow(RefEdge e, in EdgeFilter f) =>
        f.AllowsType(e.Type) && e.LastMs >= f.FromMs && e.FirstMs <= f.ToMs;

    public IEnumerable<RefStep> Steps(int v, EdgeFilter filter)
    {
        for (var i = 0; i < Edges.Count; i++)
        {
            var e = Edges[i];
            if (!InWindow(e, filter)) continue;
            // No step enters a Software node (a package, not an instance).
            if (e.Source == v && Costs.StepBase(e.Type, false) > 0 && Nodes[e.Target].Kind != NodeKind.Software)
                yield return new RefStep(i, false, e.Target, Costs.StepBase(e.Type, false) + (Costs.StepAddsExploit(e.Type, false) ? Exploit(e.Target) : 0));
            if (e.Target == v && Costs.StepBase(e.Type, true) > 0 && Nodes[e.Source].Kind != NodeKind.Software)
                yield return new RefStep(i, true, e.Source, Costs.StepBase(e.Type, true) + (Costs.StepAddsExploit(e.Type, true) ? Exploit(e.Source) : 0));
        }
    }

    /// <summary>Every simple path from <paramref name="from"/> with at most <paramref name="maxHops"/> steps, the empty one included; costs start at <paramref name="entry"/>.</summary>
    public List<RefPath> SimplePaths(int from, int maxHops, EdgeFilter filter, long entry = 0)
    {
        var result = new List<RefPath>();
        var onPath = new bool[Nodes.Count];
        var nodes = new List<int> { from };
        var steps = new List<RefStep>();
        onPath[from] = true;
        Walk(from, entry);
        return result;

        void Walk(int v, long cost)
        {
            result.Add(new RefPath([.. nodes], [.. steps], cost));
            if (steps.Count == maxHops) return;
            foreach (var s in Steps(v, filter))
            {
                if (onPath[s.To]) continue;
                onPath[s.To] = true; nodes.Add(s.To); steps.Add(s);
                Walk(s.To, cost + s.Cost);
                onPath[s.To] = false; nodes.RemoveAt(nodes.Count - 1); steps.RemoveAt(steps.Count - 1);
            }
        }
    }

    public override string ToString()
    {
        var sb = new StringBuilder();
        for (var i = 0; i < Nodes.Count; i++) sb.Append($"n{i}:{Nodes[i].Kind}[{Nodes[i].Flags}]{(Nodes[i].Cvss is { } c ? $" cvss={c}" : "")} ");
        sb.AppendLine();
        foreach (var e in Edges) sb.Append($"n{e.Source}-{e.Type.Name()}->n{e.Target}@{e.FirstMs}..{e.LastMs} ");
        return sb.ToString();
    }
}

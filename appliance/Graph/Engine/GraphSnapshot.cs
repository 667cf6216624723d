using Redoubt.Storage.Graph;

namespace Redoubt.Graph.Engine;

/// <summary>An edge with its attributes as a reader sees it.</summary>
public readonly record struct EdgeView(int Id, int Source, EdgeType Type, int Target, long FirstSeenMs, long LastSeenMs, int Count);

/// <summary>
/// What one query reads: a consistent structure (the nodes and edges that existed when it was
/// published) over live attribute columns. Taking one is a field read; hold it for the whole query
/// and never across queries (an old snapshot keeps its compaction generation alive).
/// </summary>
public sealed class GraphSnapshot
{
    internal readonly NodeTable Nodes;
    internal readonly EdgeStore Edges;

    public int NodeCount { get; }
    public int EdgeCount { get; }
    /// <summary>Increases with every published write batch.</summary>
    public long Version { get; }
    public AttackCostModel Costs { get; }

    internal GraphSnapshot(NodeTable nodes, EdgeStore edges, int nodeCount, int edgeCount, long version, AttackCostModel costs)
    {
        Nodes = nodes;
        Edges = edges;
        NodeCount = nodeCount;
        EdgeCount = edgeCount;
        Version = version;
        Costs = costs;
    }

    public NodeKind Kind(int node) => (NodeKind)Nodes.Kind[node];
    public string Key(int node) => Nodes.Key[node];
    public NodeFlags Flags(int node) => Nodes.Flags[node];
    public Criticality Criticality(int node) => Nodes.Criticality[node];
    /// <summary>CVSS base score of a Vulnerability, or null when not known.</summary>
    public double? Cvss(int node) => Nodes.CvssTenths[node] is var t && t == NodeTable.NoCvss ? null : t / 10.0;
    public long FirstSeenMs(int node) => Nodes.FirstSeen[node];
    public long LastSeenMs(int node) => Nodes.LastSeen[node];
    public NodeExtras Extras(int node) => Nodes.Extras[node] ?? NodeExtras.Empty;
    /// <summary>Milli-cost of exploiting this node over the network (see <see cref="AttackCostModel"/>).</summary>
    public int ExploitCost(int node) => Nodes.ExploitCost[node];

    /// <summary>The node with exactly this kind and key in this snapshot.</summary>
    public bool TryFind(NodeKind kind, string key, out int node) =>
        Nodes.TryFind(kind, key, out node) && node < NodeCount;

    public AdjacencyEnumerator Out(int node) => Out(node, stepsOnly: false);

    public AdjacencyEnumerator In(int node) => In(node, stepsOnly: false);

    /// <summary>Out-edges that may be forward attack steps: the compacted ones that are, and every delta edge (callers still check the type).</summary>
    public AdjacencyEnumerator OutSteps(int node) => Out(node, stepsOnly: true);

    /// <summary>In-edges that may be reverse attack steps, as <see cref="OutSteps"/>.</summary>
    public AdjacencyEnumerator InSteps(int node) => In(node, stepsOnly: true);

    private AdjacencyEnumerator Out(int node, bool stepsOnly)
    {
        var b = Edges.Base;
        if (node < b.NodeCount)
        {
            var from = b.OutOffsets[node];
            var len = stepsOnly ? b.OutSteps[node] : b.OutOffsets[node + 1] - from;
            return new AdjacencyEnumerator(b.OutTarget.AsSpan(from, len), b.Type.AsSpan(from, len), default, from, Edges.Delta, true, node, EdgeCount);
        }
        return new AdjacencyEnumerator(default, default, default, 0, Edges.Delta, true, node, EdgeCount);
    }

    private AdjacencyEnumerator In(int node, bool stepsOnly)
    {
        var b = Edges.Base;
        if (node < b.NodeCount)
        {
            var from = b.InOffsets[node];
            var len = stepsOnly ? b.InSteps[node] : b.InOffsets[node + 1] - from;
            return new AdjacencyEnumerator(b.InSource.AsSpan(from, len), b.InType.AsSpan(from, len), b.InEdge.AsSpan(from, len), 0, Edges.Delta, false, node, EdgeCount);
        }
        return new AdjacencyEnumerator(default, default, default, 0, Edges.Delta, false, node, EdgeCount);
    }

    /// <summary>Only the delta (not yet compacted) out-edges of a node, for loops that read the compacted runs themselves.</summary>
    internal AdjacencyEnumerator DeltaOut(int node) => new(default, default, default, 0, Edges.Delta, true, node, EdgeCount);

    internal AdjacencyEnumerator DeltaIn(int node) => new(default, default, default, 0, Edges.Delta, false, node, EdgeCount);

    /// <summary>The node's compacted edges, both ways (delta edges not counted): what walking all its edges costs, roughly.</summary>
    internal int CompactedDegree(int node)
    {
        var b = Edges.Base;
        return node < b.NodeCount ? b.OutOffsets[node + 1] - b.OutOffsets[node] + b.InOffsets[node + 1] - b.InOffsets[node] : 0;
    }

    public int OutDegree(int node)
    {
        var n = 0;
        foreach (var _ in Out(node)) n++;
        return n;
    }

    public int InDegree(int node)
    {
        var n = 0;
        foreach (var _ in In(node)) n++;
        return n;
    }

    public EdgeType EdgeTypeOf(int edge) => (EdgeType)Edges.Type(edge);
    public int EdgeSource(int edge) => Edges.Source(edge);
    public int EdgeTarget(int edge) => Edges.Target(edge);
    public long EdgeFirstSeenMs(int edge) => Edges.FirstSeen(edge);
    public long EdgeLastSeenMs(int edge) => Edges.LastSeen(edge);

    public EdgeView Edge(int edge) => new(edge, Edges.Source(edge), (EdgeType)Edges.Type(edge), Edges.Target(edge),
        Edges.FirstSeen(edge), Edges.LastSeen(edge), Edges.Seen(edge));

    /// <summary>The evidence behind an edge, oldest first: the one that created it, then the most recent others (bounded).</summary>
    public Evidence[] EvidenceOf(int edge)
    {
        var first = Edges.FirstEvidence(edge);
        var extra = Edges.ExtraEvidence.TryGetValue(edge, out var ring) ? ring.ToArray() : [];
        var list = new List<Evidence>(1 + extra.Length);
        if (first != 0) list.Add(new Evidence(first));
        foreach (var raw in extra) if (raw != first) list.Add(new Evidence(raw));
        return list.ToArray();
    }

    /// <summary>The edge source -type-> target, or -1.</summary>
    public int FindEdge(int source, EdgeType type, int target)
    {
        foreach (var a in Out(source))
            if (a.Peer == target && a.Type == type) return a.Edge;
        return -1;
    }
}

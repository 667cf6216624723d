using Redoubt.Storage.Graph;

namespace Redoubt.Graph.Engine;

/// <summary>How an import states an edge: idempotent (asserting it again changes nothing but adds the import to its evidence).</summary>
public readonly record struct EdgeAssertion(long AtMs, int ImportId, long? FirstSeenMs = null, long? LastSeenMs = null, int? Count = null);

/// <summary>
/// The write API, handed out by <see cref="SecurityGraph.Write{T}"/> to one batch at a time. Ids it
/// returns are valid in every later snapshot. Extraction (events), imports and the graph store's
/// rebuild at start all write through here.
/// </summary>
public sealed class GraphWriter
{
    private readonly SecurityGraph _graph;

    internal GraphWriter(SecurityGraph graph) => _graph = graph;

    public int NodeCount => _graph.Nodes.Count;
    public int EdgeCount => _graph.Edges.Count;

    /// <summary>The node with this kind and key, added when new; a non-zero <paramref name="seenMs"/> widens its first/last seen.</summary>
    public int Node(NodeKind kind, string key, long seenMs = 0)
    {
        if (!GraphModel.IsDefined(kind)) throw new ArgumentOutOfRangeException(nameof(kind), kind, "not a node kind");
        ArgumentException.ThrowIfNullOrWhiteSpace(key);
        var nodes = _graph.Nodes;
        var id = nodes.GetOrAdd(kind, key, _graph.Costs.InitialExploit(kind), out _);
        if (seenMs != 0) Seen(id, seenMs, seenMs);
        return id;
    }

    /// <summary>Widens a node's first/last seen to include [first, last].</summary>
    public void Seen(int node, long first, long last)
    {
        var nodes = _graph.Nodes;
        if (first < nodes.FirstSeen[node]) nodes.FirstSeen[node] = first;
        if (last > nodes.LastSeen[node]) nodes.LastSeen[node] = last;
    }

    public void Update(int node, NodeUpdate update)
    {
        var nodes = _graph.Nodes;
        if (update.Criticality is { } c) nodes.Criticality[node] = c;
        var flags = (nodes.Flags[node] | update.SetFlags) & ~update.ClearFlags;
        var vulnChanged = false;
        if (update.Cvss is { } cvss)
        {
            if (!double.IsFinite(cvss) || cvss is < 0 or > 10) throw new ArgumentOutOfRangeException(nameof(update), cvss, "CVSS is 0..10");
            var tenths = (byte)Math.Round(cvss * 10);
            vulnChanged |= nodes.CvssTenths[node] != tenths;
            nodes.CvssTenths[node] = tenths;
        }
        vulnChanged |= (flags & NodeFlags.KnownExploited) != (nodes.Flags[node] & NodeFlags.KnownExploited);
        nodes.Flags[node] = flags;
        if (update.FirstSeenMs is { } f) Seen(node, f, f);
        if (update.LastSeenMs is { } l) Seen(node, l, l);
        if (update.Tags is not null || update.Properties is not null)
        {
            var old = nodes.Extras[node] ?? NodeExtras.Empty;
            var props = old.Properties;
            if (update.Properties is { } merge)
            {
                var d = new Dictionary<string, string>(old.Properties, StringComparer.Ordinal);
                foreach (var (k, v) in merge)
                    if (v is null) d.Remove(k); else d[k] = v;
                props = d;
            }
            nodes.Extras[node] = new NodeExtras(update.Tags ?? old.Tags, props);
        }
        if (vulnChanged) RefreshHostsOf(node);
    }

    /// <summary>
    /// An edge seen in an event (count + 1, seen times widened, the event added to its evidence).
    /// Observing it again with an event id not newer than one it already holds is a replay and changes nothing.
    /// </summary>
    public int ObserveEdge(int source, EdgeType type, int target, long seenMs, Evidence evidence)
    {
        Check(source, type, target);
        var edges = _graph.Edges;
        var e = _graph.FindEdge(source, type, target);
        if (e < 0) return Added(source, type, target, 1, seenMs, seenMs, evidence.Raw);
        if (evidence.IsEvent && evidence.EventId <= NewestEvent(edges, e)) return e;
        edges.Seen(e) = SaturatingAdd(edges.Seen(e), 1);
        Widen(edges, e, seenMs, seenMs);
        AddEvidence(edges, e, evidence.Raw);
        return e;
    }

    /// <summary>An edge stated by an import: created when missing, otherwise widened; its count never goes down and a re-import does not bump it.</summary>
    public int AssertEdge(int source, EdgeType type, int target, EdgeAssertion a)
    {
        if (a.Count is < 1) throw new ArgumentOutOfRangeException(nameof(a), a.Count, "count is at least 1");
        return AssertEdge(source, type, target, a.FirstSeenMs ?? a.AtMs, a.LastSeenMs ?? a.AtMs, a.Count ?? 1, Evidence.Import(a.ImportId));
    }

    /// <summary>The same, with any evidence (an inventory row stored as an event: the graph store's assertions).</summary>
    public int AssertEdge(int source, EdgeType type, int target, long firstSeenMs, long lastSeenMs, int count, Evidence evidence)
    {
        Check(source, type, target);
        var edges = _graph.Edges;
        var e = _graph.FindEdge(source, type, target);
        if (e < 0) return Added(source, type, target, count, firstSeenMs, lastSeenMs, evidence.Raw);
        edges.Seen(e) = Math.Max(edges.Seen(e), count);
        Widen(edges, e, firstSeenMs, lastSeenMs);
        AddEvidence(edges, e, evidence.Raw);
        return e;
    }

    /// <summary>An edge as a store holds it, attributes exact (the rebuild at start). Evidence oldest first; only the first and the newest <see cref="EvidenceRing.Capacity"/> are kept.</summary>
    public int RestoreEdge(int source, EdgeType type, int target, int count, long firstSeenMs, long lastSeenMs, ReadOnlySpan<long> evidence)
    {
        Check(source, type, target);
        var edges = _graph.Edges;
        var e = _graph.FindEdge(source, type, target);
        var first = evidence.IsEmpty ? 0 : evidence[0];
        if (e < 0) e = Added(source, type, target, count, firstSeenMs, lastSeenMs, first);
        else
        {
            edges.Seen(e) = count;
            edges.FirstSeen(e) = firstSeenMs;
            edges.LastSeen(e) = lastSeenMs;
            edges.FirstEvidence(e) = first;
            edges.ExtraEvidence.TryRemove(e, out _);
        }
        for (var i = Math.Max(1, evidence.Length - EvidenceRing.Capacity); i < evidence.Length; i++) AddEvidence(edges, e, evidence[i]);
        return e;
    }

    /// <summary>Names an import run, so its edges can say where they came from.</summary>
    public int BeginImport(string source, long atMs) => _graph.RegisterImport(source, atMs);

    /// <summary>Rebuilds the CSR base now (bulk loaders call this once at the end; otherwise it happens on its own).</summary>
    public void Compact() => _graph.CompactLocked();

    private void Check(int source, EdgeType type, int target)
    {
        var n = _graph.Nodes.Count;
        if ((uint)source >= (uint)n) throw new ArgumentOutOfRangeException(nameof(source), source, "no such node");
        if ((uint)target >= (uint)n) throw new ArgumentOutOfRangeException(nameof(target), target, "no such node");
        if (!GraphModel.IsDefined(type)) throw new ArgumentOutOfRangeException(nameof(type), type, "not an edge type");
    }

    private int Added(int source, EdgeType type, int target, int count, long first, long last, long evidence)
    {
        var e = _graph.AddEdge(source, type, target, count, first, last, evidence);
        Seen(source, first, last);
        Seen(target, first, last);
        if (type == EdgeType.HasVulnerability) RefreshExploit(source);
        // Derived flags, so finding attack-path sources is a scan of node flags, not of edges.
        if (type == EdgeType.ExposedToInternet) _graph.Nodes.Flags[source] |= NodeFlags.InternetFacing;
        if (type == EdgeType.Raised) _graph.Nodes.Flags[target] |= NodeFlags.Alerted;
        return e;
    }

    private void Widen(EdgeStore edges, int e, long first, long last)
    {
        if (first < edges.FirstSeen(e)) edges.FirstSeen(e) = first;
        if (last > edges.LastSeen(e)) edges.LastSeen(e) = last;
        Seen(edges.Source(e), first, last);
        Seen(edges.Target(e), first, last);
    }

    private static long NewestEvent(EdgeStore edges, int e)
    {
        var newest = Math.Max(0, edges.FirstEvidence(e));
        if (edges.ExtraEvidence.TryGetValue(e, out var ring))
            foreach (var raw in ring.ToArray()) newest = Math.Max(newest, raw);
        return newest;
    }

    private static void AddEvidence(EdgeStore edges, int e, long raw)
    {
        if (raw == 0 || edges.FirstEvidence(e) == raw) return;
        if (edges.FirstEvidence(e) == 0) { edges.FirstEvidence(e) = raw; return; }
        edges.ExtraEvidence.GetOrAdd(e, static _ => new EvidenceRing()).Add(raw);
    }

    private static int SaturatingAdd(int a, int b) => (int)Math.Min(int.MaxValue, (long)a + b);

    /// <summary>Exploit cost of a host or service: its cheapest vulnerability, or the no-vulnerability cost.</summary>
    private void RefreshExploit(int node)
    {
        var nodes = _graph.Nodes;
        var costs = _graph.Costs;
        if (!AttackCostModel.IsExploitable((NodeKind)nodes.Kind[node])) return;
        var live = _graph.Live;
        var best = costs.NoVulnerability;
        foreach (var a in live.Out(node))
        {
            if (a.Type != EdgeType.HasVulnerability) continue;
            best = Math.Min(best, costs.VulnerabilityCost(live.Cvss(a.Peer), (live.Flags(a.Peer) & NodeFlags.KnownExploited) != 0));
        }
        nodes.ExploitCost[node] = best;
    }

    private void RefreshHostsOf(int vulnerability)
    {
        foreach (var a in _graph.Live.In(vulnerability))
            if (a.Type == EdgeType.HasVulnerability) RefreshExploit(a.Peer);
    }
}

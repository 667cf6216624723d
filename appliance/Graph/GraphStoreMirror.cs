using System.Globalization;
using Redoubt.Graph.Engine;
using Redoubt.Storage.Graph;

namespace Redoubt.Graph;

/// <summary>
/// Keeps the in-memory graph equal to the graph store: built from the store's nodes and edges at
/// start (before the fan-out replays anything), then fed every node change and edge observation the
/// store's applier makes. Store node ids (1, 2, 3…) map to engine ids through a table, since the
/// engine also takes writes (imports) that the store does not see.
/// Node properties named tags (comma-separated), criticality, cvss and knownExploited become the
/// engine's attributes; the other properties are kept as they are.
/// </summary>
public sealed class GraphStoreMirror
{
    private readonly SecurityGraph _graph;
    private readonly List<int> _engineId = [-1]; // index: store id (dense from 1)

    public long LoadedNodes { get; }
    public long LoadedEdges { get; }
    public TimeSpan LoadDuration { get; }

    private GraphStoreMirror(SecurityGraph graph, GraphStore store)
    {
        _graph = graph;
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var nodes = store.Nodes();
        long edges = 0;
        graph.Write(w =>
        {
            foreach (var n in nodes) Apply(w, n);
            Span<long> evidence = stackalloc long[4];
            foreach (var e in store.Edges())
            {
                // Oldest first: the first event, then the three most recent. Store import ids are not
                // carried: they are another numbering than this graph's import log (docs/graph.md).
                var k = 0;
                foreach (var id in (ReadOnlySpan<long>)[e.FirstEventId, e.ThirdLastEventId, e.SecondLastEventId, e.LastEventId])
                    if (id > 0 && (k == 0 || evidence[k - 1] != id)) evidence[k++] = id;
                w.RestoreEdge(EngineId(e.Source), e.Type, EngineId(e.Target), (int)Math.Min(int.MaxValue, e.Count), e.FirstSeenMs, e.LastSeenMs, evidence[..k]);
                edges++;
            }
            w.Compact();
        });
        LoadedNodes = nodes.Count;
        LoadedEdges = edges;
        LoadDuration = System.Diagnostics.Stopwatch.GetElapsedTime(started);
        // Subscribed after the load and before the fan-out starts: nothing is missed or applied twice.
        store.NodeChanged += n => _graph.Write(w => Apply(w, n));
        // Times alone (a node seen again with no edge, an import's lastSeen): without this the live graph kept the old ones until a restart.
        store.NodeSeen += (id, first, last) => _graph.Write(w => w.Seen(EngineId(id), first, last));
        store.EdgeObserved += o => _graph.Write(w =>
        {
            var evidence = o.Provenance.EventId > 0 ? Evidence.Event(o.Provenance.EventId) : Evidence.None;
            return o.Asserted
                ? w.AssertEdge(EngineId(o.Source), o.Type, EngineId(o.Target), o.TimeMs, Math.Max(o.TimeMs, o.LastMs), (int)Math.Min(int.MaxValue, o.Count), evidence)
                : w.ObserveEdge(EngineId(o.Source), o.Type, EngineId(o.Target), o.TimeMs, evidence);
        });
    }

    /// <summary>Loads the store into the graph and follows it from then on. Call at start, before events are applied.</summary>
    public static GraphStoreMirror Attach(SecurityGraph graph, GraphStore store) => new(graph, store);

    private int EngineId(long storeId) => storeId > 0 && storeId < _engineId.Count && _engineId[(int)storeId] >= 0
        ? _engineId[(int)storeId]
        : throw new InvalidOperationException($"graph store node {storeId} was never announced to the in-memory graph");

    private void Apply(GraphWriter w, NodeRecord n)
    {
        var id = w.Node(n.Kind, n.Key);
        while (_engineId.Count <= n.Id) _engineId.Add(-1);
        _engineId[(int)n.Id] = id;
        w.Update(id, UpdateOf(n));
    }

    public static NodeUpdate UpdateOf(NodeRecord n)
    {
        var flags = NodeFlags.None;
        var clear = NodeFlags.None;
        List<string>? tags = null;
        Criticality? criticality = null;
        double? cvss = null;
        var rest = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var (name, value) in n.Properties)
        {
            switch (name)
            {
                case "tags":
                    tags = [];
                    foreach (var t in value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                        if (NodeTags.FlagOf(t) is var f and not NodeFlags.None) flags |= f; else tags.Add(t);
                    continue;
                case "criticality" when Enum.TryParse<Criticality>(value, true, out var c) && c != Criticality.Unknown && Enum.IsDefined(c):
                    criticality = c;
                    continue;
                case "cvss" when double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var score) && score is >= 0 and <= 10:
                    cvss = score;
                    continue;
                case "knownExploited" when bool.TryParse(value, out var kev):
                    if (kev) flags |= NodeFlags.KnownExploited; else clear |= NodeFlags.KnownExploited;
                    continue;
            }
            rest[name] = value; // anything else, or a value that does not parse, stays a plain property
        }
        return new NodeUpdate
        {
            SetFlags = flags, ClearFlags = clear, Tags = tags, Criticality = criticality, Cvss = cvss,
            Properties = rest.Count > 0 ? rest : null,
            FirstSeenMs = n.FirstSeenMs, LastSeenMs = n.LastSeenMs,
        };
    }
}

using System.Collections.Concurrent;
using Redoubt.Storage.Graph;

namespace Redoubt.Graph.Engine;

/// <summary>An import run: what edges with <see cref="Evidence.Import"/> point to.</summary>
public sealed record ImportRecord(int Id, string Source, long AtMs);

public sealed class GraphEngineOptions
{
    /// <summary>Compact when the delta holds at least this many edges...</summary>
    public int CompactionMinDelta { get; set; } = 65_536;
    /// <summary>...and at least 1/CompactionRatio of the compacted edges (amortised O(1) per edge).</summary>
    public int CompactionRatio { get; set; } = 4;
}

/// <summary>
/// The in-memory security graph: one writer at a time (<see cref="Write{T}"/>), any number of
/// readers, each on the <see cref="Snapshot"/> it took. Edges live in a compacted CSR base plus an
/// append-only delta; when the delta grows past a fraction of the base, the writer rebuilds the
/// base (readers on older snapshots keep the old generation until they finish).
/// </summary>
public sealed class SecurityGraph
{
    private readonly Lock _writeLock = new();
    private readonly NodeTable _nodes = new();
    private readonly GraphEngineOptions _options;
    private readonly List<ImportRecord> _imports = [];
    private EdgeStore _edges;
    private EdgeIndex _index;
    private GraphSnapshot _snapshot;
    private long _version;
    private readonly GraphWriter _writer;

    public AttackCostModel Costs { get; }

    public SecurityGraph(AttackCostModel? costs = null, GraphEngineOptions? options = null)
    {
        Costs = costs ?? AttackCostModel.Default;
        _options = options ?? new GraphEngineOptions();
        _edges = new EdgeStore(EdgeBase.Empty, new EdgeDelta(0), new ConcurrentDictionary<int, EvidenceRing>());
        _index = new EdgeIndex(_edges, 0);
        _snapshot = new GraphSnapshot(_nodes, _edges, 0, 0, 0, Costs);
        _writer = new GraphWriter(this);
    }

    /// <summary>The latest published state. Take it once per query.</summary>
    public GraphSnapshot Snapshot => Volatile.Read(ref _snapshot);

    /// <summary>Runs one write batch; readers see all of it once it returns (and none of it before).</summary>
    public T Write<T>(Func<GraphWriter, T> batch)
    {
        lock (_writeLock)
        {
            try { return batch(_writer); }
            finally
            {
                if (_edges.Delta.Count >= Math.Max(_options.CompactionMinDelta, _edges.Base.Count / Math.Max(1, _options.CompactionRatio)))
                    CompactLocked();
                Publish();
            }
        }
    }

    public void Write(Action<GraphWriter> batch) => Write<int>(w => { batch(w); return 0; });

    public IReadOnlyList<ImportRecord> Imports
    {
        get { lock (_imports) return _imports.ToArray(); }
    }

    public ImportRecord? FindImport(int id)
    {
        lock (_imports) return id >= 1 && id <= _imports.Count ? _imports[id - 1] : null;
    }

    /// <summary>Node counts by kind, for stats.</summary>
    public int CountOf(NodeKind kind) => _nodes.CountOf(kind);

    /// <summary>How many edges wait in the delta, and how many are compacted.</summary>
    public (int Compacted, int Delta) EdgeLayout
    {
        get { var s = Snapshot; return (s.Edges.Base.Count, s.EdgeCount - s.Edges.Base.Count); }
    }

    /// <summary>Bytes held by the engine's arrays, from their sizes (not a GC measurement): nodes, edges, and the writer's edge index.</summary>
    public (long Nodes, long Edges, long Index) ArrayBytes
    {
        get
        {
            lock (_writeLock)
                return (_nodes.ApproximateBytes(), _edges.Base.ApproximateBytes() + _edges.Delta.ApproximateBytes(), _index.ApproximateBytes);
        }
    }

    private void Publish() =>
        Volatile.Write(ref _snapshot, new GraphSnapshot(_nodes, _edges, _nodes.Count, _edges.Count, ++_version, Costs));

    // ---- writer internals, called by GraphWriter under the write lock ----

    internal NodeTable Nodes => _nodes;

    /// <summary>The writer's own view: everything written so far, published or not.</summary>
    internal GraphSnapshot Live => new(_nodes, _edges, _nodes.Count, _edges.Count, _version, Costs);

    internal int FindEdge(int src, EdgeType type, int dst) => _index.Find(src, (byte)type, dst);

    internal EdgeStore Edges => _edges;

    internal int AddEdge(int src, EdgeType type, int dst, int count, long first, long last, long evidence)
    {
        var delta = _edges.Delta;
        var d = delta.Count;
        var n = d + 1;
        delta.Source.EnsureCapacity(n); delta.Target.EnsureCapacity(n); delta.Type.EnsureCapacity(n);
        delta.NextOut.EnsureCapacity(n); delta.NextIn.EnsureCapacity(n); delta.Seen.EnsureCapacity(n);
        delta.FirstSeen.EnsureCapacity(n); delta.LastSeen.EnsureCapacity(n); delta.Evidence.EnsureCapacity(n);
        delta.HeadOut.EnsureCapacity(_nodes.Count);
        delta.HeadIn.EnsureCapacity(_nodes.Count);

        delta.Source[d] = src;
        delta.Target[d] = dst;
        delta.Type[d] = (byte)type;
        delta.Seen[d] = count;
        delta.FirstSeen[d] = first;
        delta.LastSeen[d] = last;
        delta.Evidence[d] = evidence;
        delta.NextOut[d] = delta.HeadOut[src];
        delta.NextIn[d] = delta.HeadIn[dst];
        Volatile.Write(ref delta.HeadOut[src], d);
        Volatile.Write(ref delta.HeadIn[dst], d);
        delta.Count = n;
        var id = delta.FirstId + d;
        _index.Insert(id);
        return id;
    }

    internal int RegisterImport(string source, long atMs)
    {
        lock (_imports)
        {
            var record = new ImportRecord(_imports.Count + 1, source, atMs);
            _imports.Add(record);
            return record.Id;
        }
    }

    internal void CompactLocked()
    {
        var old = _edges;
        var nodeCount = _nodes.Count;
        var count = old.Count;
        var b = new EdgeBase(nodeCount, count);

        // Counting sort by source; within a node, forward attack steps first, then the rest, each
        // group keeping base order then delta arrival order.
        var costs = Costs;
        var outOff = b.OutOffsets;
        for (var e = 0; e < count; e++)
        {
            var v = old.Source(e);
            outOff[v + 1]++;
            if (IsForwardStep(old.Type(e), old.Target(e))) b.OutSteps[v]++;
        }
        for (var v = 0; v < nodeCount; v++) outOff[v + 1] += outOff[v];
        var stepCursor = new int[nodeCount];
        var restCursor = new int[nodeCount];
        for (var v = 0; v < nodeCount; v++) { stepCursor[v] = outOff[v]; restCursor[v] = outOff[v] + b.OutSteps[v]; }
        var moved = new int[count];
        for (var e = 0; e < count; e++)
        {
            var v = old.Source(e);
            var p = IsForwardStep(old.Type(e), old.Target(e)) ? stepCursor[v]++ : restCursor[v]++;
            moved[e] = p;
            b.OutTarget[p] = old.Target(e);
            b.Type[p] = old.Type(e);
            b.Source[p] = v;
            b.Seen[p] = old.Seen(e);
            b.FirstSeen[p] = old.FirstSeen(e);
            b.LastSeen[p] = old.LastSeen(e);
            b.Evidence[p] = old.FirstEvidence(e);
        }

        var inOff = b.InOffsets;
        for (var p = 0; p < count; p++)
        {
            inOff[b.OutTarget[p] + 1]++;
            if (IsReverseStep(b.Type[p], b.Source[p])) b.InSteps[b.OutTarget[p]]++;
        }
        for (var v = 0; v < nodeCount; v++) inOff[v + 1] += inOff[v];
        for (var v = 0; v < nodeCount; v++) { stepCursor[v] = inOff[v]; restCursor[v] = inOff[v] + b.InSteps[v]; }
        for (var p = 0; p < count; p++)
        {
            var t = b.OutTarget[p];
            var q = IsReverseStep(b.Type[p], b.Source[p]) ? stepCursor[t]++ : restCursor[t]++;
            b.InSource[q] = b.Source[p];
            b.InEdge[q] = p;
            b.InType[q] = b.Type[p];
        }

        bool IsForwardStep(byte type, int to) => costs.Forward[type] > 0 && costs.Enterable[_nodes.Kind[to]];
        bool IsReverseStep(byte type, int to) => costs.Reverse[type] > 0 && costs.Enterable[_nodes.Kind[to]];

        // The rings are shared with the old generation: a reader there may see newer evidence, which is harmless.
        var extra = new ConcurrentDictionary<int, EvidenceRing>();
        foreach (var (e, ring) in old.ExtraEvidence) extra[moved[e]] = ring;

        _edges = new EdgeStore(b, new EdgeDelta(count), extra);
        _index = new EdgeIndex(_edges, count);
    }
}

using System.Buffers;
using FASTER.core;
using MessagePack;
using MessagePack.Resolvers;
using Redoubt.Storage.Checkpoints;

namespace Redoubt.Storage.Graph;

public sealed class GraphStoreOptions : DerivedStoreOptions
{
    /// <summary>Longest node key accepted (a host name, a user, an address, a CVE id…).</summary>
    public int MaxKeyChars { get; init; } = 1024;
    /// <summary>Largest serialized key + properties of one node.</summary>
    public int MaxNodeBlobBytes { get; init; } = 64 * 1024;
    /// <summary>
    /// Before a checkpoint, the log is compacted once its immutable part exceeds this many times the
    /// live records (edges touched after they left memory are copied to the tail; the old copies are garbage)...
    /// </summary>
    public double CompactWhenLogExceedsLive { get; init; } = 2.0;
    /// <summary>...and this many bytes, so small stores are left alone.</summary>
    public long CompactionMinBytes { get; init; } = 256L << 20;
}

/// <summary>
/// The durable graph: nodes and typed edges derived from the event log, in one FasterKV.
/// Edges are one fixed-size record per (source, type, target), updated in place by RMW on each
/// observation (FASTER-NOTES 3.8 option C), so a node's adjacency grows without rewriting it.
/// Nodes get dense ids (1, 2, 3… in order of first sight); the key → id map and the nodes live in
/// memory (extraction resolves ids per event without I/O) and are written into the KV as header and
/// chunk records before each checkpoint.
/// Writes (<see cref="UpsertNode"/>, <see cref="ObserveEdge"/>, checkpoints) come from one applier
/// task; reads of nodes are safe from any thread; <see cref="Edges"/> scans the KV on its own session.
/// </summary>
public sealed class GraphStore : DerivedKvStore<GraphKey, GraphValue>, IGraphWrites
{
    public const string FormatKind = "redoubt-graph-store";
    public const int FormatVersion = 1;

    private static readonly MessagePackSerializerOptions BlobOptions =
        MessagePackSerializerOptions.Standard.WithResolver(StandardResolver.Instance).WithSecurity(MessagePackSecurity.UntrustedData);

    private static readonly IReadOnlyDictionary<string, string> NoProperties = new Dictionary<string, string>();

    private readonly GraphStoreOptions _options;
    private readonly GraphFunctions _functions = new();
    private readonly ClientSession<GraphKey, GraphValue, EdgeInput, GraphValue, Empty, GraphFunctions> _session;
    private readonly object _nodesLock = new();
    private readonly List<NodeState> _nodes = [];
    private readonly Dictionary<(NodeKind, string), long> _ids = new();
    private readonly List<NodeState> _dirty = [];
    private readonly ArrayBufferWriter<byte> _blob = new(256);
    private long _edgesAtOpen, _observations, _assertions;
    private int _sinceCompletePending;

    /// <summary>Raised on the applier task after each observation (the in-memory graph follows it live).</summary>
    public event Action<EdgeObservation>? EdgeObserved;
    /// <summary>Raised on the applier task when a node is created or its properties change.</summary>
    public event Action<NodeRecord>? NodeChanged;
    /// <summary>
    /// Raised on the applier task when only a node's first/last seen widened (id, first, last): cheap,
    /// no record copied, so a follower sees times that no edge observation carries (a node without edges).
    /// </summary>
    public event Action<long, long, long>? NodeSeen;

    public long NodeCount { get { lock (_nodesLock) return _nodes.Count; } }
    /// <summary>Distinct edges (source, type, target).</summary>
    public long EdgeCount => _edgesAtOpen + Interlocked.Read(ref _functions.Created);
    /// <summary>Sum of all edge counts: every observation ever folded in.</summary>
    public long Observations => Interlocked.Read(ref _observations);
    /// <summary>Edge assertions (inventory rows) folded in since open.</summary>
    public long Assertions => Interlocked.Read(ref _assertions);
    /// <summary>How long the open took (recovery plus loading the nodes); perf/ reports it.</summary>
    public TimeSpan OpenDuration { get; }

    private GraphStore(GraphStoreOptions options)
        : base(options, FormatKind, FormatVersion, "graph store", new GraphKeyComparer())
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        _options = options;
        try
        {
            _session = Kv.For(_functions).NewSession<GraphFunctions>();
            Load();
        }
        catch
        {
            _session?.Dispose();
            CloseAfterFailedOpen();
            throw;
        }
        OpenDuration = System.Diagnostics.Stopwatch.GetElapsedTime(started);
    }

    public static GraphStore Open(GraphStoreOptions options) => new(options);

    /// <summary>
    /// The node (kind, key), created if new, its last/first seen widened to <paramref name="timeMs"/>,
    /// and <paramref name="properties"/> merged in (given names overwrite). Returns its id.
    /// </summary>
    public long UpsertNode(NodeKind kind, string key, long timeMs, IReadOnlyDictionary<string, string>? properties = null)
    {
        if (!Enum.IsDefined(kind)) throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown node kind");
        ArgumentException.ThrowIfNullOrEmpty(key);
        if (key.Length > _options.MaxKeyChars) throw new ArgumentException($"node key of {key.Length} chars exceeds {_options.MaxKeyChars}", nameof(key));

        NodeState node;
        bool changed = false, seen = false;
        lock (_nodesLock)
        {
            if (_ids.TryGetValue((kind, key), out var id))
            {
                node = _nodes[(int)(id - 1)];
                if (timeMs < node.FirstSeenMs) { node.FirstSeenMs = timeMs; seen = true; }
                if (timeMs > node.LastSeenMs) { node.LastSeenMs = timeMs; seen = true; }
            }
            else
            {
                node = new NodeState(_nodes.Count + 1, kind, key, timeMs) { BlobDirty = true };
                _nodes.Add(node);
                _ids.Add((kind, key), node.Id);
                changed = true;
            }
            if (properties is { Count: > 0 })
            {
                foreach (var (name, value) in properties)
                {
                    node.Properties ??= new Dictionary<string, string>(StringComparer.Ordinal);
                    if (node.Properties.TryGetValue(name, out var old) && old == value) continue;
                    node.Properties[name] = value;
                    node.BlobDirty = changed = true;
                }
            }
            if (!node.Dirty) { node.Dirty = true; _dirty.Add(node); }
        }
        if (changed) NodeChanged?.Invoke(Snapshot(node));
        else if (seen) NodeSeen?.Invoke(node.Id, node.FirstSeenMs, node.LastSeenMs);
        return node.Id;
    }

    /// <summary>Folds one observation of source -type-> target into its edge record (created on first sight).</summary>
    public void ObserveEdge(long source, EdgeType type, long target, long timeMs, Provenance provenance)
    {
        if (!Enum.IsDefined(type)) throw new ArgumentOutOfRangeException(nameof(type), type, "unknown edge type");
        var count = NodeCount;
        if (source < 1 || source > count) throw new ArgumentOutOfRangeException(nameof(source), source, "no such node");
        if (target < 1 || target > count) throw new ArgumentOutOfRangeException(nameof(target), target, "no such node");

        var key = GraphKey.Edge(source, type, target);
        var input = new EdgeInput { TimeMs = timeMs, EventId = provenance.EventId, ImportId = provenance.ImportId };
        var status = _session.RMW(ref key, ref input);
        if (status.IsFaulted) throw new InvalidOperationException($"{What}: RMW of edge {source}-{type}->{target} faulted");
        Interlocked.Increment(ref _observations);
        // Records on disk make the RMW pending; complete them in batches, not one synchronous read each.
        if (status.IsPending && ++_sinceCompletePending >= 256)
        {
            _session.CompletePending(wait: true);
            _sinceCompletePending = 0;
        }
        EdgeObserved?.Invoke(new EdgeObservation(source, type, target, timeMs, provenance));
    }

    /// <summary>An inventory's statement of an edge (see <see cref="IGraphWrites.AssertEdge"/>), folded in log order.</summary>
    public void AssertEdge(long source, EdgeType type, long target, long firstSeenMs, long lastSeenMs, Provenance provenance, long count = 1)
    {
        if (!Enum.IsDefined(type)) throw new ArgumentOutOfRangeException(nameof(type), type, "unknown edge type");
        var nodes = NodeCount;
        if (source < 1 || source > nodes) throw new ArgumentOutOfRangeException(nameof(source), source, "no such node");
        if (target < 1 || target > nodes) throw new ArgumentOutOfRangeException(nameof(target), target, "no such node");
        if (firstSeenMs > lastSeenMs) throw new ArgumentOutOfRangeException(nameof(firstSeenMs), firstSeenMs, "first seen is after last seen");
        if (count < 1) throw new ArgumentOutOfRangeException(nameof(count), count, "count is at least 1");
        // Not commutative with observations (the count is kept, not summed): nothing may be pending around it.
        if (_sinceCompletePending > 0) { _session.CompletePending(wait: true); _sinceCompletePending = 0; }
        var key = GraphKey.Edge(source, type, target);
        var input = new EdgeInput { TimeMs = firstSeenMs, LastMs = lastSeenMs, EventId = provenance.EventId, ImportId = provenance.ImportId, Assert = true, Count = count };
        var status = _session.RMW(ref key, ref input);
        if (status.IsFaulted) throw new InvalidOperationException($"{What}: RMW of edge {source}-{type}->{target} faulted");
        if (status.IsPending) _session.CompletePending(wait: true);
        Interlocked.Increment(ref _assertions);
        EdgeObserved?.Invoke(new EdgeObservation(source, type, target, firstSeenMs, provenance, Asserted: true, LastMs: lastSeenMs, Count: count));
    }

    public bool TryFindNode(NodeKind kind, string key, out long id)
    {
        lock (_nodesLock) return _ids.TryGetValue((kind, key), out id);
    }

    public NodeRecord? GetNode(long id)
    {
        lock (_nodesLock) return id >= 1 && id <= _nodes.Count ? Snapshot(_nodes[(int)(id - 1)]) : null;
    }

    /// <summary>Every node, in id order (a copy: safe while the applier runs).</summary>
    public IReadOnlyList<NodeRecord> Nodes()
    {
        lock (_nodesLock) return _nodes.Select(Snapshot).ToList();
    }

    /// <summary>
    /// Every edge, by a scan of the KV on a session of its own. Exact when the applier is idle (as at
    /// start, before the fan-out runs: that is when the in-memory graph is built); while it runs, an edge
    /// observed during the scan may show either its old or its new state.
    /// </summary>
    public IEnumerable<EdgeRecord> Edges()
    {
        using var session = Kv.For(new GraphFunctions()).NewSession<GraphFunctions>();
        using var iterator = session.Iterate();
        while (iterator.GetNext(out _))
        {
            var key = iterator.GetKey();
            if (key.Type <= 0) continue;
            var v = iterator.GetValue();
            yield return new EdgeRecord(key.Source, (EdgeType)key.Type, key.Target, v.FirstSeenMs, v.LastSeenMs, v.Count,
                v.FirstEventId, v.LastEventId, v.SecondLastEventId, v.ThirdLastEventId, v.ImportId);
        }
    }

    public override void Idle()
    {
        if (_sinceCompletePending == 0) return;
        _session.CompletePending(wait: true);
        _sinceCompletePending = 0;
    }

    /// <summary>Times the log was compacted, for stats and tests.</summary>
    public long Compactions { get; private set; }

    /// <summary>Bytes of log between its begin and tail (on disk and in memory).</summary>
    public long LogBytes => Kv.Log.TailAddress - Kv.Log.BeginAddress;

    protected override void BeforeCheckpoint()
    {
        _session.CompletePending(wait: true);
        _sinceCompletePending = 0;
        MaybeCompact();
        NodeState[] dirty;
        lock (_nodesLock)
        {
            dirty = _dirty.ToArray();
            _dirty.Clear();
            foreach (var node in dirty) node.Dirty = false;
        }
        foreach (var node in dirty) WriteNode(node);
        _session.CompletePending(wait: true);
    }

    protected override void DisposeSessions() => _session.Dispose();

    // A record is an 8-byte header + 24-byte key + 64-byte value; a node is a header and at least one chunk.
    private const int RecordBytes = 96;

    /// <summary>
    /// Copies live records below the read-only boundary to the tail and moves the log's begin past
    /// them; the checkpoint that follows makes it durable and deletes the old segments. On the applier,
    /// before the checkpoint: a crash in between recovers the previous checkpoint, whose files are still there.
    /// </summary>
    private void MaybeCompact()
    {
        var live = (EdgeCount + 2 * NodeCount) * RecordBytes;
        var immutable = Kv.Log.SafeReadOnlyAddress - Kv.Log.BeginAddress;
        if (immutable < _options.CompactionMinBytes || immutable < live * _options.CompactWhenLogExceedsLive) return;
        // Lookup: liveness by index lookup, no temporary table of every key (Scan would build one).
        _session.Compact(Kv.Log.SafeReadOnlyAddress, CompactionType.Lookup);
        _session.CompletePending(wait: true);
        Compactions++;
    }

    private unsafe void WriteNode(NodeState node)
    {
        int blobLength;
        bool writeBlob;
        lock (_nodesLock)
        {
            writeBlob = node.BlobDirty;
            node.BlobDirty = false;
            if (writeBlob)
            {
                _blob.ResetWrittenCount();
                MessagePackSerializer.Serialize(_blob, new NodeBlob { Key = node.Key, Properties = node.Properties }, BlobOptions);
                node.BlobLength = _blob.WrittenCount;
            }
            blobLength = node.BlobLength;
        }
        if (blobLength > _options.MaxNodeBlobBytes)
            throw new InvalidOperationException($"{What}: node {node.Id} ({node.Kind} {node.Key}) has {blobLength} bytes of properties, over {_options.MaxNodeBlobBytes}");

        var header = GraphKey.Header(node.Id);
        var value = new GraphValue { NodeKind = (long)node.Kind, FirstSeenMs = node.FirstSeenMs, LastSeenMs = node.LastSeenMs, BlobLength = blobLength };
        _session.Upsert(ref header, ref value);
        if (!writeBlob) return;

        var bytes = _blob.WrittenSpan;
        for (var part = 0; part * GraphValue.Size < bytes.Length; part++)
        {
            var chunkKey = GraphKey.Chunk(node.Id, part);
            var chunk = default(GraphValue);
            var slice = bytes.Slice(part * GraphValue.Size, Math.Min(GraphValue.Size, bytes.Length - part * GraphValue.Size));
            slice.CopyTo(new Span<byte>(chunk.Bytes, GraphValue.Size));
            _session.Upsert(ref chunkKey, ref chunk);
        }
    }

    /// <summary>Scans the recovered KV once: rebuilds the nodes and the key → id map, counts edges and observations.</summary>
    private unsafe void Load()
    {
        var headers = new Dictionary<long, GraphValue>();
        var chunks = new Dictionary<(long, int), GraphValue>();
        long edges = 0, observations = 0;
        using (var iterator = _session.Iterate())
        {
            while (iterator.GetNext(out _))
            {
                var key = iterator.GetKey();
                switch (key.Type)
                {
                    case > 0: edges++; observations += iterator.GetValue().Count; break;
                    case GraphKey.NodeHeader: headers[key.Source] = iterator.GetValue(); break;
                    case GraphKey.NodeChunk: chunks[(key.Source, key.Part)] = iterator.GetValue(); break;
                    default: throw new StoreRecoveryException($"{What}: record with unknown type {key.Type}");
                }
            }
        }

        var blob = new byte[_options.MaxNodeBlobBytes];
        for (long id = 1; id <= headers.Count; id++)
        {
            if (!headers.TryGetValue(id, out var header))
                throw new StoreRecoveryException($"{What}: {headers.Count} node headers but none for node {id}");
            var length = (int)header.BlobLength;
            if (length <= 0 || length > blob.Length) throw new StoreRecoveryException($"{What}: node {id} has a blob of {length} bytes");
            for (var part = 0; part * GraphValue.Size < length; part++)
            {
                if (!chunks.TryGetValue((id, part), out var chunk)) throw new StoreRecoveryException($"{What}: node {id} lacks chunk {part}");
                new ReadOnlySpan<byte>(chunk.Bytes, GraphValue.Size)[..Math.Min(GraphValue.Size, length - part * GraphValue.Size)]
                    .CopyTo(blob.AsSpan(part * GraphValue.Size));
            }
            NodeBlob decoded;
            try { decoded = MessagePackSerializer.Deserialize<NodeBlob>(blob.AsMemory(0, length), BlobOptions); }
            catch (MessagePackSerializationException e) { throw new StoreRecoveryException($"{What}: node {id} unreadable: {e.Message}", e); }
            var kind = (NodeKind)header.NodeKind;
            var node = new NodeState(id, kind, decoded.Key, header.FirstSeenMs)
            {
                LastSeenMs = header.LastSeenMs,
                Properties = decoded.Properties is { Count: > 0 } p ? new Dictionary<string, string>(p, StringComparer.Ordinal) : null,
                BlobLength = length,
            };
            _nodes.Add(node);
            if (!_ids.TryAdd((kind, decoded.Key), id)) throw new StoreRecoveryException($"{What}: node {kind} {decoded.Key} stored twice");
        }
        _edgesAtOpen = edges;
        _observations = observations;
    }

    private static NodeRecord Snapshot(NodeState n) =>
        new(n.Id, n.Kind, n.Key, n.Properties is null ? NoProperties : new Dictionary<string, string>(n.Properties, StringComparer.Ordinal), n.FirstSeenMs, n.LastSeenMs);

    private sealed class NodeState(long id, NodeKind kind, string key, long seenMs)
    {
        public long Id { get; } = id;
        public NodeKind Kind { get; } = kind;
        public string Key { get; } = key;
        public long FirstSeenMs { get; set; } = seenMs;
        public long LastSeenMs { get; set; } = seenMs;
        public Dictionary<string, string>? Properties { get; set; }
        public int BlobLength { get; set; }
        /// <summary>Changed since the last checkpoint (in the dirty list).</summary>
        public bool Dirty { get; set; }
        /// <summary>Key or properties changed since the last checkpoint: the chunks must be rewritten.</summary>
        public bool BlobDirty { get; set; }
    }
}

/// <summary>The variable part of a node: its key and properties. MessagePack keys are on-disk format.</summary>
[MessagePackObject]
public sealed class NodeBlob
{
    [Key(0)] public string Key { get; set; } = "";
    [Key(1)] public Dictionary<string, string>? Properties { get; set; }
}

using System.Runtime.InteropServices;
using FASTER.core;

namespace Redoubt.Storage.Graph;

/// <summary>Why an edge exists: the event that showed it (a log address), or the import that declared it.</summary>
public readonly record struct Provenance(long EventId, long ImportId)
{
    public static Provenance FromEvent(long eventId) =>
        eventId > 0 ? new(eventId, 0) : throw new ArgumentOutOfRangeException(nameof(eventId), "event ids are log addresses (> 0)");

    public static Provenance FromImport(long importId) =>
        importId > 0 ? new(0, importId) : throw new ArgumentOutOfRangeException(nameof(importId), "import ids are > 0");
}

/// <summary>
/// The writes a graph extractor makes: upsert a node, fold one observation of an edge. The graph
/// store implements it; tools and tests can record or print what an extractor would write instead.
/// </summary>
public interface IGraphWrites
{
    /// <summary>The node (kind, key), created if new, seen at <paramref name="timeMs"/>, properties merged in. Returns its id.</summary>
    long UpsertNode(NodeKind kind, string key, long timeMs, IReadOnlyDictionary<string, string>? properties = null);

    /// <summary>One observation of source -type-> target.</summary>
    void ObserveEdge(long source, EdgeType type, long target, long timeMs, Provenance provenance);

    /// <summary>
    /// An edge an inventory states (idempotent): created with count 1 when missing, otherwise its seen
    /// times widened to <paramref name="firstSeenMs"/>..<paramref name="lastSeenMs"/> and the provenance
    /// added; the count is not raised past the largest <paramref name="count"/> stated, so importing the
    /// same rows again changes nothing but the times.
    /// </summary>
    void AssertEdge(long source, EdgeType type, long target, long firstSeenMs, long lastSeenMs, Provenance provenance, long count = 1);
}

/// <summary>A node as the graph store holds it. Ids are dense (1, 2, 3…) in order of first sight and never change.</summary>
public sealed record NodeRecord(long Id, NodeKind Kind, string Key, IReadOnlyDictionary<string, string> Properties, long FirstSeenMs, long LastSeenMs);

/// <summary>
/// One typed, directed edge with everything its observations folded into it: first/last seen, how
/// many times it was seen, and its provenance (the first event, the three most recent ones, and the
/// latest import that declared it; 0 = none).
/// </summary>
public readonly record struct EdgeRecord(long Source, EdgeType Type, long Target, long FirstSeenMs, long LastSeenMs, long Count,
    long FirstEventId, long LastEventId, long SecondLastEventId, long ThirdLastEventId, long ImportId)
{
    /// <summary>Most recent event ids first (at most three), for "why is this edge here?".</summary>
    public long[] RecentEventIds => new[] { LastEventId, SecondLastEventId, ThirdLastEventId }.Where(id => id != 0).ToArray();
}

/// <summary>One observation of an edge, as handed to <see cref="GraphStore.EdgeObserved"/> subscribers;
/// <see cref="Asserted"/>: an inventory's statement (<see cref="IGraphWrites.AssertEdge"/>), seen from TimeMs to <see cref="LastMs"/>.</summary>
public readonly record struct EdgeObservation(long Source, EdgeType Type, long Target, long TimeMs, Provenance Provenance, bool Asserted = false, long LastMs = 0, long Count = 1);

/// <summary>
/// Key of a graph store record (24 bytes, blittable). <see cref="Type"/> says what the record is:
/// &gt; 0 an edge of that <see cref="EdgeType"/> from <see cref="Source"/> to <see cref="Target"/>;
/// <see cref="NodeHeader"/> the fixed part of node <see cref="Source"/>; <see cref="NodeChunk"/> chunk
/// <see cref="Part"/> of that node's MessagePack blob (key and properties). On-disk format.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
public struct GraphKey
{
    public const int NodeHeader = -1;
    public const int NodeChunk = -2;

    public long Source;
    public long Target;
    public int Type;
    public int Part;

    public static GraphKey Edge(long source, EdgeType type, long target) => new() { Source = source, Target = target, Type = (int)type };
    public static GraphKey Header(long node) => new() { Source = node, Type = NodeHeader };
    public static GraphKey Chunk(long node, int part) => new() { Source = node, Type = NodeChunk, Part = part };
}

internal sealed class GraphKeyComparer : IFasterEqualityComparer<GraphKey>
{
    public long GetHashCode64(ref GraphKey k)
    {
        var h = Utility.GetHashCode(k.Source);
        h = Utility.GetHashCode(h ^ k.Target);
        return Utility.GetHashCode(h ^ (((long)k.Type << 32) | (uint)k.Part));
    }

    public bool Equals(ref GraphKey a, ref GraphKey b) => a.Source == b.Source && a.Target == b.Target && a.Type == b.Type && a.Part == b.Part;
}

/// <summary>
/// Value of a graph store record: 64 bytes, fixed, so an edge observation updates its record in place
/// (FASTER-NOTES 3.8 option C). Edges use the edge fields; a node header uses the node fields
/// (overlapping); a node chunk uses all 64 bytes as blob payload. On-disk format.
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = Size)]
public unsafe struct GraphValue
{
    public const int Size = 64;

    // Edge
    [FieldOffset(0)] public long FirstSeenMs;
    [FieldOffset(8)] public long LastSeenMs;
    [FieldOffset(16)] public long Count;
    [FieldOffset(24)] public long FirstEventId;
    [FieldOffset(32)] public long LastEventId;
    [FieldOffset(40)] public long SecondLastEventId;
    [FieldOffset(48)] public long ThirdLastEventId;
    [FieldOffset(56)] public long ImportId;

    // Node header (first/last seen shared with the edge layout)
    [FieldOffset(16)] public long NodeKind;
    [FieldOffset(24)] public long BlobLength;

    // Node chunk
    [FieldOffset(0)] public fixed byte Bytes[Size];
}

/// <summary>RMW input: one observation, or one assertion (an inventory row: seen TimeMs..LastMs, count not raised).</summary>
public struct EdgeInput
{
    public long TimeMs;
    public long EventId;
    public long ImportId;
    public bool Assert;
    public long LastMs;
    /// <summary>An assertion's count (at least 1): the edge's count becomes the largest stated, never a sum.</summary>
    public long Count;
}

/// <summary>
/// How observations fold into an edge. Every step is commutative and associative (min, max, sum,
/// top three distinct ids), so the result does not depend on the order in which FASTER completes
/// operations that went to disk, and a replay gives the same record. Assertions (count kept, not
/// summed) are not commutative with observations, so the store completes pending operations before
/// and after each one: they fold in log order.
/// </summary>
internal static class EdgeFold
{
    public static void Initial(ref GraphValue v, ref EdgeInput input)
    {
        v = default;
        v.FirstSeenMs = input.TimeMs;
        v.LastSeenMs = input.Assert ? Math.Max(input.TimeMs, input.LastMs) : input.TimeMs;
        v.Count = input.Assert ? Math.Max(1, input.Count) : 1;
        v.FirstEventId = input.EventId;
        v.LastEventId = input.EventId;
        v.ImportId = input.ImportId;
    }

    public static void Add(ref GraphValue v, ref EdgeInput input)
    {
        if (!input.Assert) v.Count++;
        else if (input.Count > v.Count) v.Count = input.Count;
        var last = input.Assert ? Math.Max(input.TimeMs, input.LastMs) : input.TimeMs;
        if (input.TimeMs < v.FirstSeenMs) v.FirstSeenMs = input.TimeMs;
        if (last > v.LastSeenMs) v.LastSeenMs = last;
        if (input.ImportId > v.ImportId) v.ImportId = input.ImportId;
        var id = input.EventId;
        if (id == 0) return;
        if (v.FirstEventId == 0 || id < v.FirstEventId) v.FirstEventId = id;
        if (id == v.LastEventId || id == v.SecondLastEventId || id == v.ThirdLastEventId) return;
        if (id > v.LastEventId) { v.ThirdLastEventId = v.SecondLastEventId; v.SecondLastEventId = v.LastEventId; v.LastEventId = id; }
        else if (id > v.SecondLastEventId) { v.ThirdLastEventId = v.SecondLastEventId; v.SecondLastEventId = id; }
        else if (id > v.ThirdLastEventId) v.ThirdLastEventId = id;
    }
}

/// <summary>FASTER callbacks of the graph store: RMW folds edge observations; upserts write node records.</summary>
internal sealed class GraphFunctions : FunctionsBase<GraphKey, GraphValue, EdgeInput, GraphValue, Empty>
{
    /// <summary>Edges created (PostInitialUpdater runs once per created record, after its CAS succeeded).</summary>
    public long Created;

    public override bool InitialUpdater(ref GraphKey key, ref EdgeInput input, ref GraphValue value, ref GraphValue output, ref RMWInfo rmwInfo)
    {
        EdgeFold.Initial(ref value, ref input);
        return true;
    }

    public override void PostInitialUpdater(ref GraphKey key, ref EdgeInput input, ref GraphValue value, ref GraphValue output, ref RMWInfo rmwInfo) => Created++;

    public override bool InPlaceUpdater(ref GraphKey key, ref EdgeInput input, ref GraphValue value, ref GraphValue output, ref RMWInfo rmwInfo)
    {
        EdgeFold.Add(ref value, ref input);
        return true;
    }

    public override bool CopyUpdater(ref GraphKey key, ref EdgeInput input, ref GraphValue oldValue, ref GraphValue newValue, ref GraphValue output, ref RMWInfo rmwInfo)
    {
        newValue = oldValue;
        EdgeFold.Add(ref newValue, ref input);
        return true;
    }

    public override bool SingleReader(ref GraphKey key, ref EdgeInput input, ref GraphValue value, ref GraphValue dst, ref ReadInfo readInfo)
    {
        dst = value;
        return true;
    }

    public override bool ConcurrentReader(ref GraphKey key, ref EdgeInput input, ref GraphValue value, ref GraphValue dst, ref ReadInfo readInfo)
    {
        dst = value;
        return true;
    }
}

using System.Collections.Concurrent;

namespace Redoubt.Graph.Engine;

/// <summary>
/// Why an edge exists: the id of an event (its log address, always positive) or of an import
/// (stored negated). Zero is "no evidence" (an edge written by code that had none to give).
/// </summary>
public readonly record struct Evidence(long Raw)
{
    public static Evidence Event(long eventId) =>
        eventId > 0 ? new(eventId) : throw new ArgumentOutOfRangeException(nameof(eventId), "event ids are positive log addresses");

    public static Evidence Import(int importId) =>
        importId > 0 ? new(-(long)importId) : throw new ArgumentOutOfRangeException(nameof(importId), "import ids start at 1");

    public static readonly Evidence None = new(0);

    public bool IsEvent => Raw > 0;
    public bool IsImport => Raw < 0;
    public long EventId => Raw;
    public int ImportId => (int)-Raw;
}

/// <summary>
/// The evidence an edge keeps beyond the one that created it: the most recent distinct ids, bounded.
/// Only edges seen more than once have one. Writer and readers lock it; readers only touch it when
/// rendering a result, never while traversing.
/// </summary>
internal sealed class EvidenceRing
{
    /// <summary>Recent ids kept besides the first; with the first, an edge shows up to 8 sources.</summary>
    public const int Capacity = 7;

    private readonly long[] _items = new long[Capacity];
    private int _next;
    private int _count;

    public void Add(long raw)
    {
        lock (_items)
        {
            for (var i = 0; i < _count; i++) if (_items[i] == raw) return;
            _items[_next] = raw;
            _next = (_next + 1) % Capacity;
            if (_count < Capacity) _count++;
        }
    }

    /// <summary>Oldest first.</summary>
    public long[] ToArray()
    {
        lock (_items)
        {
            var result = new long[_count];
            var start = _count < Capacity ? 0 : _next;
            for (var i = 0; i < _count; i++) result[i] = _items[(start + i) % Capacity];
            return result;
        }
    }

    /// <summary>The newest id, or 0.</summary>
    public long Newest()
    {
        lock (_items) return _count == 0 ? 0 : _items[(_next + Capacity - 1) % Capacity];
    }

    public EvidenceRing Clone()
    {
        var copy = new EvidenceRing();
        foreach (var raw in ToArray()) copy.Add(raw);
        return copy;
    }
}

/// <summary>One compaction generation of the edges: the CSR base, the delta since, and the extra evidence keyed by this generation's edge ids.</summary>
internal sealed class EdgeStore(EdgeBase @base, EdgeDelta delta, ConcurrentDictionary<int, EvidenceRing> extraEvidence)
{
    public readonly EdgeBase Base = @base;
    public readonly EdgeDelta Delta = delta;
    public readonly ConcurrentDictionary<int, EvidenceRing> ExtraEvidence = extraEvidence;

    public int Count => Base.Count + Delta.Count;

    public ref int Seen(int e) => ref e < Base.Count ? ref Base.Seen[e] : ref Delta.Seen[e - Base.Count];
    public ref long FirstSeen(int e) => ref e < Base.Count ? ref Base.FirstSeen[e] : ref Delta.FirstSeen[e - Base.Count];
    public ref long LastSeen(int e) => ref e < Base.Count ? ref Base.LastSeen[e] : ref Delta.LastSeen[e - Base.Count];
    public ref long FirstEvidence(int e) => ref e < Base.Count ? ref Base.Evidence[e] : ref Delta.Evidence[e - Base.Count];
    public int Source(int e) => e < Base.Count ? Base.Source[e] : Delta.Source[e - Base.Count];
    public int Target(int e) => e < Base.Count ? Base.OutTarget[e] : Delta.Target[e - Base.Count];
    public byte Type(int e) => e < Base.Count ? Base.Type[e] : Delta.Type[e - Base.Count];
}

namespace Redoubt.Storage.Events;

/// <summary>
/// The records of the latest appends, kept in memory so the reader that tails the log (the fan-out to
/// detection and the graph) takes them as they were appended instead of decoding its own copy of each
/// entry again (the decode and its allocations were ~9 % of the appliance's CPU per syslog event). It
/// still learns from the log which entries are committed; only the record comes from here. A bounded
/// single-producer (the appender, as it enqueues) / single-consumer ring: when it is full, new records
/// are not kept and the reader decodes those from the log as before.
/// </summary>
/// <remarks>
/// Only records that decode to what they are in memory are kept: MessagePack writes strings as UTF-8,
/// which turns a lone UTF-16 surrogate into U+FFFD, so a record holding any surrogate is left to the
/// decode (rare: emoji and such). Every other field (numbers, null vs empty, dictionaries in their
/// enumeration order, bytes) comes back from the codec as it went in.
/// </remarks>
internal sealed class CommittedTail
{
    private readonly struct Entry(long id, EventRecord record)
    {
        public readonly long Id = id;
        public readonly EventRecord? Record = record;
    }

    private readonly Entry[] _ring;
    private readonly int _mask;
    private long _head; // next slot the consumer reads; written by the consumer only
    private long _tail; // next slot the producer writes; written by the producer only
    private long _validFrom; // slots below are void (a reopened log reuses the addresses of uncommitted entries)
    private int _owned;

    /// <param name="capacity">Records kept at most (rounded up to a power of two).</param>
    public CommittedTail(int capacity)
    {
        var size = (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(2, capacity));
        _ring = new Entry[size];
        _mask = size - 1;
    }

    public int Capacity => _ring.Length;

    /// <summary>
    /// Producer: keeps the record enqueued at <paramref name="id"/> (ids in increasing order). False when
    /// not kept: full, no reader tails the log (nothing would take it), or it would not decode the same.
    /// </summary>
    public bool TryAdd(long id, EventRecord record)
    {
        if (Volatile.Read(ref _owned) == 0) return false;
        var tail = _tail;
        if (tail - Volatile.Read(ref _head) >= _ring.Length) return false;
        if (!RoundTrips(record)) return false;
        _ring[tail & _mask] = new Entry(id, record);
        Volatile.Write(ref _tail, tail + 1);
        return true;
    }

    /// <summary>
    /// Consumer: the record of <paramref name="id"/> if it is kept, dropping kept records of lower ids
    /// (the reader has passed them). Null when it is not kept: decode it from the log.
    /// </summary>
    public EventRecord? TryTake(long id)
    {
        var head = _head;
        var tail = Volatile.Read(ref _tail);
        var validFrom = Volatile.Read(ref _validFrom);
        for (; head < validFrom; head++) _ring[head & _mask] = default;
        EventRecord? found = null;
        while (head < tail)
        {
            ref var slot = ref _ring[head & _mask];
            if (slot.Id > id) break;
            if (slot.Id == id) found = slot.Record;
            slot = default;
            head++;
            if (found is not null) break;
        }
        Volatile.Write(ref _head, head);
        return found;
    }

    /// <summary>
    /// Producer: forgets every record kept so far. Records are kept as they are enqueued, before their
    /// commit (the reader learns of a commit at the same moment as the appender, so keeping them after it
    /// would race the reader); when a commit fails, the reopened log hands the same addresses to new entries.
    /// </summary>
    public void Invalidate() => Volatile.Write(ref _validFrom, _tail);

    /// <summary>Only one reader may take from the tail; others read the log. True when the caller is now that reader.</summary>
    public bool TryOwn() => Interlocked.CompareExchange(ref _owned, 1, 0) == 0;

    /// <summary>The reader stops: what is kept is let go (a later reader would only pass over it).</summary>
    public void Release()
    {
        TryTake(long.MaxValue);
        Volatile.Write(ref _owned, 0);
    }

    /// <summary>Whether the codec gives back exactly this record (no string holds a UTF-16 surrogate).</summary>
    internal static bool RoundTrips(EventRecord r)
    {
        if (Surrogate(r.Sender) || Surrogate(r.Host) || Surrogate(r.App) || Surrogate(r.ProcId) || Surrogate(r.MsgId)
            || Surrogate(r.StructuredData) || Surrogate(r.Message) || Surrogate(r.Json) || Surrogate(r.ParseError)
            || Surrogate(r.Source) || Surrogate(r.Format) || Surrogate(r.Batch?.Key))
            return false;
        return Clean(r.Fields) && Clean(r.Tags);
    }

    private static bool Clean(Dictionary<string, string>? map)
    {
        if (map is null) return true;
        foreach (var (key, value) in map)
            if (Surrogate(key) || Surrogate(value)) return false;
        return true;
    }

    private static bool Surrogate(string? s) => s is not null && s.AsSpan().ContainsAnyInRange('\uD800', '\uDFFF');
}

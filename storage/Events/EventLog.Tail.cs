using FASTER.core;

namespace Redoubt.Storage.Events;

public sealed partial class EventLog
{
    /// <summary>Records of the latest commits for the one reader tailing the log (<see cref="ReadCommittedAsync"/>).</summary>
    private readonly CommittedTail? _tail;

    /// <summary>Committed records the tailing reader took from memory / decoded from the log (for tests and /api/v1/stats).</summary>
    public long TailTaken => Interlocked.Read(ref _tailTaken);
    public long TailDecoded => Interlocked.Read(ref _tailDecoded);
    private long _tailTaken, _tailDecoded;

    /// <summary>
    /// The next committed event of a tailing scan: the appender's own record when the tail still holds it
    /// (<paramref name="fromTail"/>), otherwise decoded (and CRC-checked) from the log. The entry is read
    /// in place (no copy) unless it must be decoded.
    /// </summary>
    private unsafe bool TryNextCommitted(FasterLogScanIterator iterator, bool fromTail, out StoredEvent stored)
    {
        if (!iterator.UnsafeGetNext(out var entry, out var length, out var address, out var next))
        {
            stored = default;
            return false;
        }
        byte[] copy;
        try
        {
            if (fromTail && _tail!.TryTake(address) is { } kept)
            {
                _tailTaken++;
                stored = new StoredEvent(address, kept, next);
                return true;
            }
            copy = new ReadOnlySpan<byte>(entry, length).ToArray();
        }
        finally { iterator.UnsafeRelease(); }
        _tailDecoded++;
        stored = new StoredEvent(address, EventCodec.Decode(copy, address), next);
        return true;
    }

    /// <summary>The appender, as it enqueues: once committed, the tailing reader may take this record instead of decoding it.</summary>
    private void KeepEnqueued(long id, EventRecord record) => _tail?.TryAdd(id, record);
}

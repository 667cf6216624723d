namespace Redoubt.Ingest;

/// <summary>
/// The overall bound on ingest memory: bytes that listeners have taken in and that are not yet
/// durable. Every listener takes its share before appending and gives it back once the append
/// completes, so when the store falls behind this fills up and listeners give their protocol's
/// busy signal instead of buffering without end (HTTP 503 + Retry-After, forward withholds its
/// ack, TCP syslog stops reading). Per-connection buffers are bounded by each protocol's own limits.
/// </summary>
public sealed class IngestBudget(long capacityBytes)
{
    private readonly Lock _gate = new();
    private long _used;
    private TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public long CapacityBytes { get; } = capacityBytes;
    public long UsedBytes { get { lock (_gate) return _used; } }

    /// <summary>
    /// Takes <paramref name="bytes"/> if they fit. An empty budget admits anything, so a unit larger
    /// than the whole budget still makes progress (start-up validation keeps that from happening).
    /// </summary>
    public bool TryAcquire(long bytes)
    {
        lock (_gate)
        {
            if (_used > 0 && _used + bytes > CapacityBytes) return false;
            _used += bytes;
            return true;
        }
    }

    /// <summary>Waits up to <paramref name="wait"/> (infinite: <see cref="Timeout.InfiniteTimeSpan"/>) for room; false when none came.</summary>
    public async ValueTask<bool> AcquireAsync(long bytes, TimeSpan wait, CancellationToken cancellationToken)
    {
        var deadline = wait == Timeout.InfiniteTimeSpan ? DateTime.MaxValue : DateTime.UtcNow + wait;
        while (true)
        {
            Task released;
            lock (_gate)
            {
                if (_used == 0 || _used + bytes <= CapacityBytes)
                {
                    _used += bytes;
                    return true;
                }
                released = _released.Task;
            }
            var left = deadline == DateTime.MaxValue ? Timeout.InfiniteTimeSpan : deadline - DateTime.UtcNow;
            if (left != Timeout.InfiniteTimeSpan && left <= TimeSpan.Zero) return false;
            try { await released.WaitAsync(left, cancellationToken).ConfigureAwait(false); }
            catch (TimeoutException) { return false; }
        }
    }

    /// <summary>
    /// Charges bytes of work already admitted (the rest of a batch that started): never refused, so a
    /// batch once begun is finished rather than wasted, and two half-read batches cannot wait on each
    /// other. New work is refused while the budget is over; memory can exceed the capacity by the
    /// remainder of batches in progress (each bounded by its own limit).
    /// </summary>
    public void Charge(long bytes)
    {
        lock (_gate) _used += bytes;
    }

    public void Release(long bytes)
    {
        if (bytes == 0) return;
        TaskCompletionSource wake;
        lock (_gate)
        {
            _used -= bytes;
            wake = _released;
            _released = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        wake.TrySetResult();
    }
}

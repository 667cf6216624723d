using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics;
using FASTER.core;
using Microsoft.Extensions.Logging;

namespace Redoubt.Storage.Events;

public sealed partial class EventLog
{
    /// <summary>
    /// Appends a batch and completes once every event of it is durable (covered by a commit).
    /// Waits for queue space when the appender is behind: that is the backpressure producers feel.
    /// Throws <see cref="EventLogUnavailableException"/> (with a stable code) while the log takes no writes.
    /// </summary>
    public async ValueTask<AppendResult> AppendAsync(IReadOnlyList<EventRecord> batch, CancellationToken cancellationToken = default)
    {
        var durable = await BeginAppendAsync(batch, cancellationToken).ConfigureAwait(false);
        return await durable.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Queues a batch and returns once it is in the appender's queue (in call order, behind every batch
    /// queued before it), with the task that completes when the batch is durable. A stream producer can
    /// read on while earlier batches commit, and keep their order in the log.
    /// </summary>
    public async ValueTask<Task<AppendResult>> BeginAppendAsync(IReadOnlyList<EventRecord> batch, CancellationToken cancellationToken = default)
    {
        ThrowIfUnavailable();
        var request = new AppendRequest(batch, acknowledged: true);
        await _queue.Writer.WriteAsync(request, cancellationToken).ConfigureAwait(false);
        return request.Completion!.Task;
    }

    /// <summary>
    /// Hands one event to the appender without waiting for durability (UDP: nothing to acknowledge).
    /// False when the queue is full or the log takes no writes: the caller counts it as dropped.
    /// </summary>
    public bool TryAppend(EventRecord record)
    {
        if (!_health.IsOk) return false;
        return _queue.Writer.TryWrite(new AppendRequest([record], acknowledged: false));
    }

    private void ThrowIfUnavailable()
    {
        var h = _health;
        if (!h.IsOk) throw new EventLogUnavailableException(h.Code!, h.Reason!);
    }

    /// <summary>Runs <paramref name="action"/> on the appender between two commits (retention, backup): nothing else writes meanwhile.</summary>
    private async Task<T> RunOnAppenderAsync<T>(Func<Generation, Task<T>> action, CancellationToken cancellationToken)
    {
        var request = new ControlRequest(async g => await action(g).ConfigureAwait(false));
        await _queue.Writer.WriteAsync(request, cancellationToken).ConfigureAwait(false);
        return (T)(await request.Completion.Task.WaitAsync(cancellationToken).ConfigureAwait(false))!;
    }

    private async Task AppendLoop()
    {
        var reader = _queue.Reader;
        var buffer = new ArrayBufferWriter<byte>(64 * 1024);
        var taken = new List<AppendRequest>();
        var waiter = new ReadWaiter(reader);
        while (true)
        {
            CheckDisk();
            if (_health.State == StoreState.Failed) TryReopen();

            if (!reader.TryPeek(out _))
            {
                var ready = await waiter.WaitAsync(_options.DiskCheckInterval).ConfigureAwait(false);
                if (ready == false) break; // completed and drained
                if (ready is null) continue; // tick: check the disk again
                CheckDisk();
            }

            taken.Clear();
            var events = 0;
            ControlRequest? control = null;
            var batchStart = Stopwatch.GetTimestamp();
            while (true)
            {
                while (events < _options.CommitMaxEvents && control is null && reader.TryRead(out var request))
                {
                    if (request is ControlRequest c) { control = c; break; }
                    var append = (AppendRequest)request;
                    if (!_health.IsOk) { Reject(append); continue; }
                    if (!Encode(append, buffer)) continue;
                    if (!EnqueueAll(append, buffer)) { Reject(append); continue; }
                    taken.Add(append);
                    events += append.Events.Count;
                }
                if (control is not null || events >= _options.CommitMaxEvents || taken.Count == 0) break;
                var remaining = _options.CommitDelay - Stopwatch.GetElapsedTime(batchStart);
                if (remaining <= TimeSpan.Zero) break;
                if (await waiter.WaitAsync(remaining).ConfigureAwait(false) != true) break;
            }

            try
            {
                if (taken.Count > 0) await CommitAndAckAsync(taken, events).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                // A bug past the commit (index, counters) must not stop the appender: fail the
                // generation, which reopens it from the last commit and re-indexes from the log.
                _logger?.LogCritical(e, "event log: unexpected error after a commit");
                Fail(e);
                foreach (var r in taken) Reject(r);
            }
            if (control is not null) await RunControlAsync(control).ConfigureAwait(false);
        }
    }

    /// <summary>Encodes every event of the request before any is enqueued, so a bad event fails its batch whole.</summary>
    private bool Encode(AppendRequest request, ArrayBufferWriter<byte> buffer)
    {
        buffer.ResetWrittenCount();
        var ends = new int[request.Events.Count];
        try
        {
            for (var i = 0; i < ends.Length; i++)
            {
                var before = buffer.WrittenCount;
                EventCodec.Encode(request.Events[i], buffer);
                var size = buffer.WrittenCount - before;
                if (size > MaxEntryBytes)
                    throw new ArgumentException($"event {i + 1} of the batch is {size} bytes encoded, over the log's {MaxEntryBytes}-byte entry limit");
                ends[i] = buffer.WrittenCount;
            }
        }
        catch (Exception e) when (e is ArgumentException or MessagePack.MessagePackSerializationException)
        {
            request.Completion?.TrySetException(e);
            return false;
        }
        request.EncodedEnds = ends;
        return true;
    }

    /// <summary>Enqueues the encoded entries; false (and the generation fails) when FasterLog cannot take them.</summary>
    private bool EnqueueAll(AppendRequest request, ArrayBufferWriter<byte> buffer)
    {
        var log = _gen.Log;
        var ends = request.EncodedEnds!;
        var ids = new long[ends.Length];
        var start = 0;
        try
        {
            for (var i = 0; i < ends.Length; i++)
            {
                var entry = buffer.WrittenSpan[start..ends[i]];
                ids[i] = Enqueue(log, entry);
                if (i == ends.Length - 1) request.LastCrc = BinaryPrimitives.ReadUInt32LittleEndian(entry);
                KeepEnqueued(ids[i], request.Events[i]);
                // Entry = 4-byte length header + payload padded to 4 bytes (FASTER-NOTES 2.3).
                request.Ends ??= new long[ends.Length];
                request.Ends[i] = ids[i] + 4 + ((entry.Length + 3) & ~3);
                start = ends[i];
            }
        }
        catch (Exception e) when (e is IOException or FasterException or CommitFailureException)
        {
            Fail(e);
            return false;
        }
        request.Ids = ids;
        return true;
    }

    /// <summary>
    /// Enqueue spins while every page of log memory waits for its flush. A flush that can never
    /// finish (a failed device) would spin for ever: give up after a while and fail the generation.
    /// </summary>
    private static long Enqueue(FasterLog log, ReadOnlySpan<byte> entry)
    {
        if (log.TryEnqueue(entry, out var address)) return address;
        var started = Stopwatch.GetTimestamp();
        while (!log.TryEnqueue(entry, out address))
        {
            if (Stopwatch.GetElapsedTime(started) > TimeSpan.FromSeconds(10))
                throw new IOException("log memory stayed full for 10 s: its pages cannot be flushed to disk");
            Thread.Yield();
        }
        return address;
    }

    private async Task CommitAndAckAsync(List<AppendRequest> taken, int events)
    {
        var gen = _gen;
        var started = Stopwatch.GetTimestamp();
        try
        {
            await gen.Log.CommitStronglyAsync(Cookie).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            Fail(e);
            foreach (var r in taken) Reject(r);
            return;
        }
        Commits.Committed(events, (long)Stopwatch.GetElapsedTime(started).TotalMicroseconds);

        foreach (var request in taken)
        {
            for (var i = 0; i < request.Ids!.Length; i++)
            {
                _index.Observe(request.Ids[i], request.Ends![i], request.Events[i]);
                Stats.Count(request.Events[i]);
                Committed(request.Ids[i], request.Events[i]);
            }
            if (request.Ids.Length > 0) (_lastEntry, _lastEntryCrc) = (request.Ids[^1], request.LastCrc);
        }
        _index.Publish();
        var now = Stopwatch.GetTimestamp();
        foreach (var request in taken)
        {
            if (request.Completion is null) continue;
            Commits.AckMicros.Record((long)Stopwatch.GetElapsedTime(request.QueuedAt, now).TotalMicroseconds);
            request.Completion.TrySetResult(new AppendResult(request.Ids!));
        }
        MaybeCheckpointState(events);
    }

    private async Task RunControlAsync(ControlRequest control)
    {
        try { control.Completion.TrySetResult(await control.Action(_gen).ConfigureAwait(false)); }
        catch (Exception e) { control.Completion.TrySetException(e); }
    }

    private void Reject(AppendRequest request)
    {
        var h = _health;
        request.Completion?.TrySetException(new EventLogUnavailableException(h.Code ?? StoreHealth.FailedCode, h.Reason ?? "event log is not accepting writes"));
    }

    /// <summary>Below the reserve: refuse writes; back above it: take them again (unless a failure needs a reopen first).</summary>
    private void CheckDisk()
    {
        var low = _disk.Refresh();
        var h = _health;
        if (low && h.State == StoreState.Ok) EnterDiskFull();
        else if (!low && h.State == StoreState.DiskFull)
        {
            _health = StoreHealth.Healthy(_clock.GetUtcNow());
            _logger?.LogInformation("event log: free space is back ({Free:N0} bytes); taking writes again", _disk.FreeBytes);
        }
    }

    private void EnterDiskFull()
    {
        _health = new StoreHealth(StoreState.DiskFull, StoreHealth.DiskFullCode, _disk.Describe(), _clock.GetUtcNow());
        _logger?.LogError("event log: {Reason}", _health.Reason);
        try { DiskFull?.Invoke(); }
        catch (Exception e) { _logger?.LogError(e, "event log: a disk-full handler failed"); }
    }

    private long _failedAt;

    /// <summary>A commit or flush failed: everything since the last commit is unacknowledged and will be discarded by the reopen.</summary>
    private void Fail(Exception e)
    {
        Commits.Failed();
        var full = _disk.Refresh(force: true) || _disk.FreeBytes == 0 || e.InnerException is IOException { HResult: 28 };
        var reason = full
            ? $"disk full: a commit failed with {_disk.FreeBytes:N0} bytes free on the filesystem of {Directory}; " +
              "writes resume by themselves once space is freed"
            : $"a commit failed ({e.Message}); the log reopens from its last good commit and retries";
        if (_health.State != StoreState.Failed)
            _logger?.LogError(e, "event log: {Reason}", reason);
        _health = new StoreHealth(StoreState.Failed, full ? StoreHealth.DiskFullCode : StoreHealth.FailedCode, reason, _clock.GetUtcNow());
        _failedAt = Stopwatch.GetTimestamp();
        if (full) { try { DiskFull?.Invoke(); } catch (Exception x) { _logger?.LogError(x, "event log: a disk-full handler failed"); } }
    }

    /// <summary>
    /// Retires the failed FasterLog and recovers a new one from the same files. Waits a second after
    /// the failure (so the old instance's last flushes have finished) and for room on the disk.
    /// </summary>
    private void TryReopen()
    {
        if (Stopwatch.GetElapsedTime(_failedAt) < TimeSpan.FromSeconds(1)) return;
        if (_disk.Refresh(force: true) || _disk.FreeBytes == 0) return;
        var old = _gen;
        FasterLog fresh;
        try { fresh = OpenFasterLog(); }
        catch (Exception e)
        {
            _logger?.LogWarning("event log: reopen failed ({Error}); retrying", e.Message);
            _failedAt = Stopwatch.GetTimestamp();
            return;
        }
        var recovered = fresh.CommittedUntilAddress;
        if (recovered < _index.End)
        {
            // Cannot happen unless the disk lost acknowledged writes: stay failed, loudly.
            fresh.Dispose();
            _health = new StoreHealth(StoreState.Failed, StoreHealth.FailedCode,
                $"after a failed commit the log recovered only up to {recovered}, below the {_index.End} already acknowledged; restart and check the disk", _clock.GetUtcNow());
            _failedAt = long.MaxValue / 2;
            _logger?.LogCritical("event log: {Reason}", _health.Reason);
            return;
        }
        if (recovered > _index.End)
        {
            // A commit reported failed did reach the disk: index those events (never acknowledged, but stored).
            var last = VerifyRange(fresh, _index.End, recovered, (address, end, e) => { _index.Observe(address, end, e); Stats.Count(e); Committed(address, e); });
            if (last.Address >= 0) (_lastEntry, _lastEntryCrc) = last;
            _index.Publish();
        }
        _tail?.Invalidate(); // before the new generation commits anything at the addresses of the lost entries
        _gen = new Generation(fresh, old.Number + 1);
        old.Closed.Cancel();
        old.Log.Dispose();
        _health = _disk.IsLow
            ? new StoreHealth(StoreState.DiskFull, StoreHealth.DiskFullCode, _disk.Describe(), _clock.GetUtcNow())
            : StoreHealth.Healthy(_clock.GetUtcNow());
        _index.PersistPending();
        _logger?.LogInformation("event log: reopened from its last commit at {Address} (generation {Generation}); taking writes again", recovered, old.Number + 1);
    }

    private abstract class Request
    {
        public long QueuedAt { get; } = Stopwatch.GetTimestamp();
    }

    private sealed class AppendRequest(IReadOnlyList<EventRecord> events, bool acknowledged) : Request
    {
        public IReadOnlyList<EventRecord> Events { get; } = events;
        public int[]? EncodedEnds { get; set; }
        public long[]? Ids { get; set; }
        public long[]? Ends { get; set; }
        /// <summary>Our CRC of the request's last entry (a state checkpoint names the entry it was taken after).</summary>
        public uint LastCrc { get; set; }
        /// <summary>Null for fire-and-forget writes (UDP): nobody waits, so nothing to allocate.</summary>
        public TaskCompletionSource<AppendResult>? Completion { get; } =
            acknowledged ? new(TaskCreationOptions.RunContinuationsAsynchronously) : null;
    }

    private sealed class ControlRequest(Func<Generation, Task<object?>> action) : Request
    {
        public Func<Generation, Task<object?>> Action { get; } = action;
        public TaskCompletionSource<object?> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>
    /// WaitToReadAsync with a timeout, without abandoning waits on the channel: a wait that timed out
    /// is kept and reused by the next call.
    /// </summary>
    private sealed class ReadWaiter(System.Threading.Channels.ChannelReader<Request> reader)
    {
        private Task<bool>? _pending;

        /// <summary>True: items ready; false: channel completed; null: timed out.</summary>
        public async Task<bool?> WaitAsync(TimeSpan timeout)
        {
            _pending ??= reader.WaitToReadAsync().AsTask();
            if (!_pending.IsCompleted)
            {
                using var cts = new CancellationTokenSource();
                var delay = Task.Delay(timeout, cts.Token);
                if (await Task.WhenAny(_pending, delay).ConfigureAwait(false) != _pending) return null;
                cts.Cancel();
            }
            var result = await _pending.ConfigureAwait(false);
            _pending = null;
            return result;
        }
    }
}

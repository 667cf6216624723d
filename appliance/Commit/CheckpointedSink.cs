using System.Threading.Channels;
using Redoubt.Storage.Checkpoints;
using Redoubt.Storage.Events;

namespace Redoubt.Commit;

public sealed class CheckpointSchedule
{
    /// <summary>A checkpoint is taken this long after the first event it would cover...</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(60);
    /// <summary>...or once this many events are applied but not checkpointed (bounds replay at start).</summary>
    public long AfterEvents { get; init; } = 1_000_000;
    /// <summary>Events the fan-out may hand over before it waits for this sink.</summary>
    public int QueueCapacity { get; init; } = 16_384;
}

/// <summary>
/// A sink whose state lives in a checkpointed store (<see cref="ICheckpointedStore"/>, e.g. a
/// <see cref="DerivedKvStore{TKey,TValue}"/>): graph extraction, detection and rule state. Events
/// from the fan-out go through a bounded queue to this sink's own task, which applies them, marks
/// them applied, and checkpoints on the schedule, when idle, and at shutdown. Checkpoints pause only
/// this sink, not the fan-out or the other sinks. The store's checkpoint carries the applied
/// address, and <see cref="ResumeFrom"/> hands it to the fan-out, so after a crash the events after
/// the last checkpoint are replayed: none lost, none applied twice.
/// </summary>
public abstract class CheckpointedSink : IEventSink, IAsyncDisposable
{
    private readonly ICheckpointedStore _store;
    private readonly CheckpointSchedule _schedule;
    private readonly ILogger _logger;
    private readonly Channel<Item> _queue;
    private readonly Task _applier;
    private long _failures, _sinceCheckpoint;
    private DateTime _firstUncheckpointedAt;
    private int _disposed;

    protected CheckpointedSink(ICheckpointedStore store, CheckpointSchedule schedule, ILogger logger)
    {
        _store = store;
        _schedule = schedule;
        _logger = logger;
        _queue = Channel.CreateBounded<Item>(new BoundedChannelOptions(schedule.QueueCapacity)
        {
            SingleReader = true,
            SingleWriter = false, // the fan-out, and now and then a job (RunAfterCheckpointAsync)
            FullMode = BoundedChannelFullMode.Wait,
        });
        _applier = Task.Factory.StartNew(ApplyLoop, TaskCreationOptions.LongRunning).Unwrap();
    }

    public abstract string Name { get; }
    public long ResumeFrom => _store.ResumeFrom;
    /// <summary>First event address this sink has not applied (it may lag the fan-out by its queue).</summary>
    public long AppliedUntil => _store.AppliedUntil;
    /// <summary>
    /// The event log must keep every event from here on (the latest durable checkpoint's address), or
    /// a restart cannot replay what this sink has not checkpointed. 0 = keep everything.
    /// </summary>
    public long RetentionFloor => _store.CheckpointedUntil;
    public long Failures => Interlocked.Read(ref _failures);
    /// <summary>Store-specific figures for /api/v1/stats.</summary>
    public virtual IReadOnlyDictionary<string, long> Counters => new Dictionary<string, long>();

    /// <summary>Applies one event to the store, on this sink's task. Must be deterministic: a replay applies it again to the checkpointed state.</summary>
    protected abstract void ApplyToStore(in StoredEvent stored);

    public void Apply(in StoredEvent stored)
    {
        var item = new Item(stored, null);
        if (_queue.Writer.TryWrite(item)) return;
        // Full: the store is behind (or checkpointing). Holding the fan-out here is the backpressure.
        _queue.Writer.WriteAsync(item).AsTask().GetAwaiter().GetResult();
    }

    /// <summary>
    /// Runs <paramref name="job"/> on this sink's task after the events queued before it, with a checkpoint
    /// of everything applied taken first: while it runs nothing is applied to the store, so the job sees
    /// the store exactly as checkpointed (an online backup copies its files). Events queue up meanwhile.
    /// </summary>
    public async Task RunAfterCheckpointAsync(Func<Task> job, CancellationToken cancellationToken)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await _queue.Writer.WriteAsync(new Item(default, async () =>
        {
            try
            {
                if (_sinceCheckpoint > 0)
                {
                    await _store.CheckpointAsync().ConfigureAwait(false); // a failure here fails the job, not the sink
                    _sinceCheckpoint = 0;
                }
                await job().ConfigureAwait(false);
                done.TrySetResult();
            }
            catch (Exception e) { done.TrySetException(e); }
        }), cancellationToken).ConfigureAwait(false);
        await done.Task.ConfigureAwait(false); // not abandoned mid-copy: the job sees the token itself
    }

    /// <summary>An event to apply, or a job to run between two events.</summary>
    private readonly record struct Item(StoredEvent Event, Func<Task>? Job);

    private async Task ApplyLoop()
    {
        var reader = _queue.Reader;
        while (true)
        {
            if (!reader.TryRead(out var item))
            {
                _store.Idle();
                if (!await WaitForEventOrCheckpointDueAsync(reader).ConfigureAwait(false)) break;
                continue;
            }
            if (item.Job is { } job)
            {
                await job().ConfigureAwait(false); // reports through its own task, never throws
                continue;
            }
            var stored = item.Event;
            try
            {
                ApplyToStore(stored);
            }
            catch (Exception e)
            {
                // Counted and skipped, as the fan-out does: a replay meets the same event and the same error.
                Interlocked.Increment(ref _failures);
                _logger.LogError(e, "sink {Sink} failed on event {Id}", Name, stored.Id);
            }
            _store.MarkApplied(stored.NextId);
            if (_sinceCheckpoint++ == 0) _firstUncheckpointedAt = DateTime.UtcNow;
            if (_sinceCheckpoint >= _schedule.AfterEvents) await CheckpointAsync().ConfigureAwait(false);
        }
        await CheckpointAsync().ConfigureAwait(false);
    }

    /// <summary>Waits for the next event; takes the scheduled checkpoint when it falls due first. False when the queue is closed and empty.</summary>
    private async Task<bool> WaitForEventOrCheckpointDueAsync(ChannelReader<Item> reader)
    {
        while (true)
        {
            if (_sinceCheckpoint == 0) return await reader.WaitToReadAsync().ConfigureAwait(false);
            var due = _firstUncheckpointedAt + _schedule.Interval - DateTime.UtcNow;
            if (due <= TimeSpan.Zero)
            {
                await CheckpointAsync().ConfigureAwait(false);
                continue;
            }
            using var timer = new CancellationTokenSource(due);
            try { return await reader.WaitToReadAsync(timer.Token).ConfigureAwait(false); }
            catch (OperationCanceledException) { }
        }
    }

    private async Task CheckpointAsync()
    {
        if (_sinceCheckpoint == 0) return;
        try
        {
            await _store.CheckpointAsync().ConfigureAwait(false);
            _sinceCheckpoint = 0;
        }
        catch (Exception e)
        {
            // Nothing is lost (the log still holds every event after the previous checkpoint); retry at the next interval.
            _firstUncheckpointedAt = DateTime.UtcNow;
            _logger.LogError(e, "sink {Sink}: checkpoint failed; will retry", Name);
        }
    }

    /// <summary>Applies what is queued, takes the final checkpoint, then stops. Call after the fan-out stopped.</summary>
    public virtual async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _queue.Writer.TryComplete();
        await _applier.ConfigureAwait(false);
        GC.SuppressFinalize(this);
    }
}

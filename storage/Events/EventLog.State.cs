using System.Buffers.Binary;
using System.Diagnostics;
using FASTER.core;
using Microsoft.Extensions.Logging;

namespace Redoubt.Storage.Events;

/// <summary>What the open did to rebuild <see cref="EventLogOptions.State"/>.</summary>
/// <param name="CheckpointCovered">Address the loaded checkpoint covered, or -1 when none was used.</param>
/// <param name="Replayed">Events read from the log into the state (after the checkpoint, or of the recover window).</param>
/// <param name="Ignored">Why a checkpoint file was not used, when there was one.</param>
public sealed record LogStateRecovery(long CheckpointCovered, long Replayed, string? Ignored, double Millis);

public sealed partial class EventLog
{
    // The last committed entry (appender and open only): its address and CRC go into a state
    // checkpoint, so an open can tell the checkpoint belongs to these log bytes.
    private long _lastEntry = -1;
    private uint _lastEntryCrc;
    // The newest state checkpoint written or being written covers the log up to here.
    private long _stateCovered = -1;
    private long _stateEventsSince;
    private long _stateCapturedAt;
    private Task _stateWrite = Task.CompletedTask;
    private volatile bool _stateWriteFailing;
    private long _stateCheckpoints;
    private long _stateCheckpointBytes;

    /// <summary>How the open rebuilt <see cref="EventLogOptions.State"/> (null without one).</summary>
    public LogStateRecovery? StateRecovery { get; private set; }
    /// <summary>State checkpoints written since the open, and the size of the last one.</summary>
    public long StateCheckpoints => Interlocked.Read(ref _stateCheckpoints);
    public long StateCheckpointBytes => Interlocked.Read(ref _stateCheckpointBytes);

    /// <summary>
    /// Loads the state's checkpoint and replays the events committed after it; without a checkpoint
    /// that fits this log, replays the recover window instead (what every open did before checkpoints).
    /// </summary>
    private void RecoverState(ILogState state)
    {
        var started = Stopwatch.GetTimestamp();
        var log = _gen.Log;
        var committed = log.CommittedUntilAddress;
        var cutoff = _clock.GetUtcNow().ToUnixTimeMilliseconds() - (long)_options.RecoverWindow.TotalMilliseconds;
        var windowFrom = WindowStart(cutoff);
        var checkpoint = LogStateFile.Read(Directory, out var ignored);
        if (checkpoint is not null) ignored = Unfit(log, checkpoint, windowFrom);
        long replayed = -1;
        if (checkpoint is not null && ignored is null)
        {
            try
            {
                state.Load(checkpoint.Payload);
                replayed = ReplayInto(state, checkpoint.Covered, committed, cutoff: long.MinValue);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // An unreadable payload, or a damaged log after the checkpoint: start over from the
                // window, whose replay reads the same range again and reports real damage itself.
                ignored = "it could not be applied: " + e.Message;
                state.Clear();
                replayed = -1;
            }
        }
        var used = replayed >= 0;
        if (!used)
        {
            if (checkpoint is not null || ignored is not null)
                _logger?.LogWarning("event log: state checkpoint {File} ignored ({Why}); rebuilding from the last {Window} of the log", LogStateFile.FileName, ignored, _options.RecoverWindow);
            replayed = ReplayInto(state, windowFrom, committed, cutoff);
        }
        else
        {
            _stateCovered = checkpoint!.Covered;
        }
        state.Recovered();
        StateRecovery = new LogStateRecovery(used ? checkpoint!.Covered : -1, replayed, ignored, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        _logger?.LogInformation(used
            ? "event log: ingest state from its checkpoint at {Covered} plus {Events} events after it"
            : "event log: ingest state rebuilt from {Events} events of the last {Window}", used ? checkpoint!.Covered : replayed, used ? replayed : _options.RecoverWindow);
        // A long replay is not repeated by the next open: checkpoint now (the appender has not started yet).
        _stateEventsSince = replayed;
        if (!used || replayed >= _options.StateCheckpointEvents) StartStateCheckpoint(state);
    }

    /// <summary>Why <paramref name="checkpoint"/> cannot stand for the events before its address in this log, or null when it can.</summary>
    private string? Unfit(FasterLog log, LogStateFile.Checkpoint checkpoint, long windowFrom)
    {
        var covered = checkpoint.Covered;
        if (covered > log.CommittedUntilAddress)
            return $"it covers the log up to address {covered}, beyond the {log.CommittedUntilAddress} committed";
        if (covered < log.BeginAddress)
            return $"it covers the log up to address {covered}, but the log now begins at {log.BeginAddress}";
        // Events between the checkpoint and the window would be read anyway: rebuilding is as cheap.
        if (covered < windowFrom)
            return $"it covers the log up to address {covered}, before the recover window starting at {windowFrom}";
        if (checkpoint.LastEntry < 0) return null; // taken on an empty log: everything is replayed
        try
        {
            using var iterator = log.Scan(checkpoint.LastEntry, covered);
            while (true)
            {
                if (iterator.GetNext(out var entry, out var length, out var address, out var next))
                {
                    if (address != checkpoint.LastEntry || next != covered || length < EventCodec.HeaderBytes ||
                        BinaryPrimitives.ReadUInt32LittleEndian(entry) != checkpoint.LastEntryCrc)
                        break;
                    return null;
                }
                if (!iterator.WaitAsync().AsTask().GetAwaiter().GetResult()) break;
            }
        }
        catch (Exception e) when (e is FasterException or IOException or ArgumentException or InvalidOperationException) { }
        return $"the log's entry at address {checkpoint.LastEntry} is not the one it was taken after";
    }

    /// <summary>Address of the first index block that may hold an event received at or after <paramref name="cutoffMs"/>.</summary>
    private long WindowStart(long cutoffMs)
    {
        var closed = _index.ClosedSpans();
        var from = closed.Count > 0 ? closed[^1].End : _gen.Log.BeginAddress;
        foreach (var b in closed)
        {
            if (b.MaxReceivedMs < cutoffMs) continue;
            from = b.Start;
            break;
        }
        return Math.Max(from, _gen.Log.BeginAddress);
    }

    private long ReplayInto(ILogState state, long from, long until, long cutoff)
    {
        long n = 0;
        VerifyRange(_gen.Log, from, until, summariesOnly: true, onEvent: (address, _, e) =>
        {
            if (e.ReceivedAtMs < cutoff) return;
            state.Observe(address, e);
            n++;
        });
        return n;
    }

    /// <summary>Appender: one committed event, to the hooks that follow the log.</summary>
    private void Committed(long id, EventRecord e)
    {
        _options.OnCommitted?.Invoke(id, e);
        _options.State?.Observe(id, e);
    }

    /// <summary>Appender, after a commit was processed: a checkpoint when enough events came since the last one.</summary>
    private void MaybeCheckpointState(int events)
    {
        if (_options.State is not { } state) return;
        var since = Interlocked.Add(ref _stateEventsSince, events);
        if (since < _options.StateCheckpointEvents || !_stateWrite.IsCompleted) return;
        if (Stopwatch.GetElapsedTime(_stateCapturedAt) < _options.StateCheckpointMinInterval) return;
        StartStateCheckpoint(state);
    }

    /// <summary>Captures the state here (it has seen exactly the committed events) and writes it on the thread pool.</summary>
    private void StartStateCheckpoint(ILogState state)
    {
        var snapshot = state.Capture();
        var covered = _index.End;
        var (last, crc) = (_lastEntry, _lastEntryCrc);
        Interlocked.Exchange(ref _stateEventsSince, 0);
        _stateCapturedAt = Stopwatch.GetTimestamp();
        _stateCovered = covered;
        _stateWrite = Task.Run(() => WriteStateCheckpoint(snapshot, covered, last, crc));
    }

    private void WriteStateCheckpoint(ILogStateSnapshot snapshot, long covered, long lastEntry, uint lastEntryCrc)
    {
        try
        {
            var bytes = LogStateFile.Encode(snapshot, covered, lastEntry, lastEntryCrc, _clock.GetUtcNow().ToUnixTimeMilliseconds());
            LogStateFile.Write(Directory, bytes);
            Interlocked.Increment(ref _stateCheckpoints);
            Interlocked.Exchange(ref _stateCheckpointBytes, bytes.Length);
            if (_stateWriteFailing) _logger?.LogInformation("event log: state checkpoint written again");
            _stateWriteFailing = false;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Nothing is lost: the log holds every event, the next open replays more. Retry soon.
            if (!_stateWriteFailing) _logger?.LogWarning("event log: cannot write the state checkpoint ({Error}); an open replays the log from the previous one", e.Message);
            _stateWriteFailing = true;
            Interlocked.Add(ref _stateEventsSince, _options.StateCheckpointEvents);
        }
    }

    /// <summary>At close, after the last commit: a checkpoint covering everything, so the next open replays nothing.</summary>
    private async Task CloseStateAsync()
    {
        await _stateWrite.ConfigureAwait(false);
        if (_options.State is not { } state || _stateCovered == _index.End) return;
        StartStateCheckpoint(state);
        await _stateWrite.ConfigureAwait(false);
    }

    /// <summary>The state as of the current commit, for a backup (on the appender; encoded later, off it); null without state.</summary>
    private StateCapture? CaptureStateForBackup() =>
        _options.State is { } state ? new StateCapture(state.Capture(), _index.End, _lastEntry, _lastEntryCrc) : null;

    private sealed record StateCapture(ILogStateSnapshot Snapshot, long Covered, long LastEntry, uint LastEntryCrc)
    {
        public byte[] Encode(long savedAtMs) => LogStateFile.Encode(Snapshot, Covered, LastEntry, LastEntryCrc, savedAtMs);
    }
}

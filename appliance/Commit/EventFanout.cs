using Redoubt.Storage.Events;

namespace Redoubt.Commit;

/// <summary>What one sink has consumed, for /api/v1/stats (lag = committed bytes not yet applied).</summary>
public sealed class SinkProgress(string name)
{
    private long _appliedUntil, _applied, _failures;
    public string Name { get; } = name;
    public long AppliedUntil => Interlocked.Read(ref _appliedUntil);
    public long Applied => Interlocked.Read(ref _applied);
    public long Failures => Interlocked.Read(ref _failures);
    internal void Advance(long next) { Interlocked.Exchange(ref _appliedUntil, next); Interlocked.Increment(ref _applied); }
    internal void Seek(long next) => Interlocked.Exchange(ref _appliedUntil, next);
    internal void Failed() => Interlocked.Increment(ref _failures);
}

/// <summary>
/// After commit, every sink sees every event: one task tails the committed log from the earliest
/// resume point and hands each event to the sinks that have not applied it yet.
/// </summary>
public sealed class EventFanout(EventLog log, IEnumerable<IEventSink> sinks, ILogger<EventFanout> logger) : BackgroundService
{
    private readonly IEventSink[] _sinks = sinks.ToArray();
    private SinkProgress[] _progress = [];

    public IReadOnlyList<SinkProgress> Progress => _progress;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_sinks.Length == 0) return;
        var resume = _sinks.Select(s => s.ResumeFrom).ToArray();
        _progress = _sinks.Select((s, i) => { var p = new SinkProgress(s.Name); p.Seek(resume[i]); return p; }).ToArray();
        var from = resume.Min();
        // Retention must not drop what a sink has not applied yet (sinks with durable checkpoints
        // register their own, lower floor: the address their replay starts from).
        using var floor = log.Floors.Register("event-sinks", () => _progress.Length == 0 ? from : _progress.Min(p => p.AppliedUntil));
        await Task.Yield(); // leave host start-up; the loop below runs for the life of the process

        await using var events = log.ReadCommittedAsync(from, stoppingToken).GetAsyncEnumerator(stoppingToken);
        while (true)
        {
            // Ask for the next event without waiting first, so sinks learn when the fan-out is idle.
            var next = events.MoveNextAsync();
            if (!next.IsCompleted)
            {
                foreach (var sink in _sinks) Idle(sink);
            }
            if (!await next) break;
            var stored = events.Current;
            for (var i = 0; i < _sinks.Length; i++)
            {
                if (stored.Id < resume[i]) continue;
                try { _sinks[i].Apply(stored); }
                catch (Exception e)
                {
                    _progress[i].Failed();
                    logger.LogError(e, "sink {Sink} failed on event {Id}", _sinks[i].Name, stored.Id);
                }
                _progress[i].Advance(stored.NextId);
            }
        }
    }

    private void Idle(IEventSink sink)
    {
        try { sink.Idle(); }
        catch (Exception e) { logger.LogError(e, "sink {Sink} failed while idle", sink.Name); }
    }
}

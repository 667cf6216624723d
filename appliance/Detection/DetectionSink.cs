using Redoubt.Commit;
using Redoubt.Detection.Engine;
using Redoubt.Storage.Events;

namespace Redoubt.Detection;

/// <summary>
/// Detection after commit: every durable event goes through the current rule set; hits go to the
/// hit sink. Follows rule-set swaps between events, so a reload never pauses the fan-out.
/// </summary>
public sealed class DetectionSink(DetectionEngine engine, IDetectionHitSink hits, EventLog log, DetectionOptions options) : IEventSink
{
    private Evaluator? _evaluator;
    private long _events, _hits;

    public string Name => "detection";
    public long ResumeFrom { get; } = options.ReplayOnStart ? 0 : log.CommittedUntil;
    public long Events => Interlocked.Read(ref _events);
    public long Hits => Interlocked.Read(ref _hits);

    public void Apply(in StoredEvent stored)
    {
        var set = engine.Current;
        if (_evaluator?.Set != set) _evaluator = new Evaluator(set);
        var found = _evaluator.Evaluate(stored.Id, stored.Event, hits);
        Interlocked.Increment(ref _events);
        if (found > 0) Interlocked.Add(ref _hits, found);
    }
}

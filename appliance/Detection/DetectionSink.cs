using Redoubt.Commit;
using Redoubt.Detection.Alerts;
using Redoubt.Detection.Correlation;
using Redoubt.Detection.Engine;
using Redoubt.Detection.Iocs;
using Redoubt.Storage.Events;

namespace Redoubt.Detection;

/// <summary>
/// Detection after commit, on its own task: every durable event goes through the current rule set and
/// the IOC index; hits feed the correlation engine, and hits and correlation firings become alerts.
/// Checkpoints (alerts durable, correlation state, cursor) let a restart resume exactly where the last
/// one ended. Follows rule-set and IOC swaps between events, so reloads and imports never pause ingestion.
/// </summary>
public sealed class DetectionSink : CheckpointedSink, IDetectionHitSink
{
    private readonly DetectionEngine _engine;
    private readonly AlertStore _alerts;
    private readonly IocService _iocs;
    private readonly CorrelationEngine _correlation;
    private CorrelationSnapshot? _pendingRestore;
    private readonly string _iocLevel;
    private readonly List<DetectionHit> _hits = [];
    private readonly List<DetectionHit> _fired = [];
    private Evaluator? _evaluator;
    private long _events, _hitCount, _correlationHits, _lastSnapshotSequence = -1;
    private long _nextAddress;

    public DetectionSink(DetectionEngine engine, AlertStore alerts, IocService iocs, DetectionOptions options, ILogger<DetectionSink> logger)
        : base(alerts, new CheckpointSchedule
        {
            Interval = TimeSpan.FromSeconds(options.CheckpointSeconds),
            AfterEvents = options.CheckpointAfterEvents,
        }, logger)
    {
        _engine = engine;
        _alerts = alerts;
        _iocs = iocs;
        _iocLevel = options.IocLevel;
        _correlation = new CorrelationEngine(options.Correlation);
        // Restored against the rules at the first event: the rules may still be compiling while the
        // appliance starts (DetectionEngine), and a checkpoint before then keeps the snapshot as it was.
        _pendingRestore = alerts.RestoreCorrelation();
        alerts.SnapshotCorrelation = () =>
        {
            if (_pendingRestore is { } pending) return pending;
            _lastSnapshotSequence = _correlation.Sequence;
            return _correlation.Snapshot();
        };
        alerts.CorrelationChanged = () => _pendingRestore is null && _correlation.Sequence != _lastSnapshotSequence;
    }

    public override string Name => "detection";
    public long Events => Interlocked.Read(ref _events);
    public long Hits => Interlocked.Read(ref _hitCount);
    public long CorrelationHits => Interlocked.Read(ref _correlationHits);
    public CorrelationEngine Correlation => _correlation;

    public override IReadOnlyDictionary<string, long> Counters => new Dictionary<string, long>
    {
        ["events"] = Events,
        ["hits"] = Hits,
        ["correlationHits"] = CorrelationHits,
        ["correlationWindows"] = _correlation.WindowsHeld,
        ["alerts"] = _alerts.Count,
        ["alertsCreated"] = _alerts.Created,
        ["alertsUpdated"] = _alerts.Updated,
        ["replayedHitsSkipped"] = _alerts.SkippedReplays,
    };

    protected override void ApplyToStore(in StoredEvent stored)
    {
        var set = _engine.Current;
        if (_pendingRestore is { } snapshot)
        {
            _correlation.Restore(snapshot, set);
            _pendingRestore = null;
        }
        if (_evaluator?.Set != set)
        {
            _evaluator = new Evaluator(set) { IocLevel = _iocLevel };
            _correlation.Rebind(set);
        }
        _evaluator.Iocs = _iocs.Current;
        _nextAddress = stored.NextId;
        _hits.Clear();
        _fired.Clear();
        // Windows that ended before this event's time are decided first.
        _correlation.Advance(set, stored.Event.TimeMs, _fired);
        _evaluator.Evaluate(stored.Id, stored.Event, this);
        Interlocked.Increment(ref _events);
        if (_hits.Count == 0 && _fired.Count == 0) return;
        Interlocked.Add(ref _hitCount, _hits.Count);
        foreach (var hit in _hits)
        {
            if (hit.Kind == HitKind.Sigma && hit.RuleIndex >= 0 && set.Rules[hit.RuleIndex].Consumers is { Count: > 0 } consumers)
                _correlation.Observe(set, hit, consumers, _fired);
            if (hit.Generates) _alerts.Apply(hit, _nextAddress);
        }
        Interlocked.Add(ref _correlationHits, _fired.Count);
        foreach (var hit in _fired)
            if (hit.Generates) _alerts.Apply(hit, _nextAddress);
    }

    void IDetectionHitSink.Add(DetectionHit hit) => _hits.Add(hit);
}

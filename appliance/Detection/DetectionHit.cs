using Redoubt.Detection.Matching;
using Redoubt.Detection.Rules;

namespace Redoubt.Detection;

/// <summary>What raised a hit. Persisted in alerts as its name: never rename.</summary>
public enum HitKind { Sigma, Correlation, Ioc }

/// <summary>
/// A rule matched an event (or a correlation's condition held, or an indicator was seen). The seam to
/// alerts: whatever consumes hits implements <see cref="IDetectionHitSink"/>.
/// </summary>
public sealed record DetectionHit
{
    public static readonly IReadOnlyDictionary<string, string> NoValues = new Dictionary<string, string>();

    public HitKind Kind { get; init; } = HitKind.Sigma;
    public required string RuleId { get; init; }
    public required string RuleTitle { get; init; }
    public string? Level { get; init; }
    public IReadOnlyList<string> Tags { get; init; } = [];
    public string? Author { get; init; }
    public IReadOnlyList<string> References { get; init; } = [];
    /// <summary>Attribution the rule's licence asks for (SigmaHQ: DRL 1.1).</summary>
    public RuleLicence? Licence { get; init; }
    /// <summary>The rule's own `license` field, if any.</summary>
    public string? RuleLicenseField { get; init; }
    /// <summary>The event that completed the hit (for a correlation: the last of its events).</summary>
    public required long EventId { get; init; }
    public required long EventTimeMs { get; init; }
    public long ReceivedAtMs { get; init; }
    /// <summary>The log source (logsources.yaml name) the rule was evaluated under.</summary>
    public required string LogSource { get; init; }
    /// <summary>The fields whose values made the rule match, as the rule names them.</summary>
    public required IReadOnlyList<MatchedField> Matched { get; init; }
    /// <summary>Who and what the event is about: host, user, process, src_ip, dst_ip (when the event says).</summary>
    public required IReadOnlyDictionary<string, string> Entities { get; init; }
    /// <summary>Index of the rule (or correlation) in the rule set that produced it.</summary>
    public int RuleIndex { get; init; } = -1;
    /// <summary>Whether this hit raises an alert of its own (rules used only by correlations do not, unless `generate: true`).</summary>
    public bool Generates { get; init; } = true;
    /// <summary>Values of the fields correlations group or count by.</summary>
    public IReadOnlyDictionary<string, string> Values { get; init; } = NoValues;
    /// <summary>Every event behind the hit, oldest first (one for a single-event rule; a correlation's window, bounded).</summary>
    public IReadOnlyList<long> EventIds { get; init; } = [];
    /// <summary>A correlation's count (events, distinct values or rules) when it fired.</summary>
    public long? CorrelationCount { get; init; }
    /// <summary>An IOC hit: the list and indicator that matched.</summary>
    public Iocs.IocMatch? Ioc { get; init; }

    public IReadOnlyList<long> Evidence => EventIds.Count > 0 ? EventIds : [EventId];
}

/// <summary>Receives detection hits on the detection task: keep it fast, never block on I/O.</summary>
public interface IDetectionHitSink
{
    void Add(DetectionHit hit);
}

/// <summary>Collects hits in a list (tests, benchmarks, offline tools).</summary>
public sealed class HitList : IDetectionHitSink
{
    public List<DetectionHit> Hits { get; } = [];
    public void Add(DetectionHit hit) => Hits.Add(hit);
}

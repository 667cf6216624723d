using Redoubt.Detection.Matching;

namespace Redoubt.Detection;

/// <summary>
/// A rule matched an event. The seam to alerts: whatever consumes hits (the bounded recent list
/// today, the alert store later) implements <see cref="IDetectionHitSink"/>.
/// </summary>
public sealed record DetectionHit
{
    public required string RuleId { get; init; }
    public required string RuleTitle { get; init; }
    public string? Level { get; init; }
    public IReadOnlyList<string> Tags { get; init; } = [];
    public required long EventId { get; init; }
    public required long EventTimeMs { get; init; }
    /// <summary>The log source (logsources.yaml name) the rule was evaluated under.</summary>
    public required string LogSource { get; init; }
    /// <summary>The fields whose values made the rule match, as the rule names them.</summary>
    public required IReadOnlyList<MatchedField> Matched { get; init; }
    /// <summary>Who and what the event is about: host, user, process, src_ip, dst_ip (when the event says).</summary>
    public required IReadOnlyDictionary<string, string> Entities { get; init; }
}

/// <summary>Receives detection hits on the detection task: keep it fast, never block on I/O.</summary>
public interface IDetectionHitSink
{
    void Add(DetectionHit hit);
}

/// <summary>The most recent hits in memory (bounded), until alerts are stored durably.</summary>
public sealed class RecentDetections(int capacity = 10_000) : IDetectionHitSink
{
    private readonly DetectionHit[] _ring = new DetectionHit[Math.Max(1, capacity)];
    private long _total;
    private readonly Lock _lock = new();

    public long Total { get { lock (_lock) return _total; } }
    public int Capacity => _ring.Length;

    public void Add(DetectionHit hit)
    {
        lock (_lock)
        {
            _ring[_total % _ring.Length] = hit;
            _total++;
        }
    }

    /// <summary>Newest first, optionally only one rule's.</summary>
    public List<DetectionHit> Recent(int limit, string? ruleId = null)
    {
        lock (_lock)
        {
            var result = new List<DetectionHit>(Math.Min(limit, 1000));
            var held = (int)Math.Min(_total, _ring.Length);
            for (var i = 0; i < held && result.Count < limit; i++)
            {
                var hit = _ring[(_total - 1 - i) % _ring.Length];
                if (ruleId is null || hit.RuleId == ruleId) result.Add(hit);
            }
            return result;
        }
    }
}

using Redoubt.Detection;
using Redoubt.Detection.Correlation;
using Redoubt.Detection.Engine;
using Redoubt.Storage.Events;
using Redoubt.Tests.Support;

namespace Redoubt.Tests.Detection.Correlation;

/// <summary>Drives rules and the correlation engine over events in process, as the detection sink does.</summary>
public sealed class CorrelationRun(RuleSet set, CorrelationOptions? options = null)
{
    private readonly Evaluator _evaluator = new(set);
    private readonly HitList _hits = new();
    public CorrelationEngine Engine { get; } = new(options ?? new CorrelationOptions());
    public RuleSet Set => set;
    /// <summary>Every correlation firing, in order.</summary>
    public List<DetectionHit> Fired { get; } = [];
    /// <summary>Every rule hit that would raise an alert of its own.</summary>
    public List<DetectionHit> Alerting { get; } = [];

    public void Feed(IEnumerable<(long Id, EventRecord Event)> events)
    {
        foreach (var (id, e) in events) Feed(id, e);
    }

    public void Feed(long id, EventRecord e)
    {
        var fired = new List<DetectionHit>();
        Engine.Advance(set, e.TimeMs, fired);
        _hits.Hits.Clear();
        _evaluator.Evaluate(id, e, _hits);
        foreach (var hit in _hits.Hits)
        {
            if (hit.Kind == HitKind.Sigma && set.Rules[hit.RuleIndex].Consumers is { Count: > 0 } consumers) Engine.Observe(set, hit, consumers, fired);
            if (hit.Generates) Alerting.Add(hit);
        }
        Fired.AddRange(fired);
    }

    /// <summary>The OpenSSH loghub log as stored events (event time from the line, as the appliance reads it), ids 1…</summary>
    public static List<(long Id, EventRecord Event, LoghubLine Line)> OpenSsh()
    {
        var now = DateTime.UtcNow;
        return Loghub.Load("OpenSSH").Select((l, i) => ((long)(i + 1), new EventRecord
        {
            App = "sshd", Host = l.Host, Message = l.Content.Trim(), Format = "rfc3164", Facility = 4, Source = "syslog",
            TimeMs = new DateTimeOffset(Loghub.ExpectedTime(l, now)).ToUnixTimeMilliseconds(),
            ReceivedAtMs = new DateTimeOffset(now).ToUnixTimeMilliseconds(),
        }, l)).ToList();
    }

    /// <summary>"Failed password for … from IP port …" lines: the address and the event time.</summary>
    public static List<(string Ip, long Time, long Id)> Failures(IEnumerable<(long Id, EventRecord Event, LoghubLine Line)> log) =>
        log.Select(x => (x.Id, x.Event, Message: Unrepeated(x.Event.Message!)))
            .Where(x => x.Message.StartsWith("Failed ", StringComparison.Ordinal))
            .Select(x =>
            {
                var m = x.Message;
                var from = m.LastIndexOf(" from ", StringComparison.Ordinal) + 6;
                return (m[from..m.IndexOf(' ', from)], x.Event.TimeMs, x.Id);
            }).ToList();

    /// <summary>syslog's "message repeated N times: [ text]" is one more sighting of the text.</summary>
    public static string Unrepeated(string m) =>
        m.StartsWith("message repeated ", StringComparison.Ordinal) && m.IndexOf('[') is var open and > 0 ? m[(open + 1)..].Trim().TrimEnd(']').Trim() : m;
}

using System.Text;
using Redoubt.Ingest.Syslog;
using Redoubt.Perf.Load;
using Redoubt.Storage.Events;
using EventLog = Redoubt.Storage.Events.EventLog;

namespace Redoubt.Perf.Scale;

/// <summary>
/// Events at scale for the API and recovery benchmarks: every line of the load driver's real message
/// mix (shared/data/logs), parsed once by the appliance's own syslog path (header, payload decoders,
/// fields), then repeated with a synthetic host (one of <see cref="Hosts"/>) and a received time that
/// advances evenly over the last <see cref="SpanDays"/> days. Deterministic: event n is the same in
/// the FASTER store and in the SQLite peer.
/// </summary>
public sealed class ScaleEvents
{
    public const int Hosts = 1000;
    public const double DefaultSpanDays = 30;
    private readonly EventRecord[] _templates;
    private readonly string[] _hosts = Enumerable.Range(0, Hosts).Select(i => $"srv-{i:D3}.plant.example").ToArray();

    public long Count { get; }
    public long StartMs { get; }
    public double StepMs { get; }
    public int DistinctLines => _templates.Length;
    /// <summary>Days the received times span, ending at the end time (30; the restart bench uses less, so every event is in the recover window).</summary>
    public double SpanDays { get; }

    public ScaleEvents(string shared, long count, long endMs, double spanDays = DefaultSpanDays)
    {
        SpanDays = spanDays;
        var mix = MessageMix.Load(Path.Combine(shared, "logs"));
        var parser = new SyslogEvents(TimeZoneInfo.Utc, TimeProvider.System);
        _templates = [.. mix.Lines.Select(l => parser.FromFrame(Encoding.UTF8.GetBytes(l), false, Transport.SyslogTcp, null))];
        Count = count;
        StepMs = SpanDays * 86_400_000 / count;
        StartMs = endMs - (long)(SpanDays * 86_400_000);
    }

    public string HostOf(long n) => _hosts[n % Hosts];

    /// <summary>Received time of event n (event time is the same: the store's time index sees an in-order feed).</summary>
    public long TimeOf(long n) => StartMs + (long)(n * StepMs);

    public EventRecord Make(long n)
    {
        var t = _templates[n % _templates.Length];
        var at = TimeOf(n);
        return new EventRecord
        {
            ReceivedAtMs = at, TimeMs = at, Transport = t.Transport, Flags = t.Flags,
            Sender = "10.20." + (n % Hosts / 250) + "." + (n % 250) + ":514",
            Host = HostOf(n), App = t.App, ProcId = t.ProcId, MsgId = t.MsgId, Facility = t.Facility, Severity = t.Severity,
            StructuredData = t.StructuredData, Message = t.Message, Raw = t.Raw, Json = t.Json, ParseError = t.ParseError,
            Source = "syslog", Format = t.Format, Fields = t.Fields,
        };
    }

    /// <summary>Appends events [0, Count) in durable batches, a few in flight (the appender groups them into commits).</summary>
    public async Task FillAsync(EventLog log)
    {
        const int batch = 4096;
        var pending = new Queue<Task>();
        for (long i = 0; i < Count; i += batch)
        {
            var n = (int)Math.Min(batch, Count - i);
            var events = new EventRecord[n];
            for (var j = 0; j < n; j++) events[j] = Make(i + j);
            pending.Enqueue(log.AppendAsync(events).AsTask());
            if (pending.Count >= 8) await pending.Dequeue();
        }
        while (pending.Count > 0) await pending.Dequeue();
    }
}

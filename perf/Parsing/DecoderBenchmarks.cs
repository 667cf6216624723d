using BenchmarkDotNet.Attributes;
using Redoubt.Parsing;
using Redoubt.Parsing.Payload;
using Redoubt.Perf.Micro;
using Redoubt.Storage.Events;

namespace Redoubt.Perf.Parsing;

/// <summary>
/// Each payload decoder on its own real lines, per line: <see cref="PayloadDecoders.Decode"/> (the dispatch, the
/// decoder, promotion of host and time) on an event whose syslog header was read beforehand, so the header parser
/// (ParseBenchmarks) is not in the figure. What it allocates is the event's field table and the values it holds.
/// dotnet perf/bin/Release/net10.0/Redoubt.Perf.dll --filter '*DecoderBenchmarks*'
/// </summary>
[Config(typeof(MicroConfig))]
public class DecoderBenchmarks
{
    /// <summary>The header as the syslog parser left it: what the decoder and promotion read or may change.</summary>
    private readonly record struct Header(string? Message, string? Host, long TimeMs, long ReceivedAtMs, EventFlags Flags);

    private Header[] _headers = [];
    private readonly EventRecord _event = new();

    [Params("cef", "leef", "json", "panos", "kv")]
    public string Decoder { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        var lines = Corpus.ForDecoder(Decoder, out var distinct);
        var receivedAt = new DateTimeOffset(2024, 6, 15, 12, 0, 0, TimeSpan.Zero);
        _headers = lines.Select(line =>
        {
            var e = new EventRecord { ReceivedAtMs = receivedAt.ToUnixTimeMilliseconds() };
            SyslogParser.Parse(line, receivedAt, TimeZoneInfo.Utc, e);
            return new Header(e.Message, e.Host, e.TimeMs, e.ReceivedAtMs, e.Flags);
        }).ToArray();
        System.Console.WriteLine($"# micro: decoder {Decoder}: {distinct} distinct real lines, {_headers.Average(h => h.Message?.Length ?? 0):0} chars of payload on average");
        Steady.Warm(() => Decode());
    }

    [Benchmark(OperationsPerInvoke = Corpus.LinesPerPass)]
    public int Decode()
    {
        var e = _event;
        var fields = 0;
        foreach (var h in _headers)
        {
            e.Message = h.Message;
            e.Host = h.Host;
            e.TimeMs = h.TimeMs;
            e.ReceivedAtMs = h.ReceivedAtMs;
            e.Flags = h.Flags;
            e.Fields = null;
            PayloadDecoders.Decode(e, TimeZoneInfo.Utc);
            fields += e.Fields?.Count ?? 0;
        }
        return fields;
    }
}

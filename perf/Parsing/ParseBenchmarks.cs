using BenchmarkDotNet.Attributes;
using Redoubt.Ingest.Syslog;
using Redoubt.Parsing;
using Redoubt.Storage.Events;

namespace Redoubt.Perf.Parsing;

/// <summary>
/// Per parsed line (OperationsPerInvoke = lines per pass): the header parser alone, and the whole
/// frame-to-event path the listeners run (header, payload decoders, the EventRecord itself).
/// dotnet perf/bin/Release/net10.0/Redoubt.Perf.dll --filter '*ParseBenchmarks*'   (MicroConfig: in-process, short, allocations)
/// </summary>
[Config(typeof(Micro.MicroConfig))]
public class ParseBenchmarks
{
    private byte[][] _lines = [];
    private readonly SyslogEvents _events = new(TimeZoneInfo.Utc, TimeProvider.System);
    private static readonly DateTimeOffset Now = new(2024, 6, 15, 12, 0, 0, TimeSpan.Zero);

    [Params("loghub-linux", "rfc5424", "vendors", "cef")]
    public string Corpus { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        _lines = Parsing.Corpus.Load(Corpus);
        Micro.Steady.Warm(() => { Header(); return null; }, () => FrameToEvent());
    }

    [Benchmark(OperationsPerInvoke = Parsing.Corpus.LinesPerPass)]
    public void Header()
    {
        var e = new EventRecord();
        foreach (var line in _lines) SyslogParser.Parse(line, Now, TimeZoneInfo.Utc, e);
    }

    [Benchmark(OperationsPerInvoke = Parsing.Corpus.LinesPerPass)]
    public long FrameToEvent()
    {
        long sum = 0;
        foreach (var line in _lines) sum += _events.FromFrame(line, false, Transport.SyslogUdp, null).TimeMs;
        return sum;
    }
}

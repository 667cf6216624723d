using BenchmarkDotNet.Attributes;
using Redoubt.Detection.Engine;
using Redoubt.Storage.Events;

namespace Redoubt.Perf.Detection;

/// <summary>
/// Per-event detection cost on the real OTRF Windows attack datasets (7,408 events, Sysmon and
/// Security mixed) with 100, 1,000 and all 1,563 shared SigmaHQ rules loaded. One operation is one
/// event. "Read" is parsing the event's JSON into slots; "Detect" is the whole path (read, classify,
/// pre-filter, evaluate candidates); "DetectUtf8" is the same on events that carry their JSON's UTF-8,
/// as NDJSON and forward ingest hand them (the others transcode the string first, as for events read back from the log).
/// </summary>
[MemoryDiagnoser]
[InProcess]
[WarmupCount(3)]
[IterationCount(10)]
public class DetectionBenchmarks
{
    private EventRecord[] _events = [];
    private EventRecord[] _utf8Events = [];
    private Evaluator _evaluator = null!;

    [Params(100, 1000, 1563)]
    public int Rules;

    [GlobalSetup]
    public void Setup()
    {
        var data = SharedData();
        _evaluator = new Evaluator(RuleSubset.Build(data, Rules));
        _events = RuleSubset.WindowsEvents(data);
        if (_events.Length != Events) throw new InvalidOperationException($"{_events.Length} events, the benchmark divides by {Events}");
        _utf8Events = RuleSubset.WithUtf8(_events);
        foreach (var e in _events) _evaluator.Evaluate(0, e, null); // warm the buffers
    }

    private const int Events = 7408;

    [Benchmark(OperationsPerInvoke = Events)]
    public int Detect()
    {
        var n = 0;
        foreach (var e in _events) n += _evaluator.Evaluate(0, e, null);
        return n;
    }

    [Benchmark(OperationsPerInvoke = Events)]
    public int DetectUtf8()
    {
        var n = 0;
        foreach (var e in _utf8Events) n += _evaluator.Evaluate(0, e, null);
        return n;
    }

    [Benchmark(OperationsPerInvoke = Events)]
    public void Read()
    {
        foreach (var e in _events) _evaluator.Read(e);
    }

    private static string SharedData()
    {
        if (Environment.GetEnvironmentVariable("REDOUBT_SHARED_DATA") is { Length: > 0 } env) return env;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared", "data");
            if (Directory.Exists(candidate)) return candidate;
        }
        throw new DirectoryNotFoundException("shared/data not found; set REDOUBT_SHARED_DATA");
    }
}

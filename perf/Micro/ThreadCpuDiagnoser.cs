using System.Collections.Concurrent;
using BenchmarkDotNet.Analysers;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Engines;
using BenchmarkDotNet.Exporters;
using BenchmarkDotNet.Loggers;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Validators;
using Redoubt.Perf.Graph;

namespace Redoubt.Perf.Micro;

/// <summary>
/// CPU time of the benchmark thread over the measured iterations (the engine signals BeforeActualRun and
/// AfterActualRun around exactly those), shown per operation by <see cref="ThreadCpuColumn"/>. The machine is
/// shared: under load the wall-clock Mean mostly measures waiting for a core, the thread's own CPU time does not.
/// In-process only: the host calls <see cref="Handle"/> on the thread that runs the benchmark. Work handed to
/// other threads (none of the micro benchmarks does; the GC's background threads aside) is not counted.
/// </summary>
public sealed class ThreadCpuDiagnoser : IDiagnoser
{
    public static readonly ThreadCpuDiagnoser Default = new();

    private readonly ConcurrentDictionary<BenchmarkCase, double> _cpuMs = new();
    private double _startMs;

    public IEnumerable<string> Ids => [nameof(ThreadCpuDiagnoser)];
    public IEnumerable<IExporter> Exporters => [];
    public IEnumerable<IAnalyser> Analysers => [];
    public RunMode GetRunMode(BenchmarkCase benchmarkCase) => RunMode.NoOverhead;
    public void DisplayResults(ILogger logger) { }
    public IEnumerable<ValidationError> Validate(ValidationParameters validationParameters) => [];
    public IEnumerable<Metric> ProcessResults(DiagnoserResults results) => [];

    public void Handle(HostSignal signal, DiagnoserActionParameters parameters)
    {
        if (signal == HostSignal.BeforeActualRun) _startMs = CpuClock.NowMs();
        else if (signal == HostSignal.AfterActualRun) _cpuMs[parameters.BenchmarkCase] = CpuClock.NowMs() - _startMs;
    }

    /// <summary>CPU ms of the measured iterations of <paramref name="benchmarkCase"/>, when it ran in this process.</summary>
    public bool TryGetCpuMs(BenchmarkCase benchmarkCase, out double ms) => _cpuMs.TryGetValue(benchmarkCase, out ms);
}

/// <summary>"CPU/op": <see cref="ThreadCpuDiagnoser"/>'s CPU time divided by the operations of the measured iterations.</summary>
public sealed class ThreadCpuColumn : IColumn
{
    public static readonly ThreadCpuColumn Default = new();

    public string Id => nameof(ThreadCpuColumn);
    public string ColumnName => "CPU/op";
    public bool AlwaysShow => true;
    public ColumnCategory Category => ColumnCategory.Statistics;
    public int PriorityInCategory => 100;
    public bool IsNumeric => true;
    public UnitType UnitType => UnitType.Time;
    public string Legend => "CPU time of the benchmark thread per operation over the measured iterations (CLOCK_THREAD_CPUTIME_ID); wall-clock Mean minus waiting for a core";
    public bool IsDefault(BenchmarkDotNet.Reports.Summary summary, BenchmarkCase benchmarkCase) => false;
    public bool IsAvailable(BenchmarkDotNet.Reports.Summary summary) => true;
    public string GetValue(BenchmarkDotNet.Reports.Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(BenchmarkDotNet.Reports.Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        var report = summary[benchmarkCase];
        if (report is null || !ThreadCpuDiagnoser.Default.TryGetCpuMs(benchmarkCase, out var ms)) return "?";
        var ops = report.AllMeasurements.Where(m => m.IterationMode == IterationMode.Workload && m.IterationStage == IterationStage.Actual).Sum(m => m.Operations);
        if (ops == 0) return "?";
        var ns = ms * 1e6 / ops;
        return ns >= 1e6 ? $"{ns / 1e6:N2} ms" : ns >= 1e3 ? $"{ns / 1e3:N2} μs" : $"{ns:N1} ns";
    }
}

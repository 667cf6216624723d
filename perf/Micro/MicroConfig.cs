using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace Redoubt.Perf.Micro;

/// <summary>
/// The job of the suite's `micro` step: in-process (on this shared machine BenchmarkDotNet's generated
/// project did not build within its limit, see perf/RESULTS.md "Parsing"), few short iterations so
/// every hot-path benchmark fits the step's time limit, allocations per operation from the GC's own count, and
/// the benchmark thread's CPU time per operation beside the wall-clock Mean (ThreadCpuDiagnoser).
/// </summary>
public sealed class MicroConfig : ManualConfig
{
    public MicroConfig()
    {
        AddJob(Job.Default
            .WithToolchain(InProcessEmitToolchain.Instance)
            .WithLaunchCount(1)
            .WithWarmupCount(1) // the JIT warm-up is Steady.Warm's
            .WithIterationCount(5)
            .WithIterationTime(Perfolizer.Horology.TimeInterval.FromMilliseconds(120))
            .WithId("micro"));
        AddDiagnoser(MemoryDiagnoser.Default, ThreadCpuDiagnoser.Default);
        AddColumn(ThreadCpuColumn.Default);
    }
}

/// <summary>
/// Runs a benchmark body until its code is steady, before BenchmarkDotNet's pilot stage sees it. In-process,
/// the first calls run tier-0 code, and on the loaded machine the background tier-1 compiles took over a
/// second: the pilot then sized iterations from code 5-15x slower than the steady state, and the measured
/// iterations sped up one after the other (1.3 µs → 74 ns per syslog frame within five).
/// Steady = nothing compiled by the JIT for the last half second of calls, and the last three calls within
/// 25 % of the fastest; at most 4 s per body (the NDJSON and gzip bodies still saw a method compiled now
/// and then after 8 s; the cap bounds the step's time).
/// </summary>
public static class Steady
{
    public static void Warm(params Func<object?>[] bodies)
    {
        foreach (var body in bodies)
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var best = double.MaxValue;
            var steady = 0;
            var compiled = System.Runtime.JitInfo.GetCompiledMethodCount();
            var lastCompile = 0.0;
            while (clock.Elapsed.TotalSeconds < 4)
            {
                var before = clock.Elapsed.TotalSeconds;
                body();
                var now = clock.Elapsed.TotalSeconds;
                best = Math.Min(best, now - before);
                steady = now - before <= best * 1.25 ? steady + 1 : 0;
                var count = System.Runtime.JitInfo.GetCompiledMethodCount();
                if (count != compiled) { compiled = count; lastCompile = now; }
                if (steady >= 3 && now - lastCompile >= 0.5) break;
            }
        }
    }
}

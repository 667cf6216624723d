using BenchmarkDotNet.Running;

// dotnet run -c Release --project perf -- --filter '*'   (see perf/RESULTS.md)
if (args is ["probe", _, ..]) { Redoubt.Perf.Detection.Probe.Run(args[1..]); return; }
if (args is ["graph-bench", ..]) { Environment.ExitCode = Redoubt.Perf.Graph.GraphBench.Run(args[1..]); return; }
if (args is ["ingest-probe", _, ..]) { Environment.ExitCode = Redoubt.Perf.Ingest.IngestProbe.Run(args[1..]); return; }
if (args is ["graph-probe", ..]) { Environment.ExitCode = Redoubt.Perf.Graph.GraphProbe.Run(args[1..]); return; }
if (args is ["forward-probe", var ingestData]) { Redoubt.Perf.Ingest.ForwardProbe.Run(ingestData); return; }
if (args is ["forward-load", var port, var loadData, .. var rest])
{
    Redoubt.Perf.Ingest.ForwardProbe.Load(int.Parse(port, System.Globalization.CultureInfo.InvariantCulture), loadData,
        rest.Length > 0 ? int.Parse(rest[0], System.Globalization.CultureInfo.InvariantCulture) : 200);
    return;
}
// Inventory import memory against the real process (RSS before/after a 2M-row CSV).
if (args is ["import-memory", ..]) { Environment.ExitCode = Redoubt.Perf.Graph.ImportMemory.Run(args[1..]); return; }
if (args is ["load", ..]) { Environment.ExitCode = Redoubt.Perf.Load.LoadCommand.Run(args[1..]); return; }
if (args is ["store-recovery", ..]) { Environment.ExitCode = Redoubt.Perf.Storage.StoreRecovery.RunAsync(args[1..]).GetAwaiter().GetResult(); return; }
// Event log (issue 4): crash loop against the real process, time index, recovery time.
if (args is ["crash-loop", ..]) { Environment.ExitCode = Redoubt.Perf.Storage.EventLogBench.CrashLoop.RunAsync(args[1..]).GetAwaiter().GetResult(); return; }
if (args is ["time-index", ..]) { Environment.ExitCode = Redoubt.Perf.Storage.EventLogBench.TimeIndexBench.RunAsync(args[1..]).GetAwaiter().GetResult(); return; }
if (args is ["recovery", ..]) { Environment.ExitCode = Redoubt.Perf.Storage.EventLogBench.RecoveryBench.RunAsync(args[1..]).GetAwaiter().GetResult(); return; }
if (args is ["write-synthetic", ..]) { Environment.ExitCode = Redoubt.Perf.Storage.EventLogBench.RecoveryBench.WriteChildAsync(args[1..]).GetAwaiter().GetResult(); return; }
// API latency, recovery and memory at scale (issue 9 item 4); the soak run.
if (args is ["scale", ..]) { Environment.ExitCode = Redoubt.Perf.Scale.ScaleBench.Run(args[1..]); return; }
if (args is ["write-scale", ..]) { Environment.ExitCode = Redoubt.Perf.Scale.ScaleBench.WriteChildAsync(args[1..]).GetAwaiter().GetResult(); return; }
// kill -9 → healthy, two appliance builds alternating on one store (issue 9 item 7: recovery of 10M events under 5 s).
if (args is ["restart", ..]) { Environment.ExitCode = Redoubt.Perf.Scale.RestartBench.Run(args[1..]); return; }
if (args is ["ingest-state-cost", ..]) { Environment.ExitCode = Redoubt.Perf.Scale.IngestStateCost.Run(args[1..]); return; }
if (args is ["decode-probe", ..]) { Environment.ExitCode = Redoubt.Perf.Scale.DecodeProbe.Run(args[1..]); return; }
if (args is ["soak", ..]) { Environment.ExitCode = Redoubt.Perf.Soak.SoakBench.Run(args[1..]); return; }
var summaries = BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
// A benchmark whose setup threw shows as "NA" in the table: say so in the exit code (run.sh reports the step as failed).
if (summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success))) Environment.ExitCode = 1;

using BenchmarkDotNet.Running;

// dotnet run -c Release --project perf -- --filter '*'   (see perf/RESULTS.md)
if (args is ["probe", var data]) { Redoubt.Perf.Detection.Probe.Run(data); return; }
if (args is ["store-recovery", ..]) { Environment.ExitCode = Redoubt.Perf.Storage.StoreRecovery.RunAsync(args[1..]).GetAwaiter().GetResult(); return; }
// Event log (issue 4): crash loop against the real process, time index, recovery time.
if (args is ["crash-loop", ..]) { Environment.ExitCode = Redoubt.Perf.Storage.EventLogBench.CrashLoop.RunAsync(args[1..]).GetAwaiter().GetResult(); return; }
if (args is ["time-index", ..]) { Environment.ExitCode = Redoubt.Perf.Storage.EventLogBench.TimeIndexBench.RunAsync(args[1..]).GetAwaiter().GetResult(); return; }
if (args is ["recovery", ..]) { Environment.ExitCode = Redoubt.Perf.Storage.EventLogBench.RecoveryBench.RunAsync(args[1..]).GetAwaiter().GetResult(); return; }
if (args is ["write-synthetic", ..]) { Environment.ExitCode = Redoubt.Perf.Storage.EventLogBench.RecoveryBench.WriteChildAsync(args[1..]).GetAwaiter().GetResult(); return; }
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);

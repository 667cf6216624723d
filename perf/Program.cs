using BenchmarkDotNet.Running;

// dotnet run -c Release --project perf -- --filter '*'   (see perf/RESULTS.md)
if (args is ["probe", var data]) { Redoubt.Perf.Detection.Probe.Run(data); return; }
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);

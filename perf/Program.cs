using BenchmarkDotNet.Running;

// dotnet run -c Release --project perf -- --filter '*'   (see perf/RESULTS.md)
if (args is ["probe", var data]) { Redoubt.Perf.Detection.Probe.Run(data); return; }
if (args is ["forward-probe", var ingestData]) { Redoubt.Perf.Ingest.ForwardProbe.Run(ingestData); return; }
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);

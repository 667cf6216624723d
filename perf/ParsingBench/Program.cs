using BenchmarkDotNet.Running;

// dotnet run -c Release --project perf/ParsingBench -- --filter '*' [--job short]
BenchmarkSwitcher.FromAssembly(typeof(Redoubt.Perf.Parsing.ParseBenchmarks).Assembly).Run(args);

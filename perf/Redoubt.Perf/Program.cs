using Redoubt.Perf;

// redoubt-perf COMMAND: storage benchmarks whose figures go to perf/RESULTS.md (see the README there).
return args.FirstOrDefault() switch
{
    "crash-loop" => await CrashLoop.RunAsync(args[1..]),
    "time-index" => await TimeIndexBench.RunAsync(args[1..]),
    "recovery" => await RecoveryBench.RunAsync(args[1..]),
    "write-synthetic" => await RecoveryBench.WriteChildAsync(args[1..]),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: redoubt-perf crash-loop [--kills N] [--writers N] | time-index [--events N] | recovery --events N [--dir DIR]");
    return 2;
}

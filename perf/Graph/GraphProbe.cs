using System.Diagnostics;
using Redoubt.Graph.Algorithms;
using Redoubt.Graph.Engine;

namespace Redoubt.Perf.Graph;

/// <summary>
/// `graph-probe [--small | --scale X] [--query blast|before|shortest|yen|top|choke] [--repeat N]`: builds the
/// synthetic enterprise of graph-bench (no SQLite) and runs one engine query N times on the bench's
/// inputs, printing its CPU time per run. For profilers (perf record, valgrind --tool=callgrind):
/// the graph is built once, then only the query runs. Not a benchmark of record: graph-bench is.
/// </summary>
public static class GraphProbe
{
    public static int Run(string[] args)
    {
        string? Arg(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
        var scale = args.Contains("--small") ? 0.1 : Arg("--scale") is { } sc ? double.Parse(sc, System.Globalization.CultureInfo.InvariantCulture) : 1.0;
        var query = Arg("--query") ?? "blast";
        var repeat = Arg("--repeat") is { } rp ? int.Parse(rp, System.Globalization.CultureInfo.InvariantCulture) : 10;
        var clock = Stopwatch.StartNew();
        var gen = new EnterpriseGenerator(scale);
        var g = gen.LoadEngine().Snapshot;
        System.Console.WriteLine($"scale {scale}: {g.NodeCount:N0} nodes, {g.EdgeCount:N0} edges built in {clock.Elapsed.TotalSeconds:0.0} s; load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");

        // The bench's inputs: the same five users, the same pair, the same ends.
        var rng = new Random(7);
        var starts = Enumerable.Range(0, 5).Select(_ => gen.Users[rng.Next(gen.Users.Length)]).ToList();
        var ends = new PathEnds(AttackPaths.DefaultSources(g, false), AttackPaths.CrownJewels(g));
        var target = -1;
        long bestCost = long.MaxValue;
        foreach (var j in gen.CrownJewels)
        {
            var r = ShortestPaths.Find(g, PathEnds.Between(starts[0], j), 1, null, EdgeFilter.All, QueryBudget.Unlimited());
            if (r.Paths.Count > 0 && r.Paths[0].Cost < bestCost) (bestCost, target) = (r.Paths[0].Cost, j);
        }

        Func<int, string> Query(string name) => name switch
        {
            "blast" => i => { var r = BlastRadius.Run(g, [starts[i % 5]], 6, null, EdgeFilter.All, QueryBudget.Unlimited()); return $"{r.Reached.Count} reached, work {r.Visits}"; },
            "before" => i => { var r = BlastRadiusBefore.Run(g, [starts[i % 5]], 6, null, EdgeFilter.All, QueryBudget.Unlimited()); return $"{r.Reached.Count} reached, work {r.Visits}"; },
            "shortest" => _ => Describe(ShortestPaths.Find(g, PathEnds.Between(starts[0], target), 1, null, EdgeFilter.All, QueryBudget.Unlimited())),
            "yen" => _ => Describe(ShortestPaths.Find(g, PathEnds.Between(starts[0], target), 10, null, EdgeFilter.All, QueryBudget.Unlimited())),
            "yen-before" => _ => Describe(ShortestPathsBefore.Find(g, PathEnds.Between(starts[0], target), 10, null, EdgeFilter.All, QueryBudget.Unlimited())),
            "top" => _ => Describe(AttackPaths.Run(g, ends, 10, 6, EdgeFilter.All, QueryBudget.Unlimited())),
            "top-before" => _ => Describe(ShortestPathsBefore.Find(g, ends, 10, 6, EdgeFilter.All, QueryBudget.Unlimited())),
            "choke" => _ =>
            {
                var r = ChokePoints.Run(g, ends, 20, EdgeFilter.All, new QueryBudget(new QueryLimits { MaxMillis = 20_000, MaxVisits = long.MaxValue, MaxResults = int.MaxValue }));
                return $"{r.SourcesDone}/{r.SourcesTotal} sources, {r.Pairs} pairs, work {r.Visits}, {r.Truncated}";
            },
            "choke-before" => _ =>
            {
                var r = ChokePointsBefore.Run(g, ends, 20, EdgeFilter.All, new QueryBudget(new QueryLimits { MaxMillis = 20_000, MaxVisits = long.MaxValue, MaxResults = int.MaxValue }));
                return $"{r.SourcesDone}/{r.SourcesTotal} sources, {r.Pairs} pairs, work {r.Visits}, {r.Truncated}";
            },
            _ => throw new ArgumentException($"unknown query {name}"),
        };
        // Several queries (comma-separated) alternate run by run, so a change of load hits them alike.
        var names = query.Split(',');
        var times = names.ToDictionary(n => n, _ => new List<double>());
        var quiet = args.Contains("--quiet");
        for (var i = 0; i < repeat; i++)
            foreach (var name in names)
            {
                var c0 = CpuClock.NowMs();
                var what = Query(name)(i);
                var ms = CpuClock.NowMs() - c0;
                times[name].Add(ms);
                if (!quiet) System.Console.WriteLine($"{name} #{i}: {ms:0.00} ms CPU; {what}");
            }
        foreach (var (name, list) in times)
        {
            list.Sort();
            System.Console.WriteLine($"{name}: median {list[list.Count / 2]:0.00} ms CPU over {repeat} runs (min {list[0]:0.00}, max {list[^1]:0.00}, total {list.Sum():0}); load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");
        }
        return 0;

        static string Describe(PathsResult r) =>
            $"{r.Paths.Count} paths, costs {string.Join(",", r.Paths.Select(p => p.Cost))}, hops {string.Join(",", r.Paths.Select(p => p.Hops))}, work {r.Visits}, {r.Truncated}";
    }
}

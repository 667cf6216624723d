using System.Diagnostics;
using System.Runtime;
using Redoubt.Graph.Algorithms;
using Redoubt.Graph.Engine;
using Redoubt.Storage.Graph;

namespace Redoubt.Perf.Graph;

/// <summary>
/// `graph-bench [--small] [--cte-cap SECONDS] [--no-sqlite] [--out FILE]`: builds the synthetic enterprise, loads it into the engine and
/// into SQLite, and times each query on both in the same run. Prints a markdown report (perf/RESULTS.md keeps the figures).
/// Every answer both sides gave is cross-checked; any disagreement fails the run (exit code 1).
/// `--no-sqlite` skips SQLite (its load is most of a full-size run's time): engine rows and their
/// cross-checks against the code before and a plain BFS only, for iterating on the engine; figures
/// of record come from the default, complete run.
/// </summary>
public static class GraphBench
{
    public static int Run(string[] args)
    {
        var small = args.Contains("--small");
        var noSqlite = args.Contains("--no-sqlite");
        var scale = small ? 0.1 : 1.0;
        var cap = TimeSpan.FromSeconds(args.SkipWhile(a => a != "--cte-cap").Skip(1).FirstOrDefault() is { } capArg ? double.Parse(capArg, System.Globalization.CultureInfo.InvariantCulture) : small ? 10 : 20);
        var mismatches = new List<string>();
        string Check(bool same, string ok, string differ, string what)
        {
            if (same) return ok;
            mismatches.Add($"{what}: {differ}");
            return $"**{differ}**";
        }
        var report = new List<string>();
        void Say(string line) { System.Console.WriteLine(line); report.Add(line); }
        var total = Stopwatch.StartNew();

        Say($"# Graph engine vs SQLite recursive CTE ({(small ? "--small, " : "")}scale {scale})");
        Say($"load average at start: {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");
        Say($"machine: {Environment.ProcessorCount} cores, .NET {Environment.Version}, {(GCSettings.IsServerGC ? "server" : "workstation")} GC; CTE cap {cap.TotalSeconds:0} s");

        var clock = Stopwatch.StartNew();
        var gen = new EnterpriseGenerator(scale);
        Say($"generated {gen.Nodes.Count:N0} nodes, {gen.EdgeCount:N0} edge observations in {clock.Elapsed.TotalSeconds:0.0} s");

        GC.Collect(2, GCCollectionMode.Forced, true, true);
        var before = GC.GetTotalMemory(true);
        clock.Restart();
        var engine = gen.LoadEngine();
        var loadSeconds = clock.Elapsed.TotalSeconds;
        GC.Collect(2, GCCollectionMode.Forced, true, true);
        var after = GC.GetTotalMemory(true);
        var g = engine.Snapshot;
        var (nodeBytes, edgeBytes, indexBytes) = engine.ArrayBytes;
        Say($"engine: {g.NodeCount:N0} nodes, {g.EdgeCount:N0} edges loaded and compacted in {loadSeconds:0.0} s");
        Say($"memory: edge arrays {(double)edgeBytes / g.EdgeCount:0.0} B/edge + writer index {(double)indexBytes / g.EdgeCount:0.0} B/edge = {(double)(edgeBytes + indexBytes) / g.EdgeCount:0.0} B/edge; " +
            $"node arrays {(double)nodeBytes / g.NodeCount:0.0} B/node; GC heap growth for the whole engine (nodes, key index, edges; key strings shared) {(after - before) / (double)g.EdgeCount:0.0} B/edge ({(after - before) / 1e6:0} MB)");

        clock.Restart();
        using var sqlite = noSqlite ? null : new SqliteBaseline(g, Path.Combine(Path.GetTempPath(), $"redoubt-graph-bench-{Environment.ProcessId}.db"));
        Say(sqlite is null
            ? "sqlite: skipped (--no-sqlite): no CTE timings or cross-checks in this run"
            : $"sqlite: {g.EdgeCount:N0} edges + {sqlite.StepRows:N0} attack-step rows loaded and indexed in {sqlite.LoadTime.TotalSeconds:0.0} s (rows {sqlite.InsertTime.TotalSeconds:0.0} s, indexes and ANALYZE {sqlite.IndexTime.TotalSeconds:0.0} s; {new FileInfo(sqlite.File).Length / 1e6:0} MB file)");
        const string skipped = "skipped (--no-sqlite)";

        static double Median(List<double> xs) { xs.Sort(); return xs.Count == 0 ? double.NaN : xs.Count % 2 == 1 ? xs[xs.Count / 2] : (xs[xs.Count / 2 - 1] + xs[xs.Count / 2]) / 2; }
        // Every figure is the query's CPU time on its thread (see CpuClock); wall time is printed alongside for the blast radius.
        var wallSamples = new List<double>();
        double Time(Action a) { var w = Stopwatch.StartNew(); var c = CpuClock.NowMs(); a(); var cpu = CpuClock.NowMs() - c; wallSamples.Add(w.Elapsed.TotalMilliseconds); return cpu; }
        var rows = new List<string>();
        void Row(string query, double engineMs, string sqliteText, double? sqliteMs, bool sqliteCapped, string check)
    {
            var ratio = sqliteMs is { } s ? (sqliteCapped ? "> " : "") + $"{s / engineMs:N0}x" : "n/a";
            rows.Add($"| {query} | {engineMs:0.00} ms | {sqliteText} | {ratio} | {check} |");
        }
        static string Ms(double ms) => ms < 10 ? ms.ToString("0.0", System.Globalization.CultureInfo.InvariantCulture) : ms.ToString("N0", System.Globalization.CultureInfo.InvariantCulture);
        var unlimited = QueryBudget.Unlimited;

        // Blast radius, 6 hops, from ordinary users.
        var rng = new Random(7);
        var starts = Enumerable.Range(0, 5).Select(_ => gen.Users[rng.Next(gen.Users.Length)]).ToList();
        var engineTimes = new List<double>();
        var beforeTimes = new List<double>();
        var blastVisits = new List<long>();
        var engineWall = new List<double>();
        var reachedCounts = new List<int>();
        var referenceAgrees = true;
        foreach (var s in starts)
    {
            var warm = BlastRadius.Run(g, [s], 6, null, EdgeFilter.All, unlimited()); // warm-up
            // The reach set against a plain BFS over all edges (not the engine's step runs): exact set, not just the count.
            var reference = ReachReference.Reach(g, s, 6);
            var engineSet = warm.Reached.Select(x => x.Node).ToHashSet();
            if (!engineSet.SetEquals(reference))
            {
                referenceAgrees = false;
                mismatches.Add($"blast radius from node {s}: engine {engineSet.Count} nodes, reference BFS {reference.Count} ({engineSet.Except(reference).Count()} only in the engine, {reference.Except(engineSet).Count()} only in the BFS)");
            }
            // The engine code before (commit 62a139c) on the same snapshot: same answer, node for node and path for path.
            var old = BlastRadiusBefore.Run(g, [s], 6, null, EdgeFilter.All, unlimited());
            if (!SameBlastRadius(g, warm, old)) mismatches.Add($"blast radius from node {s}: the rewrite and the code before it differ");
            for (var i = 0; i < 3; i++)
            {
                BlastRadiusResult? r = null;
                engineTimes.Add(Time(() => r = BlastRadius.Run(g, [s], 6, null, EdgeFilter.All, unlimited())));
                engineWall.Add(wallSamples[^1]);
                beforeTimes.Add(Time(() => BlastRadiusBefore.Run(g, [s], 6, null, EdgeFilter.All, unlimited())));
                if (i == 0) { reachedCounts.Add(r!.Reached.Count); blastVisits.Add(r.Visits); }
            }
        }
        var cteTimes = new List<double>();
        var capped = false;
        var cteCounts = new List<long?>();
        for (var i = 0; i < (sqlite is null ? 0 : 3); i++)
    {
            var c0 = CpuClock.NowMs();
            var (count, _) = sqlite!.BlastRadius(starts[i], 6, cap);
            var ms = CpuClock.NowMs() - c0;
            cteTimes.Add(ms);
            cteCounts.Add(count);
            if (count is null) capped = true;
        }
        // A CTE that finished is compared even when another one was interrupted.
        var agree = Enumerable.Range(0, cteCounts.Count).All(i => cteCounts[i] is null || cteCounts[i] == reachedCounts[i]);
        var referenceText = referenceAgrees ? "same reach sets as a plain BFS" : "**reach sets differ from a plain BFS**";
        Row($"blast radius, 6 hops, from a user (reached {string.Join("/", reachedCounts.Take(3))}… nodes)", Median(engineTimes),
            sqlite is null ? skipped : capped ? $"> {cap.TotalSeconds:0} s (interrupted)" : $"{Ms(Median(cteTimes))} ms", sqlite is null ? null : Median(cteTimes), capped,
            Check(agree, sqlite is null || capped ? "engine only" : "same reach counts", $"COUNTS DIFFER: engine {string.Join("/", reachedCounts.Take(3))}, CTE {string.Join("/", cteCounts.Select(x => x?.ToString() ?? "cut"))}", "blast radius") + "; " + referenceText);

        rows.Add($"| the same blast radius with the engine code before (commit 62a139c; same answers, checked) | {Median(beforeTimes):0.00} ms | – | {Median(beforeTimes) / Median(engineTimes):0.0}x slower | {(mismatches.Any(m => m.Contains("rewrite")) ? "**DIFFERENT ANSWER**" : "same nodes, costs and hops; every path real")} |");

        // Shortest attack path from a user to a crown jewel.
        var pairFrom = starts[0];
        GraphPath? best = null;
        foreach (var j in gen.CrownJewels)
    {
            var r = ShortestPaths.Find(g, PathEnds.Between(pairFrom, j), 1, null, EdgeFilter.All, unlimited());
            if (r.Paths.Count > 0 && (best is null || r.Paths[0].Cost < best.Cost)) best = r.Paths[0];
        }
        if (best is not null)
    {
            var target = best.Target;
            var times = new List<double>();
            for (var i = 0; i < 9; i++) times.Add(Time(() => ShortestPaths.Find(g, PathEnds.Between(pairFrom, target), 1, null, EdgeFilter.All, unlimited())));
            // Yen, k = 10, and the code before (62a139c) on the same pair, alternating: same costs, every path real.
            var pair = PathEnds.Between(pairFrom, target);
            var k = new List<double>();
            var kBefore = new List<double>();
            PathsResult? yen = null, yenBefore = null;
            for (var i = 0; i < 3; i++)
            {
                k.Add(Time(() => yen = ShortestPaths.Find(g, pair, 10, null, EdgeFilter.All, unlimited())));
                kBefore.Add(Time(() => yenBefore = ShortestPathsBefore.Find(g, pair, 10, null, EdgeFilter.All, unlimited())));
            }
            var yenCheck = SamePaths(g, pair, null, yen!, yenBefore!);
            var c0 = CpuClock.NowMs();
            var (cost, _) = sqlite?.ShortestPath(pairFrom, target, best.Hops, cap) ?? (null, 0);
            var ms = CpuClock.NowMs() - c0;
            Row($"shortest attack path, user → crown jewel ({best.Hops} hops, cost {best.Cost / 1000.0})", Median(times),
                sqlite is null ? skipped : cost is null ? $"> {cap.TotalSeconds:0} s (interrupted)" : $"{Ms(ms)} ms", sqlite is null ? null : ms, cost is null,
                cost is null ? "engine only" : Check(cost == best.Cost, "same cost", $"CTE {cost} vs {best.Cost}", "shortest path"));
            rows.Add($"| 10 shortest attack paths (Yen), same pair (costs {string.Join(", ", yen!.Paths.Select(p => p.Cost / 1000.0))}) | {Median(k):0.00} ms | – | – | {Check(yenCheck is null, "every path real, loopless, distinct", yenCheck ?? "", "Yen")} |");
            rows.Add($"| the same with the engine code before (62a139c) | {Median(kBefore):0.00} ms | – | {Median(kBefore) / Median(k):N0}x slower | {Check(yenCheck is null, "same costs", yenCheck ?? "", "Yen before")} |");
        }

        // Top-10 attack paths from internet-facing hosts to crown jewels, at most 6 hops.
        var ends = new PathEnds(AttackPaths.DefaultSources(g, false), AttackPaths.CrownJewels(g));
        var top = AttackPaths.Run(g, ends, 10, 6, EdgeFilter.All, unlimited());
        var topTimes = new List<double>();
        var topBefore = new List<double>();
        PathsResult? topOld = null;
        for (var i = 0; i < 5; i++)
        {
            topTimes.Add(Time(() => AttackPaths.Run(g, ends, 10, 6, EdgeFilter.All, unlimited())));
            topBefore.Add(Time(() => topOld = ShortestPathsBefore.Find(g, ends, 10, 6, EdgeFilter.All, unlimited())));
        }
        var topCheck = SamePaths(g, ends, 6, top, topOld!);
        var t0 = CpuClock.NowMs();
        var (sum, _) = sqlite?.TopAttackPaths(6, cap) ?? (null, 0);
        var topMs = CpuClock.NowMs() - t0;
        Row($"top-10 attack paths, {ends.Sources.Count} internet-facing → {ends.Targets.Count} crown jewels, ≤ 6 hops", Median(topTimes),
            sqlite is null ? skipped : sum is null ? $"> {cap.TotalSeconds:0} s wall (interrupted after {topMs:N0} ms CPU)" : $"{Ms(topMs)} ms", sqlite is null ? null : topMs, sum is null,
            (sum is null ? "engine only" : Check(sum == top.Paths.Sum(p => p.Cost), "same 10 costs", $"CTE sum {sum} vs {top.Paths.Sum(p => p.Cost)}", "top attack paths"))
            + "; " + Check(topCheck is null, "every path real, loopless, distinct", topCheck ?? "", "top attack paths"));
        rows.Add($"| the same with the engine code before (62a139c) | {Median(topBefore):0.00} ms | – | {Median(topBefore) / Median(topTimes):N0}x slower | {Check(topCheck is null, "same costs", topCheck ?? "", "top attack paths before")} |");

        // 3-hop pattern: (u:User)-[:MEMBER_OF]->(g:Group)-[:ADMIN_TO]->(h:Host)-[:STORES]->(d:DataStore {crown_jewel}).
        long Pattern()
    {
            var pairs = new HashSet<long>();
            foreach (var d in ends.Targets)
                foreach (var st in g.In(d))
                {
                    if (st.Type != EdgeType.Stores || g.Kind(st.Peer) != NodeKind.Host) continue;
                    foreach (var ad in g.In(st.Peer))
                    {
                        if (ad.Type != EdgeType.AdminTo || g.Kind(ad.Peer) != NodeKind.Group) continue;
                        foreach (var m in g.In(ad.Peer))
                            if (m.Type == EdgeType.MemberOf && g.Kind(m.Peer) == NodeKind.User) pairs.Add(((long)m.Peer << 32) | (uint)d);
                    }
                }
            return pairs.Count;
        }
        var patternCount = Pattern();
        var patternTimes = new List<double>();
        for (var i = 0; i < 9; i++) patternTimes.Add(Time(() => Pattern()));
        var patternCte = new List<double>();
        long? cteCount = null;
        for (var i = 0; i < (sqlite is null ? 0 : 3); i++) { var c0 = CpuClock.NowMs(); var (c, _) = sqlite!.ThreeHopPattern(cap); cteCount = c; patternCte.Add(CpuClock.NowMs() - c0); }
        Row($"3-hop pattern user-MEMBER_OF→group-ADMIN_TO→host-STORES→crown jewel ({patternCount:N0} pairs)", Median(patternTimes),
            sqlite is null ? skipped : cteCount is null ? $"> {cap.TotalSeconds:0} s (interrupted)" : $"{Ms(Median(patternCte))} ms", sqlite is null ? null : Median(patternCte), cteCount is null,
            cteCount is null ? "engine only" : Check(cteCount == patternCount, "same pairs", $"CTE {cteCount} vs {patternCount}", "3-hop pattern"));

        // The same pattern as an openCypher query through the query front end (parse, plan, stream) on the same snapshot.
        const string cypherText = """
            MATCH (u:User)-[:MEMBER_OF]->(:Group)-[:ADMIN_TO]->(:Host)-[:STORES]->(d:DataStore)
            WHERE 'crown_jewel' IN d.tags
            WITH DISTINCT u, d
            RETURN count(*) AS pairs
            """;
        var cypherGraph = new Redoubt.Graph.Cypher.SnapshotGraph(g, engine);
        var cypherLimits = Redoubt.Graph.Cypher.CypherLimits.Default with { TimeoutMs = (int)cap.TotalMilliseconds * 6, MaxExpansions = long.MaxValue / 4, MaxMaterialized = long.MaxValue / 4, ComplexityFactor = 1e12 };
        long CypherPattern() => Redoubt.Graph.Cypher.CypherEngine.Run(cypherText, cypherGraph, limits: cypherLimits).Rows[0][0].AsInt;
        var cypherCount = CypherPattern();
        var cypherTimes = new List<double>();
        for (var i = 0; i < 9; i++) cypherTimes.Add(Time(() => CypherPattern()));
        Row($"the same 3-hop pattern as a Cypher query (POST /api/v1/graph/query's engine: parse, plan, run)", Median(cypherTimes),
            sqlite is null ? skipped : cteCount is null ? $"> {cap.TotalSeconds:0} s (interrupted)" : $"{Ms(Median(patternCte))} ms", sqlite is null ? null : Median(patternCte), cteCount is null,
            Check(cypherCount == patternCount, "same pairs as the hand-written traversal", $"Cypher {cypherCount} vs {patternCount}", "Cypher pattern"));

        // Choke points over the same sources and targets (no SQL counterpart): one Dijkstra per source,
        // so it runs under a 20 s budget, as the API would, and says how many sources it finished.
        QueryBudget ChokeBudget() => new(new QueryLimits { MaxMillis = 20_000, MaxVisits = long.MaxValue, MaxResults = int.MaxValue });
        var chokeTimes = new List<double>();
        ChokePointsResult? choke = null, chokeOld = null;
        for (var i = 0; i < 2; i++) chokeTimes.Add(Time(() => choke = ChokePoints.Run(g, ends, 20, EdgeFilter.All, ChokeBudget())));
        var chokeOldMs = Time(() => chokeOld = ChokePointsBefore.Run(g, ends, 20, EdgeFilter.All, ChokeBudget()));
        // Same answer on the sources both finish in little time (the first 20): same pairs, same ranked nodes and steps.
        var few = ends with { Sources = ends.Sources.Take(20).ToList() };
        var chokeCheck = SameChokePoints(ChokePoints.Run(g, few, 20, EdgeFilter.All, unlimited()), ChokePointsBefore.Run(g, few, 20, EdgeFilter.All, unlimited()));
        string Cut(ChokePointsResult r) => r.Truncated != BudgetHit.None ? ", cut by its 20 s budget" : "";
        rows.Add($"| choke points, {choke!.SourcesDone} of {choke.SourcesTotal} sources done × {ends.Targets.Count} jewels ({choke.Pairs:N0} pairs){Cut(choke)}: {Median(chokeTimes) / choke.SourcesDone:0.00} ms a source | {Median(chokeTimes):0.00} ms | – | – | {Check(chokeCheck is null, "same pairs and ranking as the code before (first 20 sources)", chokeCheck ?? "", "choke points")} |");
        rows.Add($"| the same with the engine code before (62a139c): {chokeOld!.SourcesDone} of {chokeOld.SourcesTotal} sources done{Cut(chokeOld)}: {chokeOldMs / Math.Max(1, chokeOld.SourcesDone):0.00} ms a source | {chokeOldMs:0.00} ms | – | {chokeOldMs / Math.Max(1, chokeOld.SourcesDone) / (Median(chokeTimes) / choke.SourcesDone):N0}x slower a source | – |");

        Say("");
        Say("| query | engine (median) | SQLite CTE | ratio | cross-check |");
        Say("|---|---|---|---|---|");
        foreach (var r in rows) Say(r);
        Say("");
        Say("Times are CPU time of the query's thread; the cap on SQLite is wall time.");
        // What the CTE counted before its step table followed the enterable rule (steps into Software too).
        Say($"blast radius reach if steps could enter Software (the CTE's step table before the fix): {string.Join("/", starts.Take(3).Select(x => ReachReference.Reach(g, x, 6, enterAnyKind: true).Count))} nodes");
        Say($"blast radius engine CPU samples: {string.Join(", ", engineTimes.Select(t => t.ToString("0.0")))} ms; wall (same runs): {string.Join(", ", engineWall.Select(t => t.ToString("0")))} ms; CTE CPU: {string.Join(", ", cteTimes.Select(t => t.ToString("0")))} ms");
        Say($"blast radius work (node expansions + edges looked at) per query: {string.Join(", ", blastVisits.Select(v => v.ToString("N0")))}; before (62a139c) CPU samples: {string.Join(", ", beforeTimes.Select(t => t.ToString("0.0")))} ms");
        Say($"whole run {total.Elapsed.TotalSeconds:0} s");
        foreach (var m in mismatches) Say($"MISMATCH {m}");
        Say(mismatches.Count == 0 ? "cross-checks: every answer both sides gave agrees" : $"FAILED: {mismatches.Count} cross-check(s) disagree");
        if (args.SkipWhile(a => a != "--out").Skip(1).FirstOrDefault() is { } outFile) File.WriteAllLines(outFile, report);
        return mismatches.Count == 0 ? 0 : 1;
    }

    /// <summary>
    /// Same reached nodes in the same order with the same cost, hops and min hops, and for each a path
    /// that is real: it starts at a start, each step leaves the node the previous one entered, and its
    /// steps add up to the cost in that many hops. (Between equally cheap paths the two may pick different ones.)
    /// </summary>
    private static bool SameBlastRadius(GraphSnapshot g, BlastRadiusResult a, BlastRadiusResult b)
    {
        if (a.Reached.Count != b.Reached.Count) return false;
        for (var i = 0; i < a.Reached.Count; i++)
        {
            var (x, y) = (a.Reached[i], b.Reached[i]);
            if (x.Node != y.Node || x.Cost != y.Cost || x.Hops != y.Hops || x.MinHops != y.MinHops) return false;
            if (!RealPath(g, a, x) || !RealPath(g, b, y)) return false;
        }
        return true;
    }

    /// <summary>
    /// Null when both answers have the same costs in the same order and every path of the new one is
    /// real: from a source to a target, step to step, loopless, within the hops, its steps and entry
    /// adding up to its cost, no two alike. (Between equally cheap paths the two may pick different ones.)
    /// </summary>
    private static string? SamePaths(GraphSnapshot g, PathEnds ends, int? maxHops, PathsResult now, PathsResult before)
    {
        var costs = now.Paths.Select(p => p.Cost).ToList();
        var old = before.Paths.Select(p => p.Cost).ToList();
        if (!costs.SequenceEqual(old)) return $"costs {string.Join(",", costs)} vs before {string.Join(",", old)}";
        var seen = new HashSet<string>();
        foreach (var p in now.Paths)
        {
            var entry = ends.Sources.Where(x => x.Node == p.Source).Select(x => x.EntryCost).DefaultIfEmpty(-1).Min();
            if (entry < 0 || entry != p.EntryCost || !ends.Targets.Contains(p.Target)) return $"path {p.Source}→{p.Target}: not from a source to a target";
            if (p.Nodes.Distinct().Count() != p.Nodes.Length || (maxHops is { } h && p.Hops > h)) return $"path {p.Source}→{p.Target}: a loop or too many hops";
            var cost = entry;
            for (var i = 0; i < p.Steps.Length; i++)
            {
                if (g.StepOrigin(p.Steps[i]) != p.Nodes[i] || g.StepTarget(p.Steps[i]) != p.Nodes[i + 1]) return $"path {p.Source}→{p.Target}: step {i} does not join its nodes";
                cost += g.StepCost(p.Steps[i]);
            }
            if (cost != p.Cost) return $"path {p.Source}→{p.Target}: steps add up to {cost}, not {p.Cost}";
            if (!seen.Add(p.Source + ":" + string.Join(",", p.Steps))) return $"path {p.Source}→{p.Target} twice";
        }
        return null;
    }

    /// <summary>Null when both have the same pairs and the same ranked nodes and steps with the same counts (to 1e-6: sums of shares may round apart).</summary>
    private static string? SameChokePoints(ChokePointsResult now, ChokePointsResult before)
    {
        if (now.Pairs != before.Pairs || now.SourcesDone != before.SourcesDone) return $"pairs {now.Pairs} vs before {before.Pairs}";
        static bool Same(IReadOnlyList<Crossing> a, IReadOnlyList<Crossing> b) =>
            a.Count == b.Count && a.Zip(b).All(x => x.First.Id == x.Second.Id && Math.Abs(x.First.Paths - x.Second.Paths) <= 1e-6 * Math.Max(1, x.Second.Paths));
        if (!Same(now.Nodes, before.Nodes)) return "ranked nodes differ from before";
        if (!Same(now.Steps, before.Steps)) return "ranked steps differ from before";
        return null;
    }

    private static bool RealPath(GraphSnapshot g, BlastRadiusResult result, ReachedNode x)
    {
        var p = result.Tree.PathTo(x.TreeIndex);
        if (p.Steps.Length != x.Hops || p.Nodes[^1] != x.Node || !result.Starts.Contains(p.Nodes[0])) return false;
        long cost = 0;
        for (var k = 0; k < p.Steps.Length; k++)
        {
            if (g.StepOrigin(p.Steps[k]) != p.Nodes[k] || g.StepTarget(p.Steps[k]) != p.Nodes[k + 1]) return false;
            cost += g.StepCost(p.Steps[k]);
        }
        return cost == x.Cost && p.Cost == x.Cost;
    }
}

using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Redoubt.Configuration;
using Redoubt.Perf.Load;
using Redoubt.Storage.Events;
using EventLog = Redoubt.Storage.Events.EventLog;

namespace Redoubt.Perf.Scale;

/// <summary>
/// `Redoubt.Perf scale --data SHARED --events N [--requests R] [--sqlite] [--rules DIR] [--out FILE]`:
/// a store of N events (<see cref="ScaleEvents"/>) written by a child process straight through
/// <see cref="EventLog"/> with the appliance's own storage options and SIGKILLed when done, then:
/// 1. the event log opened after that kill -9, timed (recovery vs store size), and the same queries in-process;
/// 2. the real appliance started on the store (token, HTTPS, like the load driver), time to healthy and
///    until every sink (graph, ingest history) replayed the store;
/// 3. the 7,408 real OTRF Windows events posted over NDJSON so detection (all shared Sigma rules) has alerts;
/// 4. p50/p99 of the API calls the console's events page and dashboard make;
/// 5. memory: store bytes per event, RSS, graph array bytes per edge;
/// 6. kill -9 of the appliance and restart to healthy on the same store;
/// 7. with --sqlite, the same events in SQLite (indexed on time and host) and the same lookups.
/// Prints a Markdown table (and writes it to --out).
/// </summary>
public static class ScaleBench
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    internal sealed record Row(string Bench, string Figure, string Value, string Note);

    /// <summary>One lookup, three ways: the appliance's HTTP API, EventLog in-process, SQLite.</summary>
    internal sealed record Lookup(string Name, string Path, EventQuery? Query, string? Sql, object[] SqlArgs);

    public static int Run(string[] args) => RunAsync(args).GetAwaiter().GetResult();

    private static string? Opt(string[] a, string name) { var i = Array.IndexOf(a, name); return i >= 0 && i + 1 < a.Length ? a[i + 1] : null; }

    private static async Task<int> RunAsync(string[] args)
    {
        var shared = Opt(args, "--data") ?? throw new ArgumentException("scale: --data SHARED_DATA is required");
        var count = long.Parse(Opt(args, "--events") ?? "1000000", Inv);
        var requests = int.Parse(Opt(args, "--requests") ?? "30", Inv);
        var rules = Opt(args, "--rules");
        var dll = Path.GetFullPath(Opt(args, "--dll") ?? "appliance/bin/Release/net10.0/redoubt.dll");
        var sqlite = args.Contains("--sqlite");
        var sinkWait = TimeSpan.FromSeconds(double.Parse(Opt(args, "--sink-wait") ?? "900", Inv));
        var outFile = Opt(args, "--out");
        var rows = new List<Row>();
        var dir = Directory.CreateTempSubdirectory("redoubt-scale-").FullName;
        var endMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var gen = new ScaleEvents(shared, count, endMs);
        var label = count >= 1_000_000 ? $"{count / 1e6:0.#}M" : $"{count:N0}";
        var failed = false;
        try
        {
            // ---- 1. write, kill -9, open ----------------------------------------------------------
            var write = Stopwatch.StartNew();
            await WriteAndKillAsync(dir, count, shared, endMs);
            var writeS = write.Elapsed.TotalSeconds;
            var events = Path.Combine(dir, "events");
            var storeBytes = Directory.GetFiles(events, "events.log.*").Sum(f => new FileInfo(f).Length);
            Log($"wrote {count:N0} events ({storeBytes / 1e6:N0} MB) in {writeS:F1} s ({count / writeS:N0}/s), writer SIGKILLed");
            rows.Add(new Row($"store of {label}", "written (fast path)", $"{count / writeS:N0} events/s",
                $"child process, EventLog.AppendAsync in 4,096-event durable batches with the appliance's storage options; {gen.DistinctLines:N0} real lines of shared/data/logs parsed once, repeated over {ScaleEvents.Hosts:N0} synthetic hosts and {gen.SpanDays:F0} days; {storeBytes / 1e6:N0} MB, then SIGKILL"));

            WarmUp();
            var lookups = Lookups(gen);
            var open = Stopwatch.StartNew();
            var log = EventLog.Open(LogOptions(dir));
            var openMs = open.Elapsed.TotalMilliseconds;
            var held = log.Count;
            rows.Add(new Row($"store of {label}", "event log open after kill -9", $"{openMs:F0} ms",
                $"{held:N0} events counted; {log.Recovery.IndexBlocks:N0} index blocks read, {log.Recovery.TailEventsScanned:N0} tail events scanned (first open of the process after a JIT warm-up on a scratch store)"));
            if (held != count) { rows.Add(new Row($"store of {label}", "**events after recovery**", $"{held:N0}", $"**expected {count:N0}**")); failed = true; }
            var inProcess = new Dictionary<string, List<double>>();
            foreach (var l in lookups.Where(l => l.Query is not null))
                inProcess[l.Name] = await SampleAsync(Math.Max(3, requests / 4), async () => { await log.QueryAsync(l.Query!); return ""; });
            // Where the absent-text search spends its time: the same newest 1M events as one sequential run
            // (the export path: neighbouring blocks merged, double page buffering), decoded and matched the same way.
            var absent = lookups.First(l => l.Name.StartsWith("text filter, absent", StringComparison.Ordinal)).Query!;
            var lastM = absent with { FromMs = gen.TimeOf(Math.Max(0, count - 1_000_000)) };
            var seq = Stopwatch.StartNew();
            long seqScanned = 0;
            await foreach (var _ in log.ExportAsync(lastM with { Text = null })) seqScanned++;
            var seqAll = seq.Elapsed.TotalMilliseconds;
            seq.Restart();
            await foreach (var _ in log.ExportAsync(lastM)) { }
            var seqMatch = seq.Elapsed.TotalMilliseconds;
            rows.Add(new Row($"store of {label}", "newest 1M events read as one sequential run (in-process)", $"{seqAll:F0} ms",
                $"{seqScanned:N0} events decoded by ExportAsync (no filter); with the absent-text filter {seqMatch:F0} ms — against the block-by-block QueryAsync of the same events in the rows below"));
            await log.DisposeAsync();
            Write(rows, outFile, quiet: true); // so far: a step cut by its time limit keeps what it measured

            // ---- 2. the appliance on the store -----------------------------------------------------
            var extra = new List<string> { "--Storage:MinFreeBytes=0" };
            if (rules is not null) { extra.Add("--rules"); extra.Add(rules); }
            var start = Stopwatch.StartNew();
            await using var app = await ApplianceUnderTest.StartAsync(dll, extra, dir);
            var healthyS = start.Elapsed.TotalSeconds;
            var caughtS = await WaitSinksAsync(app, start, sinkWait);
            var lag = await SinkLagAsync(app);
            Log($"appliance healthy in {healthyS:F1} s, sinks caught up at {caughtS:F1} s");
            rows.Add(new Row($"appliance on {label}", "first start → healthy", $"{healthyS:F1} s", $"store written offline, fresh state and graph stores; {(rules is null ? "no rules" : "all shared Sigma rules")} loaded"));
            rows.Add(new Row($"appliance on {label}", "first start → every sink replayed the store", double.IsNaN(caughtS) ? $"**not within {sinkWait.TotalSeconds:F0} s**" : $"{caughtS:F1} s",
                "graph extraction and ingest history replay every stored event on a fresh data dir; detection covers events from its first start on" +
                (double.IsNaN(caughtS) ? $"; **the API figures below were taken while the replay went on** ({lag})" : "")));

            // ---- 3. alerts from real events --------------------------------------------------------
            var otrf = Redoubt.Tests.Support.Otrf.WindowsLines;
            var before = (await app.ProgressAsync()).Events;
            for (var i = 0; i < otrf.Count; i += 500)
            {
                var body = string.Join('\n', otrf.Skip(i).Take(500)) + "\n";
                using var content = new StringContent(body, Encoding.UTF8, "application/x-ndjson");
                using var r = await app.Http.PostAsync("/api/v1/ingest", content);
                r.EnsureSuccessStatusCode();
            }
            var posted = (await app.ProgressAsync()).Events - before;
            if (!double.IsNaN(caughtS)) await WaitSinksAsync(app, Stopwatch.StartNew(), TimeSpan.FromMinutes(5));
            else await Task.Delay(TimeSpan.FromSeconds(20)); // detection resumes from its first start, ahead of the replaying graph: give it the OTRF events
            var alertTotal = (await app.GetJsonAsync("/api/v1/alerts?limit=1")).GetProperty("total").GetInt64();
            Log($"{posted:N0} OTRF events posted, {alertTotal:N0} alerts");
            Write(rows, outFile, quiet: true);

            // ---- 4. API latency --------------------------------------------------------------------
            foreach (var l in lookups)
            {
                var last = "";
                var ms = await SampleAsync(requests, async () => last = await GetAsync(app, l.Path));
                rows.Add(new Row($"API on {label}", l.Name, $"{P(ms, 50)} / {P(ms, 99)} ms", Describe(l, last, ms.Count)
                    + (inProcess.TryGetValue(l.Name, out var ip) ? $"; EventLog.QueryAsync in-process {P(ip, 50)} / {P(ip, 99)} ms" : "")));
            }
            var dash = await SampleAsync(requests, async () =>
            {
                await GetAsync(app, "/api/v1/stats");
                for (var level = 5; level >= 1; level--) await GetAsync(app, $"/api/v1/alerts?state=new,acknowledged,in_progress&severity={level}&limit=1");
                return "";
            });
            rows.Add(new Row($"API on {label}", "dashboard poll (stats + 5 alert counts, as dashboard.js every 5 s)", $"{P(dash, 50)} / {P(dash, 99)} ms", $"{dash.Count} polls, the six calls one after the other"));
            var alertList = await SampleAsync(requests, () => GetAsync(app, "/api/v1/alerts?state=new,acknowledged,in_progress&limit=100"));
            rows.Add(new Row($"API on {label}", "alerts list (open, newest 100)", $"{P(alertList, 50)} / {P(alertList, 99)} ms", $"{alertTotal:N0} alerts from the OTRF events, all shared Sigma rules; {alertList.Count} calls"));

            Write(rows, outFile, quiet: true);

            // ---- 5. memory -------------------------------------------------------------------------
            var stats = await app.GetJsonAsync("/api/v1/stats");
            var stored = stats.GetProperty("events").GetInt64();
            var bytes = stats.GetProperty("storeBytes").GetInt64();
            var rss = app.RssBytes();
            rows.Add(new Row($"memory, {label}", "event store on disk per event", $"{bytes / (double)stored:F0} B", $"{stored:N0} events, {bytes / 1e6:N0} MB (FASTER log + time index)"));
            rows.Add(new Row($"memory, {label}", "appliance RSS", $"{rss / 1e6:N0} MB", $"after the queries; {rss / (double)stored:F1} B per stored event (upper bound: runtime, rules, graph and caches included)"));
            var graph = await app.GetJsonAsync("/api/v1/graph/stats");
            var edges = graph.GetProperty("edges").GetInt64();
            var arr = graph.GetProperty("arrayBytes");
            var edgeBytes = arr.GetProperty("edges").GetInt64() + arr.GetProperty("edgeIndex").GetInt64();
            rows.Add(new Row($"memory, {label}", "graph: array bytes per edge (appliance)", edges > 0 ? $"{edgeBytes / (double)edges:F1} B" : "no edges",
                $"{edges:N0} edges, {graph.GetProperty("nodes").GetInt64():N0} nodes extracted from the stored events; edge arrays + edge index {edgeBytes / 1e6:F1} MB, node arrays {arr.GetProperty("nodes").GetInt64() / 1e6:F1} MB (GET /api/v1/graph/stats)"));

            Write(rows, outFile, quiet: true);

            // ---- 6. kill -9 and restart ------------------------------------------------------------
            var restartS = await app.CrashAndRestartAsync();
            var again = Stopwatch.StartNew();
            var after = (await app.ProgressAsync()).Events;
            var caught2 = double.IsNaN(caughtS) ? double.NaN : await WaitSinksAsync(app, again, TimeSpan.FromMinutes(5));
            rows.Add(new Row($"appliance on {label}", "kill -9 → restarted and healthy", $"{restartS:F1} s",
                $"{after:N0} events after the restart (expected {stored:N0}); sinks caught up {(double.IsNaN(caught2) ? "not waited for / not within 5 min" : $"{caught2:F1} s")} after healthy; commit {Commit()}"));
            if (after != stored) failed = true;

            Write(rows, outFile, quiet: true);

            // ---- 7. SQLite peer --------------------------------------------------------------------
            if (sqlite) rows.AddRange(await SqlitePeer.RunAsync(gen, Path.Combine(dir, "peer.sqlite"), lookups.Where(l => l.Sql is not null).ToList(), requests, label));
        }
        catch (Exception e)
        {
            Log("scale failed: " + e);
            rows.Add(new Row($"store of {label}", "**failed**", e.GetType().Name, e.Message.Split('\n')[0]));
            failed = true;
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
        Write(rows, outFile);
        return failed ? 1 : 0;
    }

    /// <summary>The lookups measured, each as an API path, an EventLog query and the SQL of the peer.</summary>
    internal static List<Lookup> Lookups(ScaleEvents gen)
    {
        var host = gen.HostOf(42);
        var mid = gen.TimeOf(gen.Count / 2);
        var hourTo = mid + 3_600_000;
        var dayFrom = gen.TimeOf(gen.Count - 1) - 86_400_000;
        static string Iso(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms).ToString("yyyy-MM-ddTHH:mm:ss.fffZ", Inv);
        const string cols = "SELECT id, time_ms, host, app, severity, message FROM events";
        return
        [
            new("newest events page (100)", "/api/v1/events?limit=100", new EventQuery(), $"{cols} ORDER BY id DESC LIMIT 100", []),
            new($"host filter (1 host of {ScaleEvents.Hosts:N0}), newest 100", $"/api/v1/events?limit=100&host={host}", new EventQuery { Host = host },
                $"{cols} WHERE host = $a ORDER BY id DESC LIMIT 100", [host]),
            // Every block holds every one of the 1,000 round-robin hosts, so the host sketches of the time index
            // cannot skip a block for the row above; a host that no event has (mistyped, retired) shows what they skip.
            new("host filter, a host no event has", "/api/v1/events?limit=100&host=no-such-host.plant.example", new EventQuery { Host = "no-such-host.plant.example" },
                $"{cols} WHERE host = $a ORDER BY id DESC LIMIT 100", ["no-such-host.plant.example"]),
            new("text filter, common ('Failed password'), newest 100", "/api/v1/events?limit=100&q=Failed%20password", new EventQuery { Text = "Failed password" },
                $"{cols} WHERE message LIKE '%Failed password%' ORDER BY id DESC LIMIT 100", []),
            new("text filter, absent (no event matches)", "/api/v1/events?limit=100&q=no-such-text-anywhere", new EventQuery { Text = "no-such-text-anywhere" },
                $"{cols} WHERE id > $a AND message LIKE '%no-such-text-anywhere%' ORDER BY id DESC LIMIT 100", [gen.Count - 1_000_000]),
            new("time window (one hour, mid-store), newest 100", $"/api/v1/events?limit=100&from={Iso(mid)}&to={Iso(hourTo)}", new EventQuery { FromMs = mid, ToMs = hourTo },
                $"{cols} WHERE time_ms >= $a AND time_ms < $b ORDER BY id DESC LIMIT 100", [mid, hourTo]),
            new("host + text + last day", $"/api/v1/events?limit=100&host={host}&q=session&from={Iso(dayFrom)}", new EventQuery { Host = host, Text = "session", FromMs = dayFrom },
                $"{cols} WHERE host = $a AND message LIKE '%session%' AND time_ms >= $b ORDER BY id DESC LIMIT 100", [host, dayFrom]),
            new("stats (dashboard, events page)", "/api/v1/stats", null, null, []),
        ];
    }

    private static string Describe(Lookup l, string body, int n)
    {
        if (l.Query is null) return $"{n} calls";
        using var doc = JsonDocument.Parse(body);
        var r = doc.RootElement;
        var cursor = r.GetProperty("nextCursor").ValueKind != JsonValueKind.Null;
        return $"{n} calls; {r.GetProperty("events").GetArrayLength()} events returned{(cursor ? " + cursor" : "")}, {r.GetProperty("scanned").GetInt32():N0} scanned, {r.GetProperty("blocksRead").GetInt32():N0} blocks, {r.GetProperty("bytesRead").GetInt64() / 1e6:F1} MB read";
    }

    /// <summary>
    /// One unmeasured call (two when it is fast), then up to <paramref name="n"/> measured ones, stopping after 20 s of
    /// calls but not before 5 (3 when a call takes seconds: the budget of the whole step).
    /// </summary>
    internal static async Task<List<double>> SampleAsync(int n, Func<Task<string>> call)
    {
        var warm = Stopwatch.StartNew();
        await call();
        var slow = warm.Elapsed > TimeSpan.FromSeconds(2);
        if (!slow) await call();
        var ms = new List<double>();
        var budget = Stopwatch.StartNew();
        while (ms.Count < n && (ms.Count < (slow ? 3 : 5) || budget.Elapsed < TimeSpan.FromSeconds(20)))
        {
            var t = Stopwatch.GetTimestamp();
            await call();
            ms.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
        }
        return ms;
    }

    private static async Task<string> GetAsync(ApplianceUnderTest app, string path)
    {
        using var r = await app.Http.GetAsync(path);
        var body = await r.Content.ReadAsStringAsync();
        if (!r.IsSuccessStatusCode) throw new HttpRequestException($"GET {path}: {(int)r.StatusCode} {body}");
        return body;
    }

    internal static string P(List<double> ms, double p) => Percentiles.Of(ms, p) switch { < 10 and var v => v.ToString("F2", Inv), var v => v.ToString("F0", Inv) };

    private static async Task<double> WaitSinksAsync(ApplianceUnderTest app, Stopwatch sw, TimeSpan limit)
    {
        var deadline = sw.Elapsed + limit;
        var report = sw.Elapsed;
        while (sw.Elapsed < deadline)
        {
            if ((await app.ProgressAsync()).SinksCaughtUp) return sw.Elapsed.TotalSeconds;
            if (sw.Elapsed - report > TimeSpan.FromSeconds(30)) { report = sw.Elapsed; Log($"sinks at {sw.Elapsed.TotalSeconds:F0} s: {await SinkLagAsync(app)}"); }
            await Task.Delay(100);
        }
        return double.NaN;
    }

    /// <summary>Each sink's events applied and bytes still to apply, from /api/v1/stats.</summary>
    private static async Task<string> SinkLagAsync(ApplianceUnderTest app)
    {
        var s = await app.GetJsonAsync("/api/v1/stats");
        return string.Join(", ", s.GetProperty("sinks").EnumerateArray().Select(k =>
            $"{k.GetProperty("name").GetString()} {k.GetProperty("applied").GetInt64():N0} applied, {k.GetProperty("lagBytes").GetInt64() / 1e6:F0} MB behind"));
    }

    internal static EventLogOptions LogOptions(string dataDir) =>
        Redoubt.Program.EventLogOptionsFrom(new RedoubtOptions { DataDir = dataDir, Storage = { MinFreeBytes = 0 } });

    /// <summary>JIT the open, append and query paths on a scratch store, so the timed open is recovery work.</summary>
    private static void WarmUp()
    {
        var scratch = Directory.CreateTempSubdirectory("redoubt-warmup-").FullName;
        try
        {
            var log = EventLog.Open(LogOptions(scratch));
            log.AppendAsync([new EventRecord { ReceivedAtMs = 1, TimeMs = 1, Message = "warm-up" }]).AsTask().GetAwaiter().GetResult();
            log.QueryAsync(new EventQuery { Text = "x" }).GetAwaiter().GetResult();
            log.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
        finally { Directory.Delete(scratch, recursive: true); }
    }

    internal static async Task WriteAndKillAsync(string dataDir, long count, string shared, long endMs, double spanDays = ScaleEvents.DefaultSpanDays)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in (string[])[typeof(ScaleBench).Assembly.Location, "write-scale", dataDir, count.ToString(Inv), shared, endMs.ToString(Inv), spanDays.ToString(Inv)])
            psi.ArgumentList.Add(a);
        using var child = Process.Start(psi)!;
        string? line;
        while ((line = await child.StandardOutput.ReadLineAsync()) is not null && !line.StartsWith("written", StringComparison.Ordinal)) { }
        if (line is null) throw new InvalidOperationException("write-scale child ended before writing everything");
        child.Kill(); // SIGKILL: no final commit, no clean close
        await child.WaitForExitAsync();
    }

    /// <summary>Child: writes the store, prints "written N", then waits to be killed.</summary>
    public static async Task<int> WriteChildAsync(string[] args)
    {
        var dataDir = args[0];
        var gen = new ScaleEvents(args[2], long.Parse(args[1], Inv), long.Parse(args[3], Inv), args.Length > 4 ? double.Parse(args[4], Inv) : ScaleEvents.DefaultSpanDays);
        var log = EventLog.Open(LogOptions(dataDir));
        await gen.FillAsync(log);
        System.Console.WriteLine("written " + log.Count.ToString(Inv));
        await Task.Delay(Timeout.Infinite);
        return 0;
    }

    internal static string Commit()
    {
        try
        {
            using var p = Process.Start(new ProcessStartInfo("git", "rev-parse --short HEAD") { RedirectStandardOutput = true, UseShellExecute = false })!;
            var s = p.StandardOutput.ReadToEnd().Trim();
            p.WaitForExit();
            return s.Length > 0 ? s : "?";
        }
        catch (System.ComponentModel.Win32Exception) { return "?"; }
    }

    internal static void Log(string s) => System.Console.Error.WriteLine($"[{DateTime.UtcNow:HH:mm:ss}] {s}");

    private static void Write(List<Row> rows, string? outFile, bool quiet = false)
    {
        var sb = new StringBuilder();
        sb.AppendLine("| benchmark | figure | p50 / p99 or value | how |");
        sb.AppendLine("|---|---|---|---|");
        foreach (var r in rows) sb.AppendLine($"| {r.Bench} | {r.Figure} | {r.Value} | {r.Note.Replace("|", "\\|", StringComparison.Ordinal)} |");
        if (!quiet) System.Console.Write(sb.ToString());
        if (outFile is not null) File.WriteAllText(outFile, sb.ToString());
    }
}

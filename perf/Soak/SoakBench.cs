using System.Collections;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Redoubt.Perf.Load;

namespace Redoubt.Perf.Soak;

/// <summary>
/// `Redoubt.Perf soak --data SHARED [--minutes 3] [--rate 1000] [--window 20] [--in-flight 4] [--rules DIR] [--out FILE]`:
/// the real appliance (all shared Sigma rules with --rules) under constant moderate load for N minutes:
/// HTTP NDJSON at a paced rate (the real message mix, each line numbered), 4 requests in flight, while a
/// console's dashboard polls (stats + alert counts every 5 s). Every window it samples RSS, open handles,
/// threads, ack latency and dashboard latency; at the end every acknowledged line is looked for in the
/// store (GET /api/v1/export) by its number. Exit 1 when an acknowledged event is missing.
/// </summary>
public static class SoakBench
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    private const string SeqTag = " soakseq=";
    private const int Batch = 100;

    private sealed record Window(double AtS, long Rss, int Handles, int Threads, List<double> AckMs, List<double> DashMs, long Events, long LagBytes);

    private static string? Opt(string[] a, string name) { var i = Array.IndexOf(a, name); return i >= 0 && i + 1 < a.Length ? a[i + 1] : null; }

    public static int Run(string[] args) => RunAsync(args).GetAwaiter().GetResult();

    private static async Task<int> RunAsync(string[] args)
    {
        var shared = Opt(args, "--data") ?? throw new ArgumentException("soak: --data SHARED_DATA is required");
        var minutes = double.Parse(Opt(args, "--minutes") ?? "3", Inv);
        var rate = double.Parse(Opt(args, "--rate") ?? "1000", Inv);
        var windowS = double.Parse(Opt(args, "--window") ?? "20", Inv);
        var inFlight = int.Parse(Opt(args, "--in-flight") ?? "4", Inv);
        var rules = Opt(args, "--rules");
        var dll = Path.GetFullPath(Opt(args, "--dll") ?? "appliance/bin/Release/net10.0/redoubt.dll");
        var outFile = Opt(args, "--out");
        var mix = MessageMix.Load(Path.Combine(shared, "logs"));
        var extra = rules is null ? new List<string>() : ["--rules", rules];
        await using var app = await ApplianceUnderTest.StartAsync(dll, extra);
        Log($"appliance pid {app.Pid}; soak {minutes} min at {rate:N0} events/s");

        var acked = new BitArray(1 << 24);
        long ackedCount = 0, failedPosts = 0, nextSeq = 0;
        var ackMs = new List<double>();
        var dashMs = new List<double>();
        var windows = new List<Window>();
        var sw = Stopwatch.StartNew();
        var duration = TimeSpan.FromMinutes(minutes);
        using var stop = new CancellationTokenSource(duration);

        var senders = Enumerable.Range(0, inFlight).Select(c => Task.Run(async () =>
        {
            var pacer = new Pacer(rate / inFlight);
            for (long m = 0; !stop.IsCancellationRequested; m++)
            {
                try { await pacer.WaitForAsync(m * Batch, stop.Token); }
                catch (OperationCanceledException) { break; }
                var first = Interlocked.Add(ref nextSeq, Batch) - Batch;
                var body = new StringBuilder();
                for (var i = first; i < first + Batch; i++)
                    body.Append("{\"host\":\"soak-").Append(c).Append("\",\"message\":").Append(JsonSerializer.Serialize(mix[i] + SeqTag + i.ToString(Inv))).Append("}\n");
                var t = Stopwatch.GetTimestamp();
                try
                {
                    using var content = new StringContent(body.ToString(), Encoding.UTF8, "application/x-ndjson");
                    using var r = await app.Http.PostAsync("/api/v1/ingest", content);
                    var reply = await r.Content.ReadAsStringAsync();
                    if (!r.IsSuccessStatusCode) { Interlocked.Increment(ref failedPosts); Log($"POST {(int)r.StatusCode}: {reply}"); continue; }
                    using var doc = JsonDocument.Parse(reply);
                    if (doc.RootElement.GetProperty("accepted").GetInt64() != Batch) { Interlocked.Increment(ref failedPosts); continue; }
                    var took = Stopwatch.GetElapsedTime(t).TotalMilliseconds;
                    lock (acked)
                    {
                        for (var i = first; i < first + Batch; i++) acked[(int)i] = true;
                        ackedCount += Batch;
                        ackMs.Add(took);
                    }
                }
                catch (HttpRequestException e) { Interlocked.Increment(ref failedPosts); Log("POST failed: " + e.Message); }
            }
        })).ToArray();

        var dashboard = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                var t = Stopwatch.GetTimestamp();
                await app.GetJsonAsync("/api/v1/stats");
                for (var level = 5; level >= 1; level--) await app.GetJsonAsync($"/api/v1/alerts?state=new,acknowledged,in_progress&severity={level}&limit=1");
                lock (dashMs) dashMs.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
                try { await Task.Delay(5000, stop.Token); } catch (OperationCanceledException) { }
            }
        });

        while (!stop.IsCancellationRequested)
        {
            try { await Task.Delay(TimeSpan.FromSeconds(windowS), stop.Token); } catch (OperationCanceledException) { }
            List<double> a, d;
            lock (acked) { a = [.. ackMs]; ackMs.Clear(); }
            lock (dashMs) { d = [.. dashMs]; dashMs.Clear(); }
            var s = await app.GetJsonAsync("/api/v1/stats");
            var lag = s.GetProperty("sinks").EnumerateArray().Max(k => k.GetProperty("lagBytes").GetInt64());
            var w = new Window(sw.Elapsed.TotalSeconds, app.RssBytes(), app.OpenHandles(), app.Threads(), a, d, s.GetProperty("events").GetInt64(), lag);
            windows.Add(w);
            Log($"t={w.AtS:F0}s rss {w.Rss / 1e6:F0} MB, handles {w.Handles}, threads {w.Threads}, ack p50 {Pct(a, 50)} p99 {Pct(a, 99)} ms ({a.Count} posts), dashboard p50 {Pct(d, 50)} ms, {w.Events:N0} events, sink lag {lag:N0} B");
        }
        await Task.WhenAll(senders);
        await dashboard;
        var sent = sw.Elapsed.TotalSeconds;

        // Every acknowledged line must be in the store: read everything back and tick off the numbers.
        var stored = await StoredSeqsAsync(app);
        long missing = 0, present = 0;
        for (var i = 0; i < (int)Math.Min(nextSeq, acked.Length); i++)
        {
            if (!acked[i]) continue;
            if (stored[i]) present++; else missing++;
        }
        var caught = Stopwatch.StartNew();
        while (!(await app.ProgressAsync()).SinksCaughtUp && caught.Elapsed < TimeSpan.FromMinutes(2)) await Task.Delay(100);
        Log($"soak done: {ackedCount:N0} acked, {present:N0} found, {missing:N0} missing, {failedPosts} failed posts");

        var first = windows.First();
        var last = windows.Last();
        var rows = new List<(string, string, string, string)>
        {
            ("load", "offered, acknowledged", $"{ackedCount / sent:N0} events/s for {sent / 60:F1} min",
                $"HTTP NDJSON, {Batch} lines per POST, {inFlight} in flight, paced at {rate:N0}/s; the real message mix, each line numbered; a dashboard poll (stats + 5 alert counts) every 5 s; {(rules is null ? "no rules" : "all shared Sigma rules")}"),
            ("acked events all stored", "acknowledged / found in the store / missing", $"{ackedCount:N0} / {present:N0} / **{missing:N0}**",
                $"read back through GET /api/v1/export, each line's number ticked off; {failedPosts} POSTs failed or were refused"),
            ("RSS", "first window → last window", $"{first.Rss / 1e6:F0} → {last.Rss / 1e6:F0} MB",
                $"max {windows.Max(w => w.Rss) / 1e6:F0} MB; {first.Events:N0} → {last.Events:N0} events stored ({(last.Rss - first.Rss) / (double)Math.Max(1, last.Events - first.Events):F0} B of RSS growth per event stored meanwhile)"),
            ("open handles", "first → last", $"{first.Handles} → {last.Handles}", $"/proc/PID/fd; max {windows.Max(w => w.Handles)}; threads {first.Threads} → {last.Threads}"),
            ("NDJSON ack latency", "p50 / p99, first window → last window", $"{Pct(first.AckMs, 50)} / {Pct(first.AckMs, 99)} → {Pct(last.AckMs, 50)} / {Pct(last.AckMs, 99)} ms",
                $"{windowS:F0}-s windows ({first.AckMs.Count} and {last.AckMs.Count} POSTs); the ack comes after the durable commit, so it is also send → queryable"),
            ("dashboard poll latency", "p50, first window → last window", $"{Pct(first.DashMs, 50)} → {Pct(last.DashMs, 50)} ms", "stats + 5 alert counts, one after the other"),
            ("sinks", "lag at the last window", $"{last.LagBytes:N0} B", $"all caught up {caught.Elapsed.TotalSeconds:F1} s after the load stopped"),
            ("windows", "t: RSS MB, handles, ack p99 ms", string.Join("; ", windows.Select(w => $"{w.AtS:F0}s: {w.Rss / 1e6:F0}, {w.Handles}, {Pct(w.AckMs, 99)}")), ""),
        };
        var sb = new StringBuilder("| soak | figure | value | how |\n|---|---|---|---|\n");
        foreach (var (a, b, c, d) in rows) sb.AppendLine($"| {a} | {b} | {c} | {d} |");
        System.Console.Write(sb.ToString());
        if (outFile is not null) File.WriteAllText(outFile, sb.ToString());
        return missing == 0 && ackedCount > 0 ? 0 : 1;
    }

    private static async Task<BitArray> StoredSeqsAsync(ApplianceUnderTest app)
    {
        var seen = new BitArray(1 << 24);
        using var r = await app.Http.GetAsync("/api/v1/export?q=soakseq", HttpCompletionOption.ResponseHeadersRead);
        r.EnsureSuccessStatusCode();
        using var reader = new StreamReader(await r.Content.ReadAsStreamAsync());
        while (await reader.ReadLineAsync() is { } line)
        {
            var at = line.IndexOf(SeqTag, StringComparison.Ordinal);
            if (at < 0) continue;
            var from = at + SeqTag.Length;
            var to = from;
            while (to < line.Length && char.IsAsciiDigit(line[to])) to++;
            if (to > from && int.TryParse(line.AsSpan(from, to - from), NumberStyles.None, Inv, out var seq) && seq < seen.Length) seen[seq] = true;
        }
        return seen;
    }

    private static string Pct(List<double> xs, double p) => xs.Count == 0 ? "–" : Percentiles.Of(xs, p).ToString(Percentiles.Of(xs, p) < 10 ? "F1" : "F0", Inv);

    private static void Log(string s) => System.Console.Error.WriteLine($"[{DateTime.UtcNow:HH:mm:ss}] {s}");
}

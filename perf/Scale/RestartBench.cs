using System.Diagnostics;
using System.Globalization;
using System.Text;
using Redoubt.Perf.Load;

namespace Redoubt.Perf.Scale;

/// <summary>
/// `Redoubt.Perf restart --data SHARED --events N --base OLD/redoubt.dll [--dll NEW/redoubt.dll] [--span-days D]
/// [--rounds R] [--tail T] [--rules DIR] [--store DIR] [--sink-wait S] [--out FILE]`: kill -9 → healthy of two appliance
/// builds on the same store, alternating. The store (<see cref="ScaleEvents"/>, received times over the last
/// D days: 2 by default, so every event lies in the 3-day window ingest state is rebuilt from) is written by
/// a child process and SIGKILLed, or reused from --store. The new build starts on it first and every sink
/// replays it; a clean stop and start follow (final checkpoints, so no sink replays during the timed
/// restarts). Then each round SIGKILLs the running appliance and starts the other build, in the order
/// base, new, then new, base, and so on: time from exec to /healthz, the process's CPU seconds at that
/// moment, its "redoubt ready" line and the load average. With --tail T, T events are posted over
/// NDJSON (acknowledged, 1,000 per request) right before each kill, as a kill during ingestion: the
/// new build then replays what came after its last ingest state checkpoint, the old one its window.
/// </summary>
public static class RestartBench
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    private static string? Opt(string[] a, string name) { var i = Array.IndexOf(a, name); return i >= 0 && i + 1 < a.Length ? a[i + 1] : null; }

    private sealed record Sample(int Round, string Build, double WallS, double CpuS, string Load, string? Ready, long Events, string? State);

    public static int Run(string[] args) => RunAsync(args).GetAwaiter().GetResult();

    private static async Task<int> RunAsync(string[] args)
    {
        var shared = Opt(args, "--data") ?? throw new ArgumentException("restart: --data SHARED_DATA is required");
        var count = long.Parse(Opt(args, "--events") ?? "1000000", Inv);
        var spanDays = double.Parse(Opt(args, "--span-days") ?? "2", Inv);
        var rounds = int.Parse(Opt(args, "--rounds") ?? "3", Inv);
        var tail = int.Parse(Opt(args, "--tail") ?? "0", Inv);
        var dll = Path.GetFullPath(Opt(args, "--dll") ?? "appliance/bin/Release/net10.0/redoubt.dll");
        var baseDll = Path.GetFullPath(Opt(args, "--base") ?? throw new ArgumentException("restart: --base OLD/redoubt.dll is required"));
        var rules = Opt(args, "--rules");
        var sinkWait = TimeSpan.FromSeconds(double.Parse(Opt(args, "--sink-wait") ?? "900", Inv));
        var outFile = Opt(args, "--out");
        var store = Opt(args, "--store");
        var dir = store is not null ? Path.GetFullPath(store) : Directory.CreateTempSubdirectory("redoubt-restart-").FullName;
        var runs = new List<Sample>();
        var notes = new List<string>();
        try
        {
            if (Directory.Exists(Path.Combine(dir, "events")))
                Log($"reusing the store in {dir}");
            else
            {
                Directory.CreateDirectory(dir);
                var write = Stopwatch.StartNew();
                await ScaleBench.WriteAndKillAsync(dir, count, shared, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), spanDays);
                notes.Add($"store: {count:N0} events over the last {spanDays} days written in {write.Elapsed.TotalSeconds:F0} s by a child process, then SIGKILL");
                Log(notes[^1]);
            }

            var extra = new List<string> { "--Storage:MinFreeBytes=0" };
            if (rules is not null) { extra.Add("--rules"); extra.Add(rules); }
            var first = Stopwatch.StartNew();
            await using var app = await ApplianceUnderTest.StartAsync(dll, extra, dir);
            var firstS = first.Elapsed.TotalSeconds;
            var caught = await WaitSinksAsync(app, sinkWait);
            notes.Add($"first start (new build): healthy in {firstS:F1} s, every sink replayed the store after {caught:F0} s; {app.ReadyLine()}");
            Log(notes[^1]);
            var clean = await app.StopAndStartAsync();
            await WaitSinksAsync(app, TimeSpan.FromMinutes(5));
            notes.Add($"clean stop and start (new build): healthy in {clean:F1} s; {app.ReadyLine()}");
            Log(notes[^1]);
            var expected = (await app.ProgressAsync()).Events;

            for (var round = 1; round <= rounds; round++)
            {
                string[] order = round % 2 == 1 ? ["base", "new"] : ["new", "base"];
                foreach (var build in order)
                {
                    await Task.Delay(TimeSpan.FromSeconds(3)); // let the previous start's background work settle
                    if (tail > 0) await PostTailAsync(app, tail, $"r{round}-{build}");
                    var load = File.ReadAllText("/proc/loadavg").Split(' ')[0];
                    var wall = await app.CrashAndRestartAsync(build == "new" ? dll : baseDll);
                    var cpu = app.CpuSeconds();
                    var events = (await app.ProgressAsync()).Events;
                    // The ready line is logged right after Kestrel listens: give it a moment.
                    string? ready = null;
                    for (var i = 0; i < 50 && (ready = app.ReadyLine()) is null; i++) await Task.Delay(100);
                    runs.Add(new Sample(round, build, wall, cpu, load, ready, events, app.StateLine()));
                    Log($"round {round} {build}: healthy in {wall:F1} s, {cpu:F1} CPU s, load {load}, {events:N0} events; {ready}");
                    await WaitSinksAsync(app, TimeSpan.FromMinutes(2));
                }
            }
        }
        catch (Exception e)
        {
            Log("restart failed: " + e);
            notes.Add("**failed**: " + e.Message.Split('\n')[0]);
        }
        finally
        {
            if (store is null) try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
        Write(runs, notes, outFile, count, spanDays);
        // Every restart holds what was stored before its kill (with --tail, T more each round).
        return runs.Count == rounds * 2 && runs.Zip(runs.Skip(1)).All(p => p.Second.Events == p.First.Events + tail) ? 0 : 1;
    }

    /// <summary>T small NDJSON events, 1,000 per acknowledged request, from 100 agents.</summary>
    private static async Task PostTailAsync(ApplianceUnderTest app, int count, string tag)
    {
        for (var i = 0; i < count; i += 1000)
        {
            var body = new StringBuilder();
            for (var j = i; j < Math.Min(count, i + 1000); j++)
                body.Append(CultureInfo.InvariantCulture, $"{{\"host\":\"agent-{j % 100:D2}\",\"message\":\"tail {tag} {j}\"}}\n");
            using var content = new StringContent(body.ToString(), Encoding.UTF8, "application/x-ndjson");
            using var r = await app.Http.PostAsync("/api/v1/ingest", content);
            r.EnsureSuccessStatusCode();
        }
    }

    private static async Task<double> WaitSinksAsync(ApplianceUnderTest app, TimeSpan limit)
    {
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < limit)
        {
            if ((await app.ProgressAsync()).SinksCaughtUp) return sw.Elapsed.TotalSeconds;
            await Task.Delay(200);
        }
        return double.NaN;
    }

    private static double Median(IEnumerable<double> values)
    {
        var v = values.Order().ToArray();
        return v.Length == 0 ? double.NaN : v.Length % 2 == 1 ? v[v.Length / 2] : (v[v.Length / 2 - 1] + v[v.Length / 2]) / 2;
    }

    private static void Write(List<Sample> runs, List<string> notes, string? outFile, long count, double spanDays)
    {
        var sb = new StringBuilder();
        foreach (var n in notes) sb.AppendLine("- " + n);
        sb.AppendLine();
        sb.AppendLine("| round | build | kill -9 → healthy | CPU s at healthy | load | events | ready line |");
        sb.AppendLine("|---|---|---|---|---|---|---|");
        foreach (var r in runs)
            sb.AppendLine(FormattableString.Invariant($"| {r.Round} | {r.Build} | {r.WallS:F1} s | {r.CpuS:F1} | {r.Load} | {r.Events:N0} | {StartedPart(r.Ready)}{(r.State is null ? "" : "; " + r.State)} |"));
        foreach (var build in new[] { "base", "new" })
        {
            var mine = runs.Where(r => r.Build == build).ToList();
            if (mine.Count > 0)
                sb.AppendLine(FormattableString.Invariant($"| median | {build} | **{Median(mine.Select(r => r.WallS)):F1} s** | {Median(mine.Select(r => r.CpuS)):F1} | | | {mine.Count} runs |"));
        }
        var b = runs.Where(r => r.Build == "base").Select(r => r.WallS).ToList();
        var n2 = runs.Where(r => r.Build == "new").Select(r => r.WallS).ToList();
        if (b.Count > 0 && n2.Count > 0)
            sb.AppendLine(FormattableString.Invariant($"\nnew / base, median wall: {Median(n2) / Median(b):F2}x; {count:N0} events over {spanDays} days; commit {ScaleBench.Commit()}"));
        System.Console.Write(sb.ToString());
        if (outFile is not null) File.WriteAllText(outFile, sb.ToString());
    }

    /// <summary>"started in 6.1 s (tls 0.1 s, …)" out of the ready line.</summary>
    private static string StartedPart(string? ready)
    {
        if (ready is null) return "(no ready line)";
        var at = ready.IndexOf("started in", StringComparison.Ordinal);
        return at < 0 ? ready : ready[at..];
    }

    private static void Log(string s) => ScaleBench.Log(s);
}

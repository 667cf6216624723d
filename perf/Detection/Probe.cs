using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Redoubt.Detection.Engine;
using Redoubt.Detection.LogSources;
using Redoubt.Detection.Rules;
using Redoubt.Storage.Events;

namespace Redoubt.Perf.Detection;

/// <summary>
/// `Redoubt.Perf probe DATA [--rules N] [--rounds R] [--loop SECONDS]`: a CPU-time breakdown of the
/// detection path (not a benchmark: the shared machine is oversubscribed, so the CPU time of this
/// single-threaded loop is the honest figure, and medians of R rounds are printed). `--loop` only
/// runs Evaluate for that long, for a profiler (perf record) to sample.
/// </summary>
public static class Probe
{
    public static void Run(string[] args)
    {
        var data = args[0];
        var rules = Option(args, "--rules", 0);
        var rounds = Option(args, "--rounds", 5);
        var loop = Option(args, "--loop", 0);
        var set = RuleSubset.Build(data, rules);
        var events = RuleSubset.WindowsEvents(data);
        var ev = new Evaluator(set);
        System.Console.WriteLine($"{set.RuleCount} rules ({set.GatedRules} gated, {set.IndexPatterns} index patterns, {set.IndexBytes / 1024} KiB of automata), {events.Length} events, load {Load()}");
        if (loop > 0)
        {
            var until = Stopwatch.StartNew();
            long n = 0;
            while (until.Elapsed.TotalSeconds < loop) foreach (var e in events) { ev.Evaluate(0, e, null); n++; }
            System.Console.WriteLine($"{n} events evaluated");
            return;
        }
        foreach (var e in events) ev.Evaluate(0, e, null);
        var evaluations = set.Rules.Sum(r => r.Counters.EvaluationCount);
        var matches = set.Rules.Sum(r => r.Counters.MatchCount);
        System.Console.WriteLine($"per event: {(double)evaluations / events.Length:F2} rules evaluated, {(double)matches / events.Length:F3} hits");
        foreach (var (slot, states, patterns, bytes) in set.RuleIndexDescribe().OrderByDescending(d => d.Bytes).Take(5))
            System.Console.WriteLine($"  index slot {set.Slots.NameOf(slot)}: {patterns} patterns, {states} states, {bytes / 1024} KiB");

        var buf = new byte[1 << 20];
        void Time(string what, Action a)
        {
            a();
            var cpu = new List<double>();
            var wall = new List<double>();
            for (var i = 0; i < rounds; i++)
            {
                var sw = Stopwatch.StartNew();
                var start = Environment.CpuUsage.UserTime + Environment.CpuUsage.PrivilegedTime;
                a();
                cpu.Add((Environment.CpuUsage.UserTime + Environment.CpuUsage.PrivilegedTime - start).TotalMicroseconds / events.Length);
                wall.Add(sw.Elapsed.TotalMicroseconds / events.Length);
            }
            System.Console.WriteLine($"{what}: {Median(cpu):F2} us/event CPU (median of {rounds}; wall {Median(wall):F2})");
        }
        Time("utf8 transcode", () => { foreach (var e in events) Encoding.UTF8.GetBytes(e.Json!, buf); });
        Time("Utf8JsonReader scan", () =>
        {
            foreach (var e in events)
            {
                var n = Encoding.UTF8.GetBytes(e.Json!, buf);
                var r = new Utf8JsonReader(buf.AsSpan(0, n));
                while (r.Read()) { }
            }
        });
        ev.Fields.CollectKeywords = true;
        Time("Read keeping every value (keywords)", () => { foreach (var e in events) ev.Read(e); });
        ev.Fields.CollectKeywords = false;
        Time("Read only the fields rules name", () => { foreach (var e in events) ev.Read(e); });
        Time("Evaluate", () => { foreach (var e in events) ev.Evaluate(0, e, null); });
        // The live path of agent events: NDJSON and forward ingest hand detection the line's UTF-8 (EventRecord.JsonUtf8).
        var utf8Events = RuleSubset.WithUtf8(events);
        Time("Evaluate from JsonUtf8 (as NDJSON/forward ingest hands it)", () => { foreach (var e in utf8Events) ev.Evaluate(0, e, null); });
    }

    private static double Median(List<double> xs)
    {
        xs.Sort();
        return xs.Count % 2 == 1 ? xs[xs.Count / 2] : (xs[xs.Count / 2 - 1] + xs[xs.Count / 2]) / 2;
    }

    private static int Option(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture) : fallback;
    }

    private static string Load() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "?";
}

/// <summary>The benchmarks' rule subsets and events, shared by the probe and BenchmarkDotNet.</summary>
public static class RuleSubset
{
    /// <summary>All shared rules, or <paramref name="count"/> of them: whole files in path order, every k-th file, spread over the folders.</summary>
    public static RuleSet Build(string data, int count)
    {
        var files = new[] { "rules", "rules-emerging-threats", "rules-threat-hunting" }
            .SelectMany(f => RuleFolder.Read(Path.Combine(data, "sigma", f), f)).ToList();
        if (count <= 0) return RuleSetBuilder.Build(LogSourceMap.Embedded(), files);
        var step = (double)files.Count / count;
        var chosen = Enumerable.Range(0, count).Select(i => files[(int)(i * step)]).ToList();
        var set = RuleSetBuilder.Build(LogSourceMap.Embedded(), chosen);
        if (set.RuleCount != count) throw new InvalidOperationException($"{set.RuleCount} rules loaded, wanted {count}");
        return set;
    }

    /// <summary>Copies of <paramref name="events"/> that also carry their JSON's UTF-8, as NDJSON and forward ingest hand them to detection.</summary>
    public static EventRecord[] WithUtf8(EventRecord[] events) =>
        events.Select(e => new EventRecord { Json = e.Json, JsonUtf8 = Encoding.UTF8.GetBytes(e.Json!), Format = e.Format, Source = e.Source }).ToArray();

    /// <summary>The 7,408 real OTRF Windows events (Sysmon and Security mixed).</summary>
    public static EventRecord[] WindowsEvents(string data) =>
        Directory.GetFiles(Path.Combine(data, "agent-events", "otrf-security-datasets", "windows"), "*.json").Order()
            .SelectMany(File.ReadLines).Where(l => l.Length > 0)
            .Select(l => new EventRecord { Json = l, Format = "json", Source = "ingest" }).ToArray();
}

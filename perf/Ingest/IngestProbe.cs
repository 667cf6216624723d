using System.Buffers;
using System.Diagnostics;
using System.Text;
using Redoubt.Detection.Engine;
using Redoubt.Detection.LogSources;
using Redoubt.Detection.Rules;
using Redoubt.Graph.Extraction;
using Redoubt.Ingest.Syslog;
using Redoubt.Perf.Load;
using Redoubt.Storage.Events;
using Redoubt.Storage.Graph;

namespace Redoubt.Perf.Ingest;

/// <summary>
/// `Redoubt.Perf ingest-probe DATA [--rounds R] [--warmup SECONDS] [--rules DIR] [--loop SECONDS] [--top N]`: the CPU time
/// per event of each in-process step a syslog event goes through (parse, encode, the fan-out's decode,
/// detection, graph extraction), on the load driver's message mix, single-threaded, medians of R rounds
/// after a warm-up of 10 s (tiering). Not the appliance's whole cost (no sockets, no fsync, no runtime threads), but steps
/// measured this way are not disturbed by the neighbours' load the way wall rates are. `--top N` lists the
/// rules evaluated most often on the mix; `--loop` runs the whole chain for that long (for `perf record`).
/// </summary>
public static class IngestProbe
{
    public static int Run(string[] args)
    {
        var data = args[0];
        var rounds = Option(args, "--rounds", 7);
        var loop = Option(args, "--loop", 0);
        var top = Option(args, "--top", 0);
        var warmSeconds = Option(args, "--warmup", 10);
        var rulesDir = OptionText(args, "--rules") ?? Path.Combine(data, "sigma");
        var mix = MessageMix.Load(Path.Combine(data, "logs"));
        var frames = mix.Lines.Select(Encoding.UTF8.GetBytes).ToArray();
        var set = RuleSetBuilder.Build(LogSourceMap.Embedded(), RuleFolder.Read(rulesDir));
        var extraction = new RuleExtractor(ExtractionRuleSet.Load(null));
        var evaluator = new Evaluator(set);
        var graph = new NullGraph();
        var parser = new SyslogEvents(TimeZoneInfo.Utc, TimeProvider.System);
        var senderText = new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 40000).ToString();
        System.Console.WriteLine($"{frames.Length} lines, {set.RuleCount} rules, {extraction.Rules.Rules.Count} extraction rules, load {Load()}");

        var records = new EventRecord[frames.Length];
        var entries = new byte[frames.Length][];
        var decoded = new StoredEvent[frames.Length];
        var buffer = new ArrayBufferWriter<byte>(64 * 1024);
        void Parse() { for (var i = 0; i < frames.Length; i++) records[i] = parser.FromPeerFrame(frames[i], false, Transport.SyslogTcp, senderText); } // as a stream connection does
        void Encode()
        {
            for (var i = 0; i < records.Length; i++)
            {
                buffer.ResetWrittenCount();
                EventCodec.Encode(records[i], buffer);
                entries[i] = buffer.WrittenSpan.ToArray();
            }
        }
        void Decode() { for (var i = 0; i < entries.Length; i++) decoded[i] = new StoredEvent(64 + i, EventCodec.Decode(entries[i], 64 + i), 65 + i); }
        void Detect() { for (var i = 0; i < decoded.Length; i++) evaluator.Evaluate(i, decoded[i].Event, null); }
        void Extract() { for (var i = 0; i < decoded.Length; i++) extraction.Extract(decoded[i], graph); }
        Parse(); Encode(); Decode();

        if (loop > 0)
        {
            var until = Stopwatch.StartNew();
            long n = 0;
            while (until.Elapsed.TotalSeconds < loop) { Parse(); Encode(); Decode(); Detect(); Extract(); n += frames.Length; }
            System.Console.WriteLine($"{n} events through every step");
            return 0;
        }

        var steps = new (string Name, Action Run)[]
        {
            ("parse (SyslogEvents.FromFrame)", Parse),
            ("encode (EventCodec.Encode)", Encode),
            ("decode (EventCodec.Decode)", Decode),
            ("detection (Evaluator.Evaluate)", Detect),
            ("graph extraction (RuleExtractor)", Extract),
        };
        // Warm-up until tiering settles (tier-1 code of every step; the tiered JIT runs in the background).
        var warm = Stopwatch.StartNew();
        while (warm.Elapsed.TotalSeconds < warmSeconds) foreach (var (_, run) in steps) run();
        var cpu = steps.Select(_ => new List<double>()).ToArray();
        for (var r = 0; r < rounds; r++)
            for (var s = 0; s < steps.Length; s++) // steps interleaved, so a burst of load spreads over all of them
            {
                var start = ThreadCpu();
                steps[s].Run();
                cpu[s].Add((ThreadCpu() - start).TotalMicroseconds / frames.Length);
            }
        var total = 0.0;
        for (var s = 0; s < steps.Length; s++)
        {
            var m = Median(cpu[s]);
            total += m;
            System.Console.WriteLine($"{steps[s].Name}: {m:F2} us/event CPU (median of {rounds}; rounds {string.Join(" ", cpu[s].Select(x => x.ToString("F2")))})");
        }
        System.Console.WriteLine($"sum of steps: {total:F2} us/event; load {Load()}");

        if (args.Contains("--index"))
        {
            // Which fields the literal indexes scan on this mix, and how much text per event.
            var chars = new Dictionary<int, long>();
            foreach (var d in decoded)
            {
                evaluator.Evaluate(d.Id, d.Event, null);
                var f = evaluator.Fields;
                foreach (var (slot, _, _, _) in set.RuleIndexDescribe().Concat(set.SourceIndex.Describe()))
                    for (var e = f.First(slot); e >= 0; e = f.Next(e)) chars[slot] = chars.GetValueOrDefault(slot) + f.Text(e).Length;
            }
            foreach (var (name, index) in new[] { ("rule", set.RuleIndexDescribe()), ("source", set.SourceIndex.Describe()) })
                foreach (var (slot, states, patterns, bytes) in index.OrderByDescending(d => chars.GetValueOrDefault(d.Slot)).Take(12))
                    System.Console.WriteLine($"  {name} index {set.Slots.NameOf(slot)}: {patterns} patterns, {states} states, {bytes / 1024} KiB; {(double)chars.GetValueOrDefault(slot) / decoded.Length:F1} chars/event");
        }

        if (top > 0)
        {
            foreach (var rule in set.Rules) { rule.Counters.Evaluations = 0; rule.Counters.Matches = 0; rule.Counters.SampledEvaluations = 0; rule.Counters.SampledTicks = 0; }
            Detect();
            System.Console.WriteLine($"per event: {(double)set.Rules.Sum(r => r.Counters.EvaluationCount) / frames.Length:F2} rules evaluated");
            foreach (var rule in set.Rules.OrderByDescending(r => r.Counters.EvaluationCount * r.Counters.MeanEvaluationNs).Take(top))
                System.Console.WriteLine($"  {rule.Counters.EvaluationCount,7} evals {rule.Counters.MeanEvaluationNs,8:F0} ns  {rule.Rule.Id}  {rule.Rule.Title}");
        }
        return 0;
    }

    private sealed class NullGraph : IGraphWrites
    {
        private long _next;
        public long UpsertNode(NodeKind kind, string key, long timeMs, IReadOnlyDictionary<string, string>? properties = null) => ++_next;
        public void ObserveEdge(long source, EdgeType type, long target, long timeMs, Provenance provenance) { }
        public void AssertEdge(long source, EdgeType type, long target, long firstSeenMs, long lastSeenMs, Provenance provenance, long count = 1) { }
    }

    private static TimeSpan ThreadCpu() => TimeSpan.FromMilliseconds(Graph.CpuClock.NowMs());

    private static double Median(List<double> xs)
    {
        var s = xs.Order().ToList();
        return s.Count % 2 == 1 ? s[s.Count / 2] : (s[s.Count / 2 - 1] + s[s.Count / 2]) / 2;
    }

    private static int Option(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture) : fallback;
    }

    private static string? OptionText(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    private static string Load() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "?";
}

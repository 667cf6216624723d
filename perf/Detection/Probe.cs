using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Redoubt.Detection.Engine;
using Redoubt.Detection.LogSources;
using Redoubt.Detection.Rules;
using Redoubt.Storage.Events;

namespace Redoubt.Perf.Detection;

/// <summary>`Redoubt.Perf probe`: a quick stopwatch breakdown of the detection path (not a benchmark).</summary>
public static class Probe
{
    public static void Run(string data)
    {
        var files = new[] { "rules", "rules-emerging-threats", "rules-threat-hunting" }.SelectMany(f => RuleFolder.Read(Path.Combine(data, "sigma", f), f)).ToList();
        var set = RuleSetBuilder.Build(LogSourceMap.Embedded(), files);
        var events = Directory.GetFiles(Path.Combine(data, "agent-events", "otrf-security-datasets", "windows"), "*.json").Order()
            .SelectMany(File.ReadLines).Where(l => l.Length > 0).Select(l => new EventRecord { Json = l, Format = "json" }).ToArray();
        var ev = new Evaluator(set);
        var buf = new byte[1 << 20];
        void Time(string what, Action a)
        {
            a();
            var sw = Stopwatch.StartNew();
            var cpu = Environment.CpuUsage.UserTime + Environment.CpuUsage.PrivilegedTime;
            for (var i = 0; i < 5; i++) a();
            var used = Environment.CpuUsage.UserTime + Environment.CpuUsage.PrivilegedTime - cpu;
            // The shared machine is oversubscribed: CPU time of this (single-threaded) loop is the honest figure.
            System.Console.WriteLine($"{what}: {used.TotalMicroseconds / 5 / events.Length:F2} us/event CPU ({sw.Elapsed.TotalMicroseconds / 5 / events.Length:F2} wall)");
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
    }
}

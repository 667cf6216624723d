using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Redoubt.Perf.Load;

namespace Redoubt.Perf.Graph;

/// <summary>
/// <c>import-memory [--dll PATH] [--rows N] [--hosts H] [--timeout-s S] [-- APPLIANCE-ARGS]</c>: the memory an inventory
/// import costs the real appliance process. A synthetic vulnerabilities CSV (H hosts x N/H CVEs, one
/// distinct HAS_VULNERABILITY edge per row, 21 bytes a row: 2M rows are 42 MB) is streamed to
/// POST /api/v1/import/vulnerabilities; the process' RSS and peak RSS (VmHWM, /proc/PID/status) are read
/// before, when the answer comes, and once the graph has applied every row. Point --dll at another
/// build to compare (the figures in perf/RESULTS.md compare the build before streaming with this one).
/// </summary>
public static class ImportMemory
{
    public static int Run(string[] args)
    {
        var dll = "appliance/bin/Release/net10.0/redoubt.dll";
        int rows = 2_000_000, hosts = 1_000, timeoutS = 1_800;
        var extra = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--": extra.AddRange(args[(i + 1)..]); i = args.Length; break;
                case "--dll": dll = args[++i]; break;
                case "--rows": rows = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--hosts": hosts = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--timeout-s": timeoutS = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                default: System.Console.Error.WriteLine($"import-memory: unknown argument {args[i]}"); return 2;
            }
        }
        return RunAsync(Path.GetFullPath(dll), rows, hosts, TimeSpan.FromSeconds(timeoutS), extra).GetAwaiter().GetResult();
    }

    /// <summary>The synthetic file: row r is host hst(r mod H) with CVE-2024-(10000 + r / H), so every row is its own edge.</summary>
    public static void WriteCsv(string path, int rows, int hosts)
    {
        using var w = new StreamWriter(path, false, new UTF8Encoding(false), 1 << 16);
        w.Write("host,cve\n");
        for (var r = 0; r < rows; r++)
        {
            w.Write("hst");
            w.Write((r % hosts).ToString(CultureInfo.InvariantCulture));
            w.Write(",CVE-2024-");
            w.Write((10_000 + r / hosts).ToString(CultureInfo.InvariantCulture));
            w.Write('\n');
        }
    }

    /// <summary>VmRSS and VmHWM of a process, in bytes.</summary>
    public static (long Rss, long Peak) Memory(int pid)
    {
        long rss = 0, peak = 0;
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal)) rss = Kb(line);
            else if (line.StartsWith("VmHWM:", StringComparison.Ordinal)) peak = Kb(line);
        }
        return (rss, peak);
        static long Kb(string line) => long.Parse(line[6..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
    }

    private static async Task<int> RunAsync(string dll, int rows, int hosts, TimeSpan timeout, List<string> extra)
    {
        var file = Path.Combine(Path.GetTempPath(), $"redoubt-import-memory-{Environment.ProcessId}.csv");
        try
        {
            WriteCsv(file, rows, hosts);
            var bytes = new FileInfo(file).Length;
            System.Console.WriteLine($"file: {rows:N0} rows, {bytes / 1e6:F1} MB ({dll})");
            await using var app = await ApplianceUnderTest.StartAsync(dll, ["--Import:MaxBytes=" + Math.Max(bytes + 1, 64L << 20), .. extra], httpTimeout: timeout);
            await Task.Delay(2_000); // start-up settles (first sink passes, JIT)
            var before = Memory(app.Pid);
            System.Console.WriteLine($"before: RSS {Mb(before.Rss)}, peak {Mb(before.Peak)}");
            var sw = Stopwatch.StartNew();
            await using var body = File.OpenRead(file);
            using var content = new StreamContent(body, 1 << 16);
            content.Headers.ContentType = new MediaTypeHeaderValue("text/csv");
            using var response = await app.Http.PostAsync("/api/v1/import/vulnerabilities?source=synthetic", content);
            var answer = await response.Content.ReadAsStringAsync();
            var answered = sw.Elapsed;
            var atAnswer = Memory(app.Pid);
            using var report = JsonDocument.Parse(answer);
            var accepted = report.RootElement.TryGetProperty("accepted", out var a) ? a.GetInt64() : -1;
            System.Console.WriteLine($"answer {(int)response.StatusCode} after {answered.TotalSeconds:F1} s: accepted {accepted:N0}; RSS {Mb(atAnswer.Rss)}, peak {Mb(atAnswer.Peak)}");
            var deadline = DateTime.UtcNow + timeout;
            while (!await GraphCaughtUpAsync(app))
            {
                if (DateTime.UtcNow > deadline) { System.Console.WriteLine("sinks did not catch up in time"); return 1; }
                await Task.Delay(500);
            }
            var applied = Memory(app.Pid);
            var stats = await app.GetJsonAsync("/api/v1/graph/stats");
            System.Console.WriteLine($"graph applied after {sw.Elapsed.TotalSeconds:F1} s: {stats.GetProperty("edges").GetInt64():N0} edges; RSS {Mb(applied.Rss)}, peak {Mb(applied.Peak)}");
            System.Console.WriteLine($"peak growth over the import: {Mb(applied.Peak - before.Peak)} (peak while the request ran: {Mb(atAnswer.Peak - before.Peak)})");
            return accepted == rows ? 0 : 1;
        }
        finally { File.Delete(file); }
    }

    /// <summary>The graph sink has applied every committed event (as tests/Support/ApplianceProcess.cs waits for it).</summary>
    private static async Task<bool> GraphCaughtUpAsync(ApplianceUnderTest app)
    {
        var stats = await app.GetJsonAsync("/api/v1/stats");
        var graph = stats.GetProperty("stores").EnumerateArray().Single(s => s.GetProperty("name").GetString() == "graph");
        return graph.GetProperty("appliedUntil").GetInt64() == stats.GetProperty("committedUntil").GetInt64();
    }

    private static string Mb(long bytes) => $"{bytes / 1048576.0:F0} MiB";
}

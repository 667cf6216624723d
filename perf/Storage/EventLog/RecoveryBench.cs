using System.Diagnostics;
using Redoubt.Storage.Events;
using EventLog = Redoubt.Storage.Events.EventLog;

namespace Redoubt.Perf.Storage.EventLogBench;

/// <summary>
/// Recovery time for a store of N events: a child process writes them and is SIGKILLed (no clean
/// close), then the store is opened here, timed; then closed cleanly and opened again, timed. For
/// comparison, the time a full scan of the log takes (what start-up did before the time index
/// carried the counters).
/// </summary>
internal static class RecoveryBench
{
    public static async Task<int> RunAsync(string[] args)
    {
        var count = Args.Long(args, "--events", 1_000_000);
        var dir = Args.String(args, "--dir") ?? Directory.CreateTempSubdirectory("redoubt-recovery-").FullName;
        var events = Path.Combine(dir, "events");
        try
        {
            var write = Stopwatch.StartNew();
            var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, UseShellExecute = false };
            foreach (var a in (string[])[typeof(RecoveryBench).Assembly.Location, "write-synthetic", events, count.ToString(System.Globalization.CultureInfo.InvariantCulture)])
                psi.ArgumentList.Add(a);
            using (var child = Process.Start(psi)!)
            {
                while (await child.StandardOutput.ReadLineAsync() is { } line)
                    if (line.StartsWith("written", StringComparison.Ordinal)) break;
                child.Kill(); // SIGKILL: no final commit, no clean close
                await child.WaitForExitAsync();
            }
            var bytes = Directory.GetFiles(events, "events.log.*").Sum(f => new FileInfo(f).Length);
            System.Console.WriteLine($"wrote {count:N0} events ({bytes:N0} bytes of segments) in {write.Elapsed.TotalSeconds:F1} s, then SIGKILL");

            // Warm up (JIT) on a scratch store, so the figures are the recovery work, not first-call compilation.
            var scratch = Directory.CreateTempSubdirectory("redoubt-warmup-").FullName;
            var (warm, warmMs) = Open(Path.Combine(scratch, "events"));
            await warm.AppendAsync([Synthetic.Make(0, 0, 1, new Random(1))]);
            await warm.DisposeAsync();
            Directory.Delete(scratch, recursive: true);

            var (afterKill, afterKillMs) = Open(events);
            var held = afterKill.Count;
            var tail = afterKill.Recovery.TailEventsScanned;
            var blocks = afterKill.Recovery.IndexBlocks;
            var scan = Stopwatch.StartNew();
            var scanned = 0L;
            await foreach (var _ in afterKill.ReadCommittedAsync(0, new CancellationTokenSource(TimeSpan.FromMinutes(30)).Token))
                if (++scanned == held) break;
            var scanMs = scan.Elapsed.TotalMilliseconds;
            await afterKill.DisposeAsync();
            var (clean, cleanMs) = Open(events);
            await clean.DisposeAsync();

            System.Console.WriteLine($"RESULT recovery: {count:N0} events, {bytes / 1e6:F0} MB: open after SIGKILL {afterKillMs:F0} ms " +
                              $"(index {blocks:N0} blocks, tail scanned {tail:N0} events, {held:N0} events counted); " +
                              $"open after clean close {cleanMs:F0} ms; a full scan of the log (the old start-up) {scanMs:F0} ms; " +
                              $"first open in the process (JIT, empty store) {warmMs:F0} ms");
            return held == count ? 0 : 1;
        }
        finally
        {
            if (Args.String(args, "--dir") is null) Directory.Delete(dir, recursive: true);
        }
    }

    private static (EventLog, double) Open(string events)
    {
        var sw = Stopwatch.StartNew();
        var log = EventLog.Open(new EventLogOptions { Directory = events, MinFreeBytes = 0 });
        return (log, sw.Elapsed.TotalMilliseconds);
    }

    /// <summary>Child: writes N events (each AppendAsync durable), prints "written", then waits to be killed.</summary>
    public static async Task<int> WriteChildAsync(string[] args)
    {
        var log = EventLog.Open(new EventLogOptions { Directory = args[0], MinFreeBytes = 0 });
        var t0 = DateTimeOffset.UtcNow.AddDays(-30).ToUnixTimeMilliseconds();
        await Synthetic.FillAsync(log, long.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture), t0, 2.0);
        System.Console.WriteLine("written " + log.Count);
        await Task.Delay(Timeout.Infinite);
        return 0;
    }
}

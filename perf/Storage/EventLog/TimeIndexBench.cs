using System.Diagnostics;
using Redoubt.Storage.Events;
using EventLog = Redoubt.Storage.Events.EventLog;

namespace Redoubt.Perf.Storage.EventLogBench;

/// <summary>
/// A narrow time query against months of log: events spread over 90 days (received in order, event
/// time up to 5 minutes late, 1 in 1,000 a day late). Counts what a one-hour query reads through
/// the time index against a full scan of the same store.
/// </summary>
internal static class TimeIndexBench
{
    public static async Task<int> RunAsync(string[] args)
    {
        var count = Args.Long(args, "--events", 2_000_000);
        var dir = Directory.CreateTempSubdirectory("redoubt-time-index-").FullName;
        try
        {
            var t0 = DateTimeOffset.Parse("2026-01-01T00:00:00Z").ToUnixTimeMilliseconds();
            var span = TimeSpan.FromDays(90).TotalMilliseconds;
            await using var log = EventLog.Open(new EventLogOptions { Directory = Path.Combine(dir, "events"), MinFreeBytes = 0 });
            var fill = Stopwatch.StartNew();
            await Synthetic.FillAsync(log, count, t0, span / count);
            System.Console.WriteLine($"wrote {count:N0} events over 90 days in {fill.Elapsed.TotalSeconds:F1} s; log {log.CommittedUntil - log.BeginAddress:N0} bytes, {log.IndexBlocks:N0} index blocks");

            var from = t0 + (long)TimeSpan.FromDays(45).TotalMilliseconds;
            var to = from + (long)TimeSpan.FromHours(1).TotalMilliseconds;
            var hour = new EventQuery { FromMs = from, ToMs = to, Limit = 10_000, MaxScanned = int.MaxValue };
            var all = new EventQuery { Text = "no such text", Limit = 10_000, MaxScanned = int.MaxValue };

            var (narrow, narrowMs) = await TimeAsync(() => log.QueryAsync(hour));
            var (full, fullMs) = await TimeAsync(() => log.QueryAsync(all));
            var export = Stopwatch.StartNew();
            long exported = 0;
            await foreach (var _ in log.ExportAsync(new EventQuery())) exported++;
            var exportMs = export.Elapsed.TotalMilliseconds;
            var matches = narrow.Events.Count;
            System.Console.WriteLine($"RESULT time-index: {count:N0} events over 90 days, one-hour query ({matches:N0} matches): " +
                              $"read {narrow.BlocksRead:N0} blocks / {narrow.Scanned:N0} events / {narrow.BytesRead:N0} bytes in {narrowMs:F0} ms; " +
                              $"full scan: {full.BlocksRead:N0} blocks / {full.Scanned:N0} events / {full.BytesRead:N0} bytes in {fullMs:F0} ms " +
                              $"({(double)full.BytesRead / Math.Max(1, narrow.BytesRead):F0}x the bytes); sequential export of all {exported:N0} events {exportMs:F0} ms; " +
                              $"index file {log.IndexFileBytes:N0} bytes");
            return 0;
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    private static async Task<(EventPage, double)> TimeAsync(Func<Task<EventPage>> run)
    {
        var sw = Stopwatch.StartNew();
        var page = await run();
        return (page, sw.Elapsed.TotalMilliseconds);
    }
}

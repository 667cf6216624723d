using Redoubt.Jobs;
using Redoubt.Storage.Events;

namespace Redoubt.Api;

/// <summary>The storage and retention parts of /api/v1/stats.</summary>
internal static class StorageStats
{
    public static object Of(EventLog log)
    {
        var h = log.Health;
        var c = log.Commits;
        return new
        {
            state = h.State switch { StoreState.Ok => "ok", StoreState.DiskFull => "disk_full", _ => "failed" },
            code = h.Code,
            reason = h.Reason,
            since = h.Since,
            freeBytes = log.FreeBytes,
            minFreeBytes = log.MinFreeBytes,
            beginAddress = log.BeginAddress,
            pageSizeBits = log.PageSizeBits,
            segmentSizeBits = log.SegmentSizeBits,
            indexBlocks = log.IndexBlocks,
            indexBytes = log.IndexFileBytes,
            commit = new
            {
                commits = c.BatchEvents.Count,
                failures = c.Failures,
                lastBatchEvents = c.LastBatchEvents,
                batchEventsMean = Math.Round(c.BatchEvents.Mean, 1),
                batchEventsP50 = c.BatchEvents.Percentile(0.5),
                batchEventsP99 = c.BatchEvents.Percentile(0.99),
                batchEventsMax = c.BatchEvents.Max,
                commitMsP50 = Ms(c.CommitMicros.Percentile(0.5)),
                commitMsP99 = Ms(c.CommitMicros.Percentile(0.99)),
                commitMsMax = Ms(c.CommitMicros.Max),
                ackMsP50 = Ms(c.AckMicros.Percentile(0.5)),
                ackMsP99 = Ms(c.AckMicros.Percentile(0.99)),
            },
            recovery = new
            {
                openMs = Math.Round(log.Recovery.OpenMillis, 1),
                indexBlocks = log.Recovery.IndexBlocks,
                tailEventsScanned = log.Recovery.TailEventsScanned,
                indexRepair = log.Recovery.IndexRepair,
            },
        };
    }

    /// <summary>The retention horizon (oldest event still held) and what limits it.</summary>
    public static async Task<object> RetentionOf(EventLog log, RetentionJob job, CancellationToken ct)
    {
        StoredEvent? oldest = null;
        try { oldest = await log.OldestAsync(ct); }
        catch (Exception e) when (e is IOException or FASTER.core.FasterException or EventCorruptException) { /* horizon unknown this once; the rest of stats still answers */ }
        var last = log.LastRetention;
        return new
        {
            oldestEventId = oldest?.Id,
            oldestEventTime = oldest is { } o ? DateTimeOffset.FromUnixTimeMilliseconds(o.Event.TimeMs) : (DateTimeOffset?)null,
            oldestReceivedAt = oldest is { } r ? DateTimeOffset.FromUnixTimeMilliseconds(r.Event.ReceivedAtMs) : (DateTimeOffset?)null,
            maxAgeDays = job.Policy.MaxAge?.TotalDays,
            maxBytes = job.Policy.MaxBytes,
            schedule = job.Schedule,
            nextRun = job.NextRun,
            lastRun = last is null ? null : new
            {
                ranAt = last.RanAt,
                droppedEvents = last.DroppedEvents,
                droppedBytes = last.DroppedBytes,
                reason = last.Reason,
                heldBackBy = last.HeldBackBy,
            },
            floors = log.Floors.Current().Select(f => new { name = f.Name, address = f.Address }),
        };
    }

    private static double Ms(long micros) => Math.Round(micros / 1000.0, 2);
}

using Redoubt.Storage.Events;

namespace Redoubt.Tests.Storage;

/// <summary>
/// The hooks ingest state hangs on (source last-seen times, idempotency keys): every commit is seen
/// once, in order, before its append completes; an open replays only the recent part of the log.
/// </summary>
public sealed class EventLogHooksTests
{
    [Fact]
    public async Task OnCommitted_sees_every_event_in_log_order_before_the_append_completes()
    {
        using var store = new TempStore();
        var seen = new List<(long Id, string Message)>();
        var o = store.Options();
        await using var log = EventLog.Open(new EventLogOptions
        {
            Directory = o.Directory, PageSizeBits = 14, MemorySizeBits = 16, SegmentSizeBits = 16, MinFreeBytes = 0,
            OnCommitted = (id, e) => { lock (seen) seen.Add((id, e.Message!)); },
        });
        for (var b = 0; b < 10; b++)
        {
            var ids = (await log.AppendAsync([TempStore.Event($"b{b} e0"), TempStore.Event($"b{b} e1")])).Ids;
            lock (seen) Assert.Contains((ids[1], $"b{b} e1"), seen); // already seen when the ack arrives
        }
        Assert.Equal(20, seen.Count);
        Assert.Equal(seen.Select(s => s.Id).Order(), seen.Select(s => s.Id));
    }

    [Fact]
    public async Task Open_replays_the_events_received_within_the_window_and_no_older_ones()
    {
        using var store = new TempStore();
        await using (var log = store.Open(blockEvents: 8))
        {
            // Old events fill several closed index blocks, so the window's start is found by the index.
            for (var i = 0; i < 40; i++) await log.AppendAsync([TempStore.Event($"old {i}", receivedAgo: TimeSpan.FromDays(3))]);
            for (var i = 0; i < 12; i++) await log.AppendAsync([TempStore.Event($"new {i}", receivedAgo: TimeSpan.FromMinutes(5))]);
        }

        var replayed = new List<string>();
        var o = store.Options(blockEvents: 8);
        await using var reopened = EventLog.Open(new EventLogOptions
        {
            Directory = o.Directory, PageSizeBits = o.PageSizeBits, MemorySizeBits = o.MemorySizeBits, SegmentSizeBits = o.SegmentSizeBits,
            IndexBlockMaxEvents = 8, MinFreeBytes = 0,
            RecoverWindow = TimeSpan.FromDays(1),
            OnRecovered = (_, e) => replayed.Add(e.Message!),
        });
        Assert.Equal(Enumerable.Range(0, 12).Select(i => $"new {i}"), replayed);
        Assert.Equal(52, reopened.Count);
    }

    [Fact]
    public async Task Open_with_summaries_only_replays_sender_host_source_and_batch_marks_without_the_message()
    {
        using var store = new TempStore();
        await using (var log = store.Open())
        {
            var e = TempStore.Event("first of a keyed batch", source: "ndjson");
            e.Sender = "10.0.0.9:44100";
            e.Batch = new BatchMark { Key = "k1", BodySha256 = [9, 9], Count = 1 };
            await log.AppendAsync([e]);
        }
        var replayed = new List<EventRecord>();
        var o = store.Options();
        await using var reopened = EventLog.Open(new EventLogOptions
        {
            Directory = o.Directory, PageSizeBits = o.PageSizeBits, MemorySizeBits = o.MemorySizeBits, SegmentSizeBits = o.SegmentSizeBits,
            MinFreeBytes = 0, RecoverSummariesOnly = true,
            OnRecovered = (_, e) => replayed.Add(e),
        });
        var r = Assert.Single(replayed);
        Assert.Equal(("10.0.0.9:44100", "h", "ndjson", "k1", 1), (r.Sender, r.Host, r.Source, r.Batch?.Key, r.Batch?.Count));
        Assert.Null(r.Message);
    }
}

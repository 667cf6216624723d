using Redoubt.Storage.Events;

namespace Redoubt.Tests.Storage;

/// <summary>Retention drops whole blocks, oldest first, by age and size, never past a floor, and the result survives a restart.</summary>
public sealed class RetentionTests
{
    private static async Task<List<long>> WriteAsync(EventLog log, int events, TimeSpan? receivedAgo = null, string prefix = "e")
    {
        var ids = new List<long>();
        for (var i = 0; i < events; i += 20)
            ids.AddRange((await log.AppendAsync(Enumerable.Range(i, 20).Select(n => TempStore.Event($"{prefix}{n} " + new string('x', 200), receivedAgo: receivedAgo)).ToList())).Ids);
        return ids;
    }

    private static int Segments(TempStore store) => Directory.GetFiles(store.Directory, "events.log.*").Length;

    [Fact]
    public async Task Size_retention_drops_the_oldest_blocks_and_their_segments_and_keeps_counts_exact()
    {
        using var store = new TempStore();
        List<long> ids;
        RetentionResult result;
        await using (var log = store.Open(blockEvents: 50, segmentBits: 16))
        {
            ids = await WriteAsync(log, 2000); // ~ 500 KB over 64 KiB segments
            var segmentsBefore = Segments(store);
            result = await log.ApplyRetentionAsync(new RetentionPolicy(null, 128 * 1024));
            Assert.True(result.Truncated);
            Assert.Equal("size", result.Reason);
            Assert.True(log.CommittedUntil - log.BeginAddress <= 128 * 1024, $"holds {log.CommittedUntil - log.BeginAddress} bytes");
            var kept = await TempStore.AllAsync(log);
            Assert.Equal(ids.Where(id => id >= result.NewBegin), kept.Select(e => e.Id)); // a suffix, oldest gone
            Assert.Equal(kept.Count, log.Count);
            Assert.Equal(2000 - result.DroppedEvents, log.Count);
            Assert.Equal(kept.Count, log.Stats.BySource["test"]);
            Assert.Equal(kept[0].Id, (await log.OldestAsync())!.Value.Id);
            // FasterLog deletes whole segments below the new begin shortly after the commit.
            var deadline = DateTime.UtcNow.AddSeconds(20);
            while (Segments(store) >= segmentsBefore && DateTime.UtcNow < deadline) await Task.Delay(50);
            Assert.True(Segments(store) < segmentsBefore, $"segments {segmentsBefore} -> {Segments(store)}");
        }
        await using var again = store.Open(blockEvents: 50, segmentBits: 16);
        Assert.Equal(result.NewBegin, again.BeginAddress);
        Assert.Equal(2000 - result.DroppedEvents, again.Count);
        Assert.Equal(ids.Where(id => id >= result.NewBegin), (await TempStore.AllAsync(again)).Select(e => e.Id));
    }

    [Fact]
    public async Task Age_retention_drops_events_received_before_the_limit_and_nothing_newer()
    {
        using var store = new TempStore();
        await using var log = store.Open(blockEvents: 50);
        await WriteAsync(log, 400, receivedAgo: TimeSpan.FromDays(10), prefix: "old");
        var fresh = await WriteAsync(log, 400, prefix: "new");
        var result = await log.ApplyRetentionAsync(new RetentionPolicy(TimeSpan.FromDays(7), null));
        Assert.Equal("age", result.Reason);
        Assert.Equal(400, result.DroppedEvents);
        Assert.Equal(fresh, (await TempStore.AllAsync(log)).Select(e => e.Id));
        Assert.Equal(fresh[0], (await log.OldestAsync())!.Value.Id);
    }

    [Fact]
    public async Task A_retention_floor_holds_back_what_a_derived_store_still_needs()
    {
        using var store = new TempStore();
        await using var log = store.Open(blockEvents: 50);
        var ids = await WriteAsync(log, 1000, receivedAgo: TimeSpan.FromDays(30));
        var needed = ids[300];
        using (log.Floors.Register("graph-checkpoint", () => needed))
        {
            var held = await log.ApplyRetentionAsync(new RetentionPolicy(TimeSpan.FromDays(1), null));
            Assert.Equal("graph-checkpoint", held.HeldBackBy);
            Assert.True(held.NewBegin <= needed);
            Assert.Contains(needed, (await TempStore.AllAsync(log)).Select(e => e.Id));
            Assert.Contains(log.Floors.Current(), f => f.Name == "graph-checkpoint" && f.Address == needed);
        }
        var free = await log.ApplyRetentionAsync(new RetentionPolicy(TimeSpan.FromDays(1), null));
        Assert.Null(free.HeldBackBy);
        Assert.True(free.NewBegin > needed);
    }

    [Fact]
    public async Task Retention_never_drops_the_block_being_written()
    {
        using var store = new TempStore();
        await using var log = store.Open(blockEvents: 10_000);
        await WriteAsync(log, 100, receivedAgo: TimeSpan.FromDays(30));
        var result = await log.ApplyRetentionAsync(new RetentionPolicy(TimeSpan.FromDays(1), 1));
        Assert.False(result.Truncated);
        Assert.Equal(100, log.Count);
    }
}

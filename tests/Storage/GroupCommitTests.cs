using Redoubt.Storage.Events;

namespace Redoubt.Tests.Storage;

/// <summary>Group commit: concurrent writers share commits within the configured bounds, and every acknowledgement is durable.</summary>
public sealed class GroupCommitTests
{
    [Fact]
    public async Task Concurrent_writers_share_commits_and_each_ack_covers_its_events()
    {
        using var store = new TempStore();
        var options = store.Options();
        var acked = new List<(long Id, string Message)>();
        await using (var log = EventLog.Open(new EventLogOptions
        {
            Directory = options.Directory, PageSizeBits = 16, MemorySizeBits = 20, SegmentSizeBits = 20, MinFreeBytes = 0,
            CommitDelay = TimeSpan.FromMilliseconds(5), CommitMaxEvents = 100,
        }))
        {
            var writers = Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
            {
                for (var b = 0; b < 25; b++)
                {
                    var batch = Enumerable.Range(0, 4).Select(i => TempStore.Event($"w{w} b{b} e{i}")).ToList();
                    var ids = (await log.AppendAsync(batch)).Ids;
                    lock (acked) acked.AddRange(ids.Select((id, i) => (id, batch[i].Message!)));
                }
            })).ToList();
            await Task.WhenAll(writers);

            var commits = log.Commits.BatchEvents.Count;
            Assert.True(commits < 200, $"{commits} commits for 200 batches: writers did not share commits");
            // A request is never split, so a commit holds at most CommitMaxEvents plus one request.
            Assert.True(log.Commits.BatchEvents.Max <= 100 + 4, $"largest commit {log.Commits.BatchEvents.Max}");
            Assert.Equal(200, log.Commits.AckMicros.Count); // one per request
        }
        await using var reopened = store.Open();
        var stored = (await TempStore.AllAsync(reopened)).ToDictionary(e => e.Id, e => e.Event.Message);
        Assert.Equal(800, stored.Count);
        foreach (var (id, message) in acked) Assert.Equal(message, stored[id]);
    }

    [Fact]
    public async Task With_no_commit_delay_a_lone_writer_is_committed_at_once()
    {
        using var store = new TempStore();
        var o = store.Options();
        await using var log = EventLog.Open(new EventLogOptions { Directory = o.Directory, PageSizeBits = 16, MemorySizeBits = 20, MinFreeBytes = 0, CommitDelay = TimeSpan.Zero });
        for (var i = 0; i < 20; i++) await log.AppendAsync([TempStore.Event($"e{i}")]);
        Assert.Equal(20, log.Commits.BatchEvents.Count);
        Assert.Equal(1, log.Commits.BatchEvents.Max);
    }

    [Fact]
    public async Task A_batch_with_an_oversized_event_is_refused_whole()
    {
        using var store = new TempStore();
        await using var log = store.Open();
        var big = TempStore.Event(new string('x', 20_000)); // over a 16 KiB page
        var e = await Assert.ThrowsAsync<ArgumentException>(async () => await log.AppendAsync([TempStore.Event("small"), big]));
        Assert.Contains("entry limit", e.Message);
        Assert.Equal(0, log.Count);
        Assert.Empty(await TempStore.AllAsync(log));
    }
}

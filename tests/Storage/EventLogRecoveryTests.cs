using Redoubt.Storage;
using Redoubt.Storage.Events;

namespace Redoubt.Tests.Storage;

/// <summary>
/// Recovery against torn and corrupt tails: the store either comes back to its last good commit
/// with every event, or refuses to open with a message that says what is wrong — never empty.
/// </summary>
public sealed class EventLogRecoveryTests
{
    private static async Task<List<long>> WriteAsync(TempStore store, int events, int blockEvents = 64)
    {
        await using var log = store.Open(blockEvents);
        var ids = new List<long>();
        for (var i = 0; i < events; i += 10)
            ids.AddRange((await log.AppendAsync(Enumerable.Range(i, 10).Select(n => TempStore.Event($"event {n}")).ToList())).Ids);
        return ids;
    }

    private static string LastSegment(TempStore store) =>
        Directory.GetFiles(store.Directory, "events.log.*").OrderBy(f => int.Parse(f[(f.LastIndexOf('.') + 1)..])).Last();

    private static long CommittedUntil(TempStore store)
    {
        using var log = store.Open().AsDisposable();
        return log.Value.CommittedUntil;
    }

    [Fact]
    public async Task A_store_reopens_with_every_event_its_counters_and_a_short_tail_scan()
    {
        using var store = new TempStore();
        var ids = await WriteAsync(store, 1000);
        await using var log = store.Open();
        Assert.Equal(ids, (await TempStore.AllAsync(log)).Select(e => e.Id));
        Assert.Equal(1000, log.Count);
        Assert.Equal(1000, log.Stats.BySource["test"]);
        // Opening read the index and scanned only what follows its last block (plus that block, re-checked).
        Assert.True(log.Recovery.IndexBlocks >= 1000 / 64 - 1, $"index blocks: {log.Recovery.IndexBlocks}");
        Assert.True(log.Recovery.TailEventsScanned < 64, $"tail scan: {log.Recovery.TailEventsScanned}");
    }

    [Fact]
    public async Task A_truncated_log_segment_is_refused_with_a_message_naming_the_gap_and_left_untouched()
    {
        using var store = new TempStore();
        await WriteAsync(store, 300);
        var segment = LastSegment(store);
        var length = new FileInfo(segment).Length;
        await using (var f = new FileStream(segment, FileMode.Open)) f.SetLength(length - 700); // cuts into the last committed events
        var before = await File.ReadAllBytesAsync(segment);

        var e = Assert.Throws<StoreDamagedException>(() => store.Open());
        Assert.True(e.Message.Contains("can be read only up to") || e.Message.Contains("committed log is damaged"), e.Message);
        Assert.Contains("Nothing was changed on disk", e.Message);
        Assert.Equal(before, await File.ReadAllBytesAsync(segment));
    }

    [Fact]
    public async Task Garbled_bytes_inside_the_last_committed_event_are_found_by_its_checksum()
    {
        using var store = new TempStore();
        await WriteAsync(store, 300);
        var committed = CommittedUntil(store);
        var segment = LastSegment(store);
        await using (var f = new FileStream(segment, FileMode.Open))
        {
            f.Position = (committed & ((1 << 16) - 1)) - 20; // within the last event's payload
            f.Write("GARBLED!"u8);
        }
        var e = Assert.Throws<StoreDamagedException>(() => store.Open());
        Assert.Contains("damaged", e.Message);
        Assert.Contains("checksum", e.Message);
    }

    [Fact]
    public async Task Garbage_after_the_last_commit_is_ignored_and_every_committed_event_comes_back()
    {
        using var store = new TempStore();
        var ids = await WriteAsync(store, 300);
        var segment = LastSegment(store);
        await using (var f = new FileStream(segment, FileMode.Append)) f.Write(new byte[] { 0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4, 5, 6, 7, 8 });
        await using var log = store.Open();
        Assert.Equal(ids, (await TempStore.AllAsync(log)).Select(e => e.Id));
        var more = await log.AppendAsync([TempStore.Event("after")]);
        Assert.Equal("after", (await log.GetAsync(more.Ids[0]))!.Message);
    }

    [Theory]
    [InlineData("garble")]
    [InlineData("truncate")]
    [InlineData("delete")]
    public async Task Unreadable_commit_metadata_is_refused_instead_of_opening_an_empty_log(string damage)
    {
        using var store = new TempStore();
        await WriteAsync(store, 100);
        var commits = Directory.GetFiles(Path.Combine(store.Directory, "commits"), "commit.*", SearchOption.AllDirectories);
        Assert.NotEmpty(commits);
        foreach (var c in commits)
        {
            switch (damage)
            {
                case "garble": await File.WriteAllBytesAsync(c, Enumerable.Repeat((byte)0x5a, (int)new FileInfo(c).Length).ToArray()); break;
                case "truncate": await using (var f = new FileStream(c, FileMode.Open)) f.SetLength(17); break;
                case "delete": File.Delete(c); break;
            }
        }
        // With the commit files deleted outright, the time index still knows events were committed.
        var e = Assert.Throws<StoreDamagedException>(() => store.Open(blockEvents: 64));
        Assert.True(e.Message.Contains("no commit") || e.Message.Contains("recovered only up to"), e.Message);
    }

    [Fact]
    public async Task A_torn_last_index_record_is_cut_off_and_its_events_reindexed_from_the_log()
    {
        using var store = new TempStore();
        var ids = await WriteAsync(store, 500);
        var index = Path.Combine(store.Directory, "time.idx");
        await using (var f = new FileStream(index, FileMode.Open)) f.SetLength(f.Length - 5);
        await using var log = store.Open();
        Assert.NotNull(log.Recovery.IndexRepair);
        Assert.Equal(500, log.Count);
        Assert.Equal(ids, (await TempStore.AllAsync(log)).Select(e => e.Id));
    }

    [Fact]
    public async Task A_store_of_an_unknown_format_version_is_refused_with_a_clear_message_and_not_rewritten()
    {
        using var store = new TempStore();
        await WriteAsync(store, 10);
        var format = Path.Combine(store.Directory, StoreFormat.FileName);
        await File.WriteAllTextAsync(format, """{"Kind":"redoubt-event-log","Version":7}""");
        var e = Assert.Throws<StoreFormatException>(() => store.Open());
        Assert.Contains("format version 7", e.Message);
        Assert.Contains($"reads version {EventLog.FormatVersion}", e.Message);
        Assert.Equal("""{"Kind":"redoubt-event-log","Version":7}""", await File.ReadAllTextAsync(format));
    }

    [Fact]
    public async Task A_directory_with_files_but_no_format_file_is_not_taken_for_an_empty_store()
    {
        using var store = new TempStore();
        Directory.CreateDirectory(store.Directory);
        await File.WriteAllTextAsync(Path.Combine(store.Directory, "events.log.0"), "someone's data");
        var e = Assert.Throws<StoreFormatException>(() => store.Open());
        Assert.Contains("no format.json", e.Message);
    }

    [Fact]
    public async Task A_second_open_of_a_store_in_use_is_refused()
    {
        using var store = new TempStore();
        await using var first = store.Open();
        var e = Assert.Throws<StoreLockedException>(() => store.Open());
        Assert.Contains("in use by another process", e.Message);
    }

    [Fact]
    public async Task Page_and_segment_size_stay_those_the_store_was_created_with()
    {
        using var store = new TempStore();
        var ids = await WriteAsync(store, 200);
        var changed = store.Options() is var o ? new EventLogOptions { Directory = o.Directory, PageSizeBits = 20, SegmentSizeBits = 24, MinFreeBytes = 0 } : null;
        await using var log = EventLog.Open(changed!);
        Assert.Equal(14, log.PageSizeBits);
        Assert.Equal(16, log.SegmentSizeBits);
        Assert.Equal(ids, (await TempStore.AllAsync(log)).Select(e => e.Id));
    }
}

internal static class AsyncDisposableExtensions
{
    public sealed class Sync<T>(T value) : IDisposable where T : IAsyncDisposable
    {
        public T Value { get; } = value;
        public void Dispose() => Value.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    public static Sync<T> AsDisposable<T>(this T value) where T : IAsyncDisposable => new(value);
}

using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using Redoubt.Storage.Backup;
using Backup = Redoubt.Storage.Backup.Backup;
using Redoubt.Storage.Events;

namespace Redoubt.Tests.Storage;

/// <summary>
/// The state checkpoint beside the log (log-state.ckpt): an open loads it and replays only the events
/// after it, and whatever the file holds — current, older than the log, torn, from another log, from
/// the future — the state after the open is the fold of every committed event the window covers.
/// The fold here keeps every event's (id, host) in order, so a lost, doubled or misordered event shows.
/// </summary>
public sealed class LogStateTests
{
    /// <summary>The whole history as the state: (id, host) of every event observed, in order.</summary>
    private sealed class FoldState : ILogState
    {
        public List<(long Id, string Host)> Seen { get; } = [];
        public int Loads { get; private set; }
        public int RecoveredCalls { get; private set; }

        public void Observe(long id, EventRecord e) => Seen.Add((id, e.Host!));
        public ILogStateSnapshot Capture() => new Snapshot([.. Seen]);
        public void Clear() => Seen.Clear();
        public void Recovered() => RecoveredCalls++;

        public void Load(ReadOnlyMemory<byte> saved)
        {
            Loads++;
            var s = saved.Span;
            var n = BinaryPrimitives.ReadInt32LittleEndian(s);
            var at = 4;
            for (var i = 0; i < n; i++)
            {
                var id = BinaryPrimitives.ReadInt64LittleEndian(s[at..]);
                var len = BinaryPrimitives.ReadInt32LittleEndian(s[(at + 8)..]);
                Seen.Add((id, Encoding.UTF8.GetString(s.Slice(at + 12, len))));
                at += 12 + len;
            }
        }

        private sealed class Snapshot((long Id, string Host)[] seen) : ILogStateSnapshot
        {
            public void WriteTo(IBufferWriter<byte> output)
            {
                var head = output.GetSpan(4);
                BinaryPrimitives.WriteInt32LittleEndian(head, seen.Length);
                output.Advance(4);
                foreach (var (id, host) in seen)
                {
                    var bytes = Encoding.UTF8.GetBytes(host);
                    var span = output.GetSpan(12 + bytes.Length);
                    BinaryPrimitives.WriteInt64LittleEndian(span, id);
                    BinaryPrimitives.WriteInt32LittleEndian(span[8..], bytes.Length);
                    bytes.CopyTo(span[12..]);
                    output.Advance(12 + bytes.Length);
                }
            }
        }
    }

    private static EventLog Open(TempStore store, ILogState state, int checkpointEvents = 50)
    {
        var o = store.Options(blockEvents: 16);
        return EventLog.Open(new EventLogOptions
        {
            Directory = o.Directory, PageSizeBits = o.PageSizeBits, MemorySizeBits = o.MemorySizeBits, SegmentSizeBits = o.SegmentSizeBits,
            IndexBlockMaxEvents = 16, MinFreeBytes = 0, RecoverWindow = TimeSpan.FromDays(1),
            State = state, StateCheckpointEvents = checkpointEvents, StateCheckpointMinInterval = TimeSpan.Zero,
        });
    }

    /// <summary>Appends <paramref name="batches"/> batches of 1..9 events with distinct hosts; returns (id, host) in log order.</summary>
    private static async Task<List<(long, string)>> AppendAsync(EventLog log, int batches, Random random, string prefix)
    {
        var all = new List<(long, string)>();
        for (var b = 0; b < batches; b++)
        {
            var events = Enumerable.Range(0, random.Next(1, 10)).Select(i =>
            {
                var e = TempStore.Event($"{prefix} {b}.{i}");
                e.Host = $"{prefix}-{b}-{i}";
                return e;
            }).ToList();
            var ids = (await log.AppendAsync(events)).Ids;
            all.AddRange(ids.Select((id, i) => (id, events[i].Host!)));
        }
        return all;
    }

    private static string CheckpointPath(TempStore store) => Path.Combine(store.Directory, LogStateFile.FileName);

    [Fact]
    public async Task A_clean_close_checkpoints_everything_so_the_next_open_replays_nothing()
    {
        using var store = new TempStore();
        var random = new Random(1);
        List<(long, string)> expected;
        var first = new FoldState();
        await using (var log = Open(store, first))
        {
            Assert.Equal(0, log.StateRecovery!.Replayed);
            expected = await AppendAsync(log, 60, random, "a");
            Assert.Equal(expected, first.Seen); // fed on commit, in log order
            Assert.True(log.StateCheckpoints >= 2, $"{log.StateCheckpoints} checkpoints for {expected.Count} events at one per 50");
        }

        var second = new FoldState();
        await using var reopened = Open(store, second);
        Assert.Equal(expected, second.Seen);
        Assert.Equal((1, 1, 0L), (second.Loads, second.RecoveredCalls, reopened.StateRecovery!.Replayed));
        Assert.Equal(reopened.CommittedUntil, reopened.StateRecovery.CheckpointCovered);
    }

    [Fact]
    public async Task An_older_checkpoint_is_loaded_and_the_events_after_it_are_replayed_as_after_a_kill_during_ingestion()
    {
        using var store = new TempStore();
        var random = new Random(2);
        var expected = new List<(long, string)>();
        byte[] older;
        await using (var log = Open(store, new FoldState()))
        {
            expected.AddRange(await AppendAsync(log, 20, random, "a"));
            await log.DisposeAsync(); // the checkpoint now covers every "a" event
        }
        older = await File.ReadAllBytesAsync(CheckpointPath(store));
        await using (var log = Open(store, new FoldState()))
            expected.AddRange(await AppendAsync(log, 40, random, "b"));
        // As if the process had died before any checkpoint covering the "b" events was written.
        await File.WriteAllBytesAsync(CheckpointPath(store), older);

        var state = new FoldState();
        await using var reopened = Open(store, state);
        Assert.Equal(expected, state.Seen);
        Assert.Equal(1, state.Loads);
        Assert.True(reopened.StateRecovery!.CheckpointCovered > 0);
        Assert.Equal(expected.Count(e => e.Item2.StartsWith("b-", StringComparison.Ordinal)), reopened.StateRecovery.Replayed);
    }

    public static TheoryData<string> Damage => ["truncated", "bit flip in the payload", "bit flip in the header", "empty", "not ours"];

    [Theory]
    [MemberData(nameof(Damage))]
    public async Task A_torn_or_garbled_checkpoint_is_ignored_and_the_state_rebuilt_from_the_log(string damage)
    {
        using var store = new TempStore();
        List<(long, string)> expected;
        await using (var log = Open(store, new FoldState()))
            expected = await AppendAsync(log, 30, new Random(3), "a");
        var path = CheckpointPath(store);
        var bytes = await File.ReadAllBytesAsync(path);
        bytes = damage switch
        {
            "truncated" => bytes[..(bytes.Length / 2)],
            "bit flip in the payload" => Flip(bytes, bytes.Length - 10),
            "bit flip in the header" => Flip(bytes, 17),
            "empty" => [],
            _ => Encoding.UTF8.GetBytes("{\"not\":\"a checkpoint\"}"),
        };
        await File.WriteAllBytesAsync(path, bytes);

        var state = new FoldState();
        await using var reopened = Open(store, state);
        Assert.Equal(expected, state.Seen);
        Assert.Equal(0, state.Loads);
        Assert.Equal(-1, reopened.StateRecovery!.CheckpointCovered);
        Assert.NotNull(reopened.StateRecovery.Ignored);
        Assert.Equal(expected.Count, reopened.StateRecovery.Replayed);
    }

    [Fact]
    public async Task A_checkpoint_that_cannot_be_read_is_ignored_and_the_state_rebuilt_from_the_log()
    {
        // A directory where the file belongs reads as "access denied", as a file left root-owned and 0600 does
        // for the service user (review: the start died on the UnauthorizedAccessException with a stack trace).
        using var store = new TempStore();
        List<(long, string)> expected;
        await using (var log = Open(store, new FoldState()))
            expected = await AppendAsync(log, 30, new Random(4), "a");
        var path = CheckpointPath(store);
        File.Delete(path);
        Directory.CreateDirectory(path);

        var state = new FoldState();
        await using (var reopened = Open(store, state))
        {
            Assert.Equal(expected, state.Seen);
            Assert.Equal(0, state.Loads);
            Assert.StartsWith("unreadable: ", reopened.StateRecovery!.Ignored);
            Assert.Equal(expected.Count, reopened.StateRecovery.Replayed);
            expected.AddRange(await AppendAsync(reopened, 5, new Random(5), "b")); // writes go on; the checkpoint write fails and is retried
        }
        Directory.Delete(path);
        var again = new FoldState();
        await using var third = Open(store, again);
        Assert.Equal(expected, again.Seen);
    }

    private static byte[] Flip(byte[] bytes, int at)
    {
        var copy = (byte[])bytes.Clone();
        copy[at] ^= 0x40;
        return copy;
    }

    [Fact]
    public async Task A_checkpoint_of_another_log_at_the_same_address_is_refused_by_the_entry_it_names()
    {
        using var a = new TempStore();
        using var b = new TempStore();
        // Same shapes (so the same addresses), other hosts: only the entries' contents differ.
        await using (var log = Open(a, new FoldState())) await AppendAsync(log, 25, new Random(4), "a");
        List<(long, string)> expected;
        await using (var log = Open(b, new FoldState())) expected = await AppendAsync(log, 25, new Random(4), "b");
        File.Copy(CheckpointPath(a), CheckpointPath(b), overwrite: true);

        var state = new FoldState();
        await using var reopened = Open(b, state);
        Assert.Equal(expected, state.Seen);
        Assert.Contains("is not the one it was taken after", reopened.StateRecovery!.Ignored);
    }

    [Fact]
    public async Task A_checkpoint_beyond_the_committed_log_is_refused()
    {
        using var store = new TempStore();
        var random = new Random(5);
        List<(long, string)> expected;
        await using (var log = Open(store, new FoldState())) expected = await AppendAsync(log, 10, random, "a");
        // The same log, longer: its checkpoint covers addresses the first copy never committed.
        using var longer = new TempStore();
        CopyDirectory(store.Directory, longer.Directory);
        await using (var log = Open(longer, new FoldState())) await AppendAsync(log, 10, random, "b");
        File.Copy(CheckpointPath(longer), CheckpointPath(store), overwrite: true);

        var state = new FoldState();
        await using var reopened = Open(store, state);
        Assert.Equal(expected, state.Seen);
        Assert.Contains("beyond the", reopened.StateRecovery!.Ignored);
    }

    [Fact]
    public async Task Without_state_the_log_never_writes_a_checkpoint_and_one_on_disk_stays_as_it_is()
    {
        using var store = new TempStore();
        await using (var log = Open(store, new FoldState())) await AppendAsync(log, 5, new Random(6), "a");
        var before = await File.ReadAllBytesAsync(CheckpointPath(store));
        await using (var plain = store.Open(blockEvents: 16)) await AppendAsync(plain, 5, new Random(7), "b");
        Assert.Equal(before, await File.ReadAllBytesAsync(CheckpointPath(store)));

        // The events the plain writer added come after the checkpoint: the next open replays them.
        var state = new FoldState();
        await using var reopened = Open(store, state);
        Assert.Equal(reopened.Count, state.Seen.Count);
        Assert.True(reopened.StateRecovery!.Replayed > 0);
    }

    [Fact]
    public async Task A_backup_carries_the_state_as_of_its_commit_and_a_restore_opens_without_replaying()
    {
        using var store = new TempStore();
        var random = new Random(8);
        var state = new FoldState();
        var archive = Path.Combine(store.Root, "backup.tar");
        List<(long, string)> expected;
        await using (var log = Open(store, state, checkpointEvents: 1_000_000)) // no periodic checkpoint: the backup's own capture counts
        {
            expected = await AppendAsync(log, 20, random, "a");
            await using (var file = File.Create(archive))
                await Backup.WriteAsync(store.Root, [log], file, DateTimeOffset.UtcNow);
            await AppendAsync(log, 5, random, "after");
        }
        var restored = Path.Combine(store.Root, "restored");
        await using (var file = File.OpenRead(archive)) await Backup.RestoreAsync(file, restored);
        Assert.True(File.Exists(Path.Combine(restored, "events", LogStateFile.FileName)));

        var again = new FoldState();
        var o = store.Options(blockEvents: 16);
        await using var reopened = EventLog.Open(new EventLogOptions
        {
            Directory = Path.Combine(restored, "events"), PageSizeBits = o.PageSizeBits, MemorySizeBits = o.MemorySizeBits, SegmentSizeBits = o.SegmentSizeBits,
            IndexBlockMaxEvents = 16, MinFreeBytes = 0, State = again,
        });
        Assert.Equal(expected, again.Seen);
        Assert.Equal((1, 0L), (again.Loads, reopened.StateRecovery!.Replayed));
    }

    [Fact]
    public async Task A_restored_log_whose_archive_has_no_checkpoint_rebuilds_the_state_from_the_log()
    {
        using var store = new TempStore();
        var state = new FoldState();
        List<(long, string)> expected;
        await using (var log = Open(store, state)) expected = await AppendAsync(log, 20, new Random(9), "a");
        File.Delete(CheckpointPath(store));
        var again = new FoldState();
        await using var reopened = Open(store, again);
        Assert.Equal(expected, again.Seen);
        Assert.Equal((0, -1L), (again.Loads, reopened.StateRecovery!.CheckpointCovered));
        Assert.Null(reopened.StateRecovery.Ignored); // nothing was wrong: there was no file
    }

    private static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var f in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, f));
            if (Path.GetFileName(f) == ".lock") continue;
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(f, target);
        }
    }
}

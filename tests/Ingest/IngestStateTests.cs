using System.Buffers;
using Redoubt.Ingest;
using Redoubt.Ingest.Http;
using Redoubt.Storage.Events;
using Redoubt.Tests.Storage;
using Redoubt.Tests.Support;

namespace Redoubt.Tests.Ingest;

/// <summary>
/// Ingest state (sources' first/last seen, idempotency keys) checkpointed beside the event log must
/// come back exactly as the old open rebuilt it — every event of the window replayed through
/// SourceTable.Restore and IdempotencyKeys.Observe — whether the open starts from a current
/// checkpoint, an older one (the events after it replayed), or none.
/// </summary>
public sealed class IngestStateTests
{
    private static readonly TimeSpan Window = TimeSpan.FromDays(3);

    private sealed record Ingest(SourceTable Table, IdempotencyKeys Keys, IngestState State)
    {
        public static Ingest Create(TimeProvider clock, int maxKeys = 1000)
        {
            var table = new SourceTable(10_000, TimeSpan.FromHours(1), TimeSpan.FromDays(30), clock);
            var keys = new IdempotencyKeys(TimeSpan.FromHours(24), maxKeys, 1_000_000, clock);
            return new Ingest(table, keys, new IngestState(new SourceHistory(10_000, TimeSpan.FromDays(30), clock), keys, table));
        }

        public List<(string, long, long, string?, string?)> Sources() =>
            [.. Table.Snapshot().Select(s => (s.Counters.Key, s.Counters.FirstSeenMs, s.Counters.LastSeenMs, s.Counters.LastAddress, s.Counters.LastListener)).OrderBy(s => s.Key, StringComparer.Ordinal)];

        public List<(string, string, string, long)> KnownKeys() =>
            [.. Keys.Capture().Known.Select(b => (b.Key, Convert.ToHexString(b.BodySha256), string.Join(',', b.Ids), b.StoredAtMs))];
    }

    private static EventLogOptions Options(TempStore store, ILogState? state = null, Action<long, EventRecord>? onRecovered = null, int checkpointEvents = 200)
    {
        var o = store.Options(blockEvents: 32);
        return new EventLogOptions
        {
            Directory = o.Directory, PageSizeBits = o.PageSizeBits, MemorySizeBits = o.MemorySizeBits, SegmentSizeBits = o.SegmentSizeBits,
            IndexBlockMaxEvents = 32, MinFreeBytes = 0, RecoverWindow = Window, RecoverSummariesOnly = true,
            State = state, OnRecovered = onRecovered, StateCheckpointEvents = checkpointEvents, StateCheckpointMinInterval = TimeSpan.Zero,
        };
    }

    /// <summary>
    /// Random traffic: syslog-like events from 40 hosts (some without a host, keyed by their sender),
    /// received over the last two days (not always in order), and NDJSON batches with idempotency keys (a few keys reused).
    /// </summary>
    private static async Task WriteAsync(EventLog log, Random random, int requests, long startMs, long stepMs)
    {
        for (var r = 0; r < requests; r++)
        {
            var at = startMs + r * stepMs;
            var n = random.Next(1, 12);
            var events = Enumerable.Range(0, n).Select(i => new EventRecord
            {
                // Now and then a clock step back: first/last seen are a min and a max, not the first and last event.
                ReceivedAtMs = at + i - (random.Next(10) == 0 ? random.Next(600_000) : 0), TimeMs = at,
                Host = random.Next(5) == 0 ? null : $"host-{random.Next(40)}",
                Sender = random.Next(4) == 0 ? null : $"10.0.{random.Next(3)}.{random.Next(4)}:{random.Next(1000, 2000)}",
                Source = random.Next(2) == 0 ? "syslog" : "ingest",
                Message = $"request {r} event {i}",
                Transport = Transport.HttpNdjson,
            }).ToList();
            if (random.Next(3) == 0)
            {
                var key = $"key-{random.Next(requests / 2)}";
                events[0].Batch = new BatchMark { Key = key, BodySha256 = [(byte)r, (byte)(r >> 8)], Count = n };
                foreach (var e in events.Skip(1)) e.Batch = new BatchMark { Key = key };
            }
            await log.AppendAsync(events);
        }
    }

    /// <summary>The state as the appliance rebuilt it before checkpoints: the window replayed event by event.</summary>
    private static Ingest Reference(TempStore store)
    {
        var reference = Ingest.Create(TimeProvider.System);
        var log = EventLog.Open(Options(store, onRecovered: (id, e) => { reference.Table.Restore(e); reference.Keys.Observe(id, e); }));
        log.DisposeAsync().AsTask().GetAwaiter().GetResult();
        return reference;
    }

    private static async Task<(Ingest Ingest, LogStateRecovery Recovery)> OpenAsync(TempStore store)
    {
        var ingest = Ingest.Create(TimeProvider.System);
        await using var log = EventLog.Open(Options(store, ingest.State));
        return (ingest, log.StateRecovery!);
    }

    private static void AssertSame(Ingest expected, Ingest actual)
    {
        Assert.Equal(expected.Sources(), actual.Sources());
        Assert.Equal(expected.KnownKeys(), actual.KnownKeys());
    }

    [Fact]
    public async Task From_a_current_an_older_or_no_checkpoint_the_state_equals_the_old_replay_of_the_window()
    {
        using var store = new TempStore();
        var random = new Random(11);
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var live = Ingest.Create(TimeProvider.System);
        await using (var log = EventLog.Open(Options(store, live.State)))
            await WriteAsync(log, random, 300, now - (long)TimeSpan.FromDays(2).TotalMilliseconds, 60_000);
        var older = await File.ReadAllBytesAsync(Path.Combine(store.Directory, LogStateFile.FileName));
        await using (var log = EventLog.Open(Options(store, Ingest.Create(TimeProvider.System).State)))
            await WriteAsync(log, random, 300, now - (long)TimeSpan.FromHours(5).TotalMilliseconds, 50_000);
        var reference = Reference(store);
        Assert.True(reference.Sources().Count > 30 && reference.KnownKeys().Count > 50, "the traffic has sources and keys to compare");

        var (current, currentRecovery) = await OpenAsync(store);
        AssertSame(reference, current);
        Assert.Equal(0, currentRecovery.Replayed);

        await File.WriteAllBytesAsync(Path.Combine(store.Directory, LogStateFile.FileName), older);
        var (fromOlder, olderRecovery) = await OpenAsync(store);
        AssertSame(reference, fromOlder);
        Assert.True(olderRecovery.CheckpointCovered > 0 && olderRecovery.Replayed > 0, $"{olderRecovery}");

        File.Delete(Path.Combine(store.Directory, LogStateFile.FileName));
        var (rebuilt, rebuiltRecovery) = await OpenAsync(store);
        AssertSame(reference, rebuilt);
        Assert.Equal(-1, rebuiltRecovery.CheckpointCovered);
    }

    [Fact]
    public void A_batch_half_observed_at_the_checkpoint_completes_with_all_its_ids_after_the_load()
    {
        var clock = new ManualClock(new DateTimeOffset(2026, 12, 1, 10, 0, 0, TimeSpan.Zero));
        var at = clock.GetUtcNow().ToUnixTimeMilliseconds();
        var events = Enumerable.Range(0, 3).Select(_ => new EventRecord { ReceivedAtMs = at, Host = "agent-1", Sender = "10.1.1.1:5000", Source = "ingest" }).ToList();
        events[0].Batch = new BatchMark { Key = "half", BodySha256 = [1, 2, 3], Count = 3 };
        events[1].Batch = events[2].Batch = new BatchMark { Key = "half" };
        var first = Ingest.Create(clock);
        first.State.Observe(100, events[0]);
        first.State.Observe(108, events[1]);
        var saved = new ArrayBufferWriter<byte>();
        first.State.Capture().WriteTo(saved);

        var second = Ingest.Create(clock);
        second.State.Load(saved.WrittenMemory);
        Assert.Equal(KeyState.New, second.Keys.Begin("half", out _));
        second.Keys.End("half");
        second.State.Observe(116, events[2]);
        second.State.Recovered();
        Assert.Equal(KeyState.Known, second.Keys.Begin("half", out var known));
        Assert.Equal([100L, 108, 116], known!.Ids);
        Assert.Equal([1, 2, 3], known.BodySha256);
        var source = Assert.Single(second.Table.Snapshot());
        Assert.Equal(("agent-1", at, "10.1.1.1:5000", "ingest"), (source.Counters.Key, source.Counters.LastSeenMs, source.Counters.LastAddress, source.Counters.LastListener));
    }

    [Fact]
    public void Sources_and_keys_past_their_horizon_are_not_carried_by_a_checkpoint()
    {
        var clock = new ManualClock(new DateTimeOffset(2026, 12, 1, 10, 0, 0, TimeSpan.Zero));
        var first = Ingest.Create(clock);
        var old = new EventRecord { ReceivedAtMs = clock.GetUtcNow().ToUnixTimeMilliseconds(), Host = "gone", Batch = new BatchMark { Key = "old", BodySha256 = [1], Count = 1 } };
        first.State.Observe(10, old);
        clock.Advance(TimeSpan.FromDays(31));
        var recent = new EventRecord { ReceivedAtMs = clock.GetUtcNow().ToUnixTimeMilliseconds(), Host = "here", Batch = new BatchMark { Key = "new", BodySha256 = [2], Count = 1 } };
        first.State.Observe(20, recent);
        var saved = new ArrayBufferWriter<byte>();
        first.State.Capture().WriteTo(saved);

        var second = Ingest.Create(clock);
        second.State.Load(saved.WrittenMemory);
        second.State.Recovered();
        Assert.Equal(["here"], second.Table.Snapshot().Select(s => s.Counters.Key));
        Assert.Equal(["new"], second.KnownKeys().Select(k => k.Item1));
    }

    [Fact]
    public void A_payload_that_does_not_decode_throws_so_the_log_rebuilds_instead()
    {
        var ingest = Ingest.Create(TimeProvider.System);
        Assert.ThrowsAny<Exception>(() => ingest.State.Load(new byte[] { 0x94, 0x02, 0x90, 0x90 }));
        Assert.ThrowsAny<Exception>(() => ingest.State.Load(new byte[] { 0x93, 0x01 }));
    }
}

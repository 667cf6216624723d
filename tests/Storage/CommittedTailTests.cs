using System.Buffers;
using System.Net;
using System.Text;
using Redoubt.Ingest.Syslog;
using Redoubt.Storage.Events;
using Redoubt.Tests.Support;

namespace Redoubt.Tests.Storage;

/// <summary>
/// The tailing reader (the fan-out) takes the appender's own records of recent appends instead of
/// decoding the log again: what it hands out must be exactly what the log holds (same encoding, on real
/// events), in log order, whether a record came from memory or from the log, and never a record of an
/// entry that was not committed.
/// </summary>
public sealed class CommittedTailTests
{
    private static List<EventRecord> RealEvents()
    {
        var syslog = new SyslogEvents(TimeZoneInfo.Utc, TimeProvider.System);
        var sender = new IPEndPoint(IPAddress.Parse("10.1.2.3"), 5140);
        var files = new[]
            {
                SharedData.PathOf("logs", "loghub", "Linux", "Linux_2k.log"),
                SharedData.PathOf("logs", "loghub", "OpenSSH", "OpenSSH_2k.log"),
                SharedData.PathOf("logs", "cef", "elastic-beats-decode-cef", "samples.log"),
            }
            .Concat(Directory.GetFiles(SharedData.PathOf("logs", "wazuh-ruleset-tests", "by-vendor-log"), "*.log").Order(StringComparer.Ordinal).Take(20));
        var events = files.SelectMany(f => File.ReadLines(f).Where(l => l.Length > 0).Take(150))
            .Select(l => syslog.FromFrame(Encoding.UTF8.GetBytes(l), truncated: false, Transport.SyslogTcp, sender)).ToList();
        var tags = new Dictionary<string, string>(StringComparer.Ordinal) { ["site"] = "lab", ["zone"] = "dmz" };
        for (var i = 0; i < events.Count; i += 7) events[i].Tags = tags;
        events[3].Batch = new BatchMark { Key = "retry-1", BodySha256 = [1, 2, 3], Count = 2 };
        events[5].Raw = [0xff, 0xfe, 0x41];
        return events;
    }

    private static byte[] Encoded(EventRecord e)
    {
        var buffer = new ArrayBufferWriter<byte>();
        EventCodec.Encode(e, buffer);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Starts the tailing reader (it owns the tail from its first step), appends, and collects <paramref name="count"/> events.</summary>
    private static async Task<List<StoredEvent>> TailWhileAppendingAsync(EventLog log, IReadOnlyList<EventRecord> events, int batch)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var reader = log.ReadCommittedAsync(log.BeginAddress, cts.Token).GetAsyncEnumerator(cts.Token);
        var first = reader.MoveNextAsync(); // owns the tail before the first append
        var seen = new List<StoredEvent>();
        var reading = Task.Run(async () =>
        {
            while (seen.Count < events.Count && await (seen.Count == 0 ? first : reader.MoveNextAsync())) seen.Add(reader.Current);
        });
        for (var i = 0; i < events.Count; i += batch)
            await log.AppendAsync(events.Skip(i).Take(batch).ToList());
        await reading.WaitAsync(cts.Token);
        await reader.DisposeAsync();
        return seen;
    }

    [Fact]
    public async Task The_tailing_reader_hands_out_records_that_encode_to_what_the_log_holds_on_real_events()
    {
        using var store = new TempStore();
        await using var log = store.Open();
        var events = RealEvents();
        var seen = await TailWhileAppendingAsync(log, events, batch: 50);

        var stored = await TempStore.AllAsync(log); // decoded from the log
        Assert.Equal(events.Count, seen.Count);
        Assert.Equal(stored.Select(s => s.Id), seen.Select(s => s.Id));
        Assert.Equal(stored.Select(s => s.NextId), seen.Select(s => s.NextId));
        for (var i = 0; i < seen.Count; i++)
            Assert.True(Encoded(stored[i].Event).AsSpan().SequenceEqual(Encoded(seen[i].Event)), $"event {i} differs from the log's copy");
        // Most came from memory (the very record appended), not from a decode.
        var same = seen.Count(s => events.Any(e => ReferenceEquals(e, s.Event)));
        Assert.Equal(log.TailTaken, same);
        Assert.True(log.TailTaken > events.Count / 2, $"only {log.TailTaken} of {events.Count} taken from memory");
        Assert.Equal(events.Count, log.TailTaken + log.TailDecoded);
    }

    [Fact]
    public async Task A_record_with_surrogates_is_decoded_from_the_log_as_a_restart_would_see_it()
    {
        using var store = new TempStore();
        await using var log = store.Open();
        var lone = TempStore.Event("broken \ud800 half pair");
        var emoji = TempStore.Event("plain text");
        emoji.Fields = new Dictionary<string, string>(StringComparer.Ordinal) { ["face"] = "\U0001F600" };
        var plain = TempStore.Event("plain");
        var seen = await TailWhileAppendingAsync(log, [lone, emoji, plain], batch: 3);

        Assert.Equal("broken \uFFFD half pair", seen[0].Event.Message); // what MessagePack's UTF-8 made of it
        Assert.NotSame(emoji, seen[1].Event);
        Assert.Equal("\U0001F600", seen[1].Event.Fields!["face"]);
        Assert.Equal(2, log.TailDecoded);
    }

    [Fact]
    public async Task When_the_tail_is_full_the_rest_is_decoded_in_order()
    {
        using var store = new TempStore();
        var o = store.Options();
        await using var log = EventLog.Open(new EventLogOptions
        {
            Directory = o.Directory, PageSizeBits = o.PageSizeBits, MemorySizeBits = o.MemorySizeBits, SegmentSizeBits = o.SegmentSizeBits,
            MinFreeBytes = 0, TailRecords = 4,
        });
        var events = Enumerable.Range(0, 100).Select(i => TempStore.Event($"e{i}")).ToList();
        var seen = await TailWhileAppendingAsync(log, events, batch: 100);
        Assert.Equal(events.Select(e => e.Message), seen.Select(s => s.Event.Message));
        Assert.InRange(log.TailTaken, 0, 8);
        Assert.Equal(100, log.TailTaken + log.TailDecoded);
    }

    [Fact]
    public async Task Without_a_tailing_reader_nothing_is_kept_and_a_second_reader_decodes()
    {
        using var store = new TempStore();
        await using var log = store.Open();
        await log.AppendAsync([TempStore.Event("before any reader")]);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await using var a = log.ReadCommittedAsync(0, cts.Token).GetAsyncEnumerator(cts.Token);
        Assert.True(await a.MoveNextAsync()); // owns the tail; this one was appended before
        await using var b = log.ReadCommittedAsync(0, cts.Token).GetAsyncEnumerator(cts.Token);
        Assert.True(await b.MoveNextAsync());
        Assert.Equal("before any reader", b.Current.Event.Message);
        await log.AppendAsync([TempStore.Event("second")]);
        Assert.True(await b.MoveNextAsync()); // the second reader never takes from the tail
        Assert.Equal("second", b.Current.Event.Message);
        Assert.True(await a.MoveNextAsync());
        Assert.Equal("second", a.Current.Event.Message);
        Assert.Equal(1, log.TailTaken); // a's "second"
        Assert.Equal(3, log.TailDecoded);
    }

    [Fact]
    public void After_a_failed_commit_the_records_kept_for_the_lost_addresses_are_never_handed_out()
    {
        var tail = new CommittedTail(8);
        Assert.True(tail.TryOwn());
        EventRecord R(string m) => TempStore.Event(m);
        var committed = R("committed at 100");
        Assert.True(tail.TryAdd(100, committed));
        Assert.True(tail.TryAdd(200, R("lost at 200")));
        Assert.True(tail.TryAdd(300, R("lost at 300")));
        Assert.Same(committed, tail.TryTake(100));
        tail.Invalidate(); // the reopened log recovered up to 200: it reuses 200 and 300
        var again = R("new at 200");
        Assert.True(tail.TryAdd(200, again));
        Assert.Same(again, tail.TryTake(200));
        Assert.Null(tail.TryTake(300)); // the stale one is gone: decode from the log
        Assert.Null(tail.TryTake(50)); // below what is kept: decode
    }
}

using System.Buffers.Binary;
using System.IO.Hashing;
using MessagePack;
using Redoubt.Storage.Events;

namespace Redoubt.Tests.Storage;

/// <summary>
/// Host/app sketches in the time index: a <c>host=</c> / <c>app=</c> search skips the blocks that cannot
/// hold the value, still finds every match (compared with a brute-force filter of every event), and the
/// sketches live through a restart, a torn index record, and an index written by a build without them.
/// </summary>
public sealed class BlockSketchTests
{
    private static readonly long T0 = DateTimeOffset.Parse("2026-01-01T00:00:00Z").ToUnixTimeMilliseconds();

    /// <summary>
    /// Hosts in runs of 150 events (a block of 64 holds one or two), every 7th event from one of 40 noisy
    /// hosts, then 1,000 events cycling over 50 hosts (so those blocks carry Bloom filters); apps in runs of 500.
    /// </summary>
    private static EventRecord Make(int n) => new()
    {
        ReceivedAtMs = T0 + n * 1000L,
        TimeMs = T0 + n * 1000L,
        Host = n >= 2000 ? $"mix-{n % 50}" : n % 7 == 0 ? $"noisy-{n % 40}" : $"web-{n / 150}",
        App = n % 11 == 0 ? null : $"app-{n / 500}",
        Message = $"event {n} session " + (n % 3 == 0 ? "opened" : "closed"),
        Source = "test",
    };

    private static async Task FillAsync(EventLog log, int from, int to)
    {
        for (var i = from; i < to; i += 100)
            await log.AppendAsync(Enumerable.Range(i, Math.Min(100, to - i)).Select(Make).ToList());
    }

    private static readonly EventQuery[] Queries =
    [
        new() { Host = "web-3" }, new() { Host = "WEB-3" }, new() { Host = "mix-7" }, new() { Host = "noisy-5" },
        new() { Host = "no-such-host" }, new() { App = "APP-2" }, new() { App = "app-1", Host = "web-5" },
        new() { Host = "web-9", Text = "OPENED" }, new() { App = "no-such-app" }, new() { Host = "" },
    ];

    /// <summary>Each query's newest-first ids and blocks read, checked against a brute-force filter of every event.</summary>
    private static async Task<List<(List<long> Ids, int Blocks)>> AskAsync(EventLog log)
    {
        var all = await TempStore.AllAsync(log);
        var answers = new List<(List<long>, int)>();
        foreach (var q in Queries)
        {
            var page = await log.QueryAsync(q with { Limit = 100_000 });
            var expected = all.Where(e => q.Matches(e.Event)).Select(e => e.Id).Reverse().ToList();
            Assert.Equal(expected, page.Events.Select(e => e.Id));
            var exported = new List<long>();
            await foreach (var e in log.ExportAsync(q)) exported.Add(e.Id);
            Assert.Equal(Enumerable.Reverse(expected), exported);
            answers.Add((expected, page.BlocksRead));
        }
        return answers;
    }

    [Fact]
    public async Task A_host_or_app_search_reads_only_the_blocks_that_may_hold_it_and_finds_every_match()
    {
        using var store = new TempStore();
        await using var log = store.Open(blockEvents: 64);
        await FillAsync(log, 0, 3000);
        var blocks = log.IndexBlocks + 1;
        var answers = await AskAsync(log);
        int Read(int query) => answers[query].Blocks;
        Assert.NotEmpty(answers[0].Ids);
        Assert.InRange(Read(0), 3, 6);           // web-3: its run of 150 events spans 3-4 blocks, plus the open block
        Assert.Equal(Read(0), Read(1));          // case does not matter
        Assert.InRange(Read(2), 15, 20);         // mix-7: in each of the ~16 mixed blocks (Bloom filters)
        Assert.InRange(Read(4), 1, 3);           // nobody: the open block, and a Bloom false positive at most
        Assert.InRange(Read(5), 8, 11);          // app-2: its run of 500 events in 9 blocks, plus the open block
        Assert.InRange(Read(6), 4, 6);           // web-5's 4 blocks, inside app-1's 9: both sketches must agree
        Assert.InRange(Read(8), 1, 2);
        Assert.Empty(answers[4].Ids);
        Assert.True(Read(3) < blocks, $"noisy-5 read {Read(3)} of {blocks} blocks");
    }

    [Fact]
    public async Task Sketches_survive_a_restart_and_a_torn_index_record_and_answer_the_same()
    {
        using var store = new TempStore();
        List<(List<long> Ids, int Blocks)> before;
        await using (var log = store.Open(blockEvents: 64))
        {
            await FillAsync(log, 0, 3000);
            before = await AskAsync(log);
        }
        await using (var log = store.Open(blockEvents: 64))
            Assert.Equal(Flat(before), Flat(await AskAsync(log)));

        var index = Path.Combine(store.Directory, "time.idx");
        await using (var f = new FileStream(index, FileMode.Open)) f.SetLength(f.Length - 5);
        await using (var log = store.Open(blockEvents: 64))
        {
            Assert.NotNull(log.Recovery.IndexRepair);
            // The torn block's events are re-indexed from the log, sketches included: same answers, same reads.
            Assert.Equal(Flat(before), Flat(await AskAsync(log)));
        }
    }

    private static List<(string Ids, int Blocks)> Flat(List<(List<long> Ids, int Blocks)> answers) =>
        answers.Select(a => (string.Join(',', a.Ids), a.Blocks)).ToList();

    /// <summary>time.idx's IndexBlock as main wrote it before sketches (keys 0-8): the old layout, for both directions.</summary>
    [MessagePackObject]
    public sealed class MainIndexBlock
    {
        [Key(0)] public long Start { get; set; }
        [Key(1)] public long End { get; set; }
        [Key(2)] public int Count { get; set; }
        [Key(3)] public long MinTimeMs { get; set; }
        [Key(4)] public long MaxTimeMs { get; set; }
        [Key(5)] public long MinReceivedMs { get; set; }
        [Key(6)] public long MaxReceivedMs { get; set; }
        [Key(7)] public BlockCounters Counters { get; set; } = new();
        [Key(8)] public long[]? Ranges { get; set; }
    }

    private static (byte[] Header, List<byte[]> Payloads) ReadIndex(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var payloads = new List<byte[]>();
        for (var at = 16; at < bytes.Length;)
        {
            var length = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(at));
            payloads.Add(bytes.AsSpan(at + 8, length).ToArray());
            at += 8 + length;
        }
        return (bytes[..16], payloads);
    }

    private static void WriteIndex(string path, byte[] header, IEnumerable<byte[]> payloads)
    {
        using var f = new FileStream(path, FileMode.Create);
        f.Write(header);
        var prefix = new byte[8];
        foreach (var p in payloads)
        {
            BinaryPrimitives.WriteInt32LittleEndian(prefix, p.Length);
            BinaryPrimitives.WriteUInt32LittleEndian(prefix.AsSpan(4), Crc32.HashToUInt32(p));
            f.Write(prefix);
            f.Write(p);
        }
    }

    [Fact]
    public async Task An_index_written_without_sketches_opens_answers_by_scanning_and_new_blocks_get_sketches()
    {
        using var store = new TempStore();
        List<(List<long> Ids, int Blocks)> sketched;
        await using (var log = store.Open(blockEvents: 64))
        {
            await FillAsync(log, 0, 2000);
            sketched = await AskAsync(log);
        }
        // Rewrite time.idx in main's layout: the same blocks, no keys 9 and 10.
        var path = Path.Combine(store.Directory, "time.idx");
        var (header, payloads) = ReadIndex(path);
        var old = payloads.Select(p => MessagePackSerializer.Serialize(MessagePackSerializer.Deserialize<MainIndexBlock>(p))).ToList();
        Assert.All(old, p => Assert.Equal(0x99, p[0])); // fixarray of 9: main's layout
        Assert.All(payloads, p => Assert.Equal(0x9b, p[0])); // fixarray of 11: this build's
        WriteIndex(path, header, old);

        await using (var log = store.Open(blockEvents: 64))
        {
            Assert.Null(log.Recovery.IndexRepair);
            Assert.Equal(2000, log.Count);
            var unsketched = await AskAsync(log); // same ids (checked inside), but every block is read
            Assert.Equal(sketched.Select(a => a.Ids), unsketched.Select(a => a.Ids));
            Assert.All(unsketched, a => Assert.Equal(log.IndexBlocks + 1, a.Blocks));
            // Blocks closed from now on carry sketches beside the old ones.
            await FillAsync(log, 2000, 3000);
            var mixed = await log.QueryAsync(new EventQuery { Host = "no-such-host" });
            Assert.InRange(mixed.BlocksRead, old.Count + 1, old.Count + 3); // the old blocks and the open one; of the new, a Bloom false positive at most
        }
        await using (var log = store.Open(blockEvents: 64))
        {
            var page = await log.QueryAsync(new EventQuery { Host = "mix-7", Limit = 100_000 });
            Assert.Equal(1000 / 50, page.Events.Count);
        }
    }

    [Fact]
    public async Task An_index_record_with_sketches_reads_in_mains_layout()
    {
        // An older build must still open a store this build wrote: MessagePack skips the keys it does not know.
        using var store = new TempStore();
        await using (var log = store.Open(blockEvents: 64)) await FillAsync(log, 0, 1000);
        var (_, payloads) = ReadIndex(Path.Combine(store.Directory, "time.idx"));
        Assert.NotEmpty(payloads);
        foreach (var p in payloads)
        {
            var block = MessagePackSerializer.Deserialize<IndexBlock>(p);
            var main = MessagePackSerializer.Deserialize<MainIndexBlock>(p);
            Assert.NotNull(block.Hosts);
            Assert.Equal((block.Start, block.End, block.Count, block.MinTimeMs, block.MaxTimeMs), (main.Start, main.End, main.Count, main.MinTimeMs, main.MaxTimeMs));
            Assert.Equal(block.Ranges, main.Ranges);
        }
    }

    [Fact]
    public void A_sketch_never_misses_a_value_it_holds_and_rarely_claims_one_it_does_not()
    {
        var rng = new Random(9);
        long falsePositives = 0, probes = 0;
        foreach (var distinct in new[] { 0, 1, 5, 16, 17, 60, 1000, 4096 })
        {
            var values = Enumerable.Range(0, distinct).Select(i => $"host-{rng.Next()}-{i}").ToList();
            var builder = new SketchBuilder();
            foreach (var v in values.Concat(values)) builder.Add(v);
            builder.Add(null);
            var sketch = builder.Seal()!;
            Assert.Equal(distinct <= ValueSketch.MaxListed ? (byte)1 : (byte)2, sketch[0]);
            Assert.All(values, v => Assert.True(ValueSketch.MayContain(sketch, Utf8Text.FoldedHash(v.ToUpperInvariant())), v));
            for (var i = 0; i < 2000; i++, probes++)
                if (ValueSketch.MayContain(sketch, Utf8Text.FoldedHash($"other-{i}"))) falsePositives++;
        }
        Assert.True(falsePositives < probes * 0.03, $"{falsePositives} false positives in {probes} probes");
        Assert.True(ValueSketch.MayContain(null, 1));           // no sketch: may hold anything
        Assert.True(ValueSketch.MayContain([77, 1, 2, 3], 1));  // a kind this build does not know: same
    }
}

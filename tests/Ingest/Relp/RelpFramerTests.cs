using System.Buffers;
using System.Text;
using Redoubt.Ingest.Relp;

namespace Redoubt.Tests.Ingest.Relp;

public sealed class RelpFramerTests
{
    private const int Max = 1024;

    // ---------------------------------------------------------------- helpers

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }

    private static ReadOnlySequence<byte> Build(IReadOnlyList<ReadOnlyMemory<byte>> parts)
    {
        if (parts.Count == 0) return ReadOnlySequence<byte>.Empty;
        if (parts.Count == 1) return new ReadOnlySequence<byte>(parts[0]);
        var first = new Segment(parts[0], 0);
        var last = first;
        for (var i = 1; i < parts.Count; i++) last = last.Append(parts[i]);
        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    private static byte[] B(string s) => Encoding.UTF8.GetBytes(s);

    /// <summary>A RELP frame as librelp writes it: DATALEN is the UTF-8 byte count; no SP and no data when it is 0.</summary>
    private static string Frame(long txnr, string command, string data = "") =>
        data.Length == 0 ? $"{txnr} {command} 0\n" : $"{txnr} {command} {Encoding.UTF8.GetByteCount(data)} {data}\n";

    /// <summary>What the framer produced, as text the assertions compare.</summary>
    private static string Show(in RelpFrame f) => f.Error != RelpFrameError.None
        ? $"error {f.Error} txnr={f.Txnr}"
        : $"{f.Txnr} {f.CommandText ?? f.Command.ToString().ToLowerInvariant()} [{Encoding.UTF8.GetString(f.Data.ToArray())}]{(f.Truncated ? " truncated" : "")}";

    /// <summary>
    /// Feeds the pieces like a PipeReader loop: append, drain, keep the unconsumed remainder with its
    /// segments. Returns the frames and how many bytes were left unconsumed at the end.
    /// </summary>
    private static (List<string> Frames, long Left, bool Failed) Feed(int max, IEnumerable<byte[]> pieces)
    {
        var framer = new RelpFramer(max);
        var held = new List<ReadOnlyMemory<byte>>();
        var frames = new List<string>();
        foreach (var piece in pieces)
        {
            if (piece.Length > 0) held.Add(piece);
            var buffer = Build(held);
            var calls = 0;
            while (true)
            {
                var before = buffer.Length;
                var got = framer.TryReadFrame(ref buffer, out var frame);
                Assert.True(buffer.Length <= before, "framer must never grow the buffer");
                if (!got) break;
                Assert.True(frame.Error != RelpFrameError.None || buffer.Length < before, "a frame must consume bytes");
                Assert.True(frame.Data.Length <= max, "data beyond the maximum must never be returned");
                frames.Add(Show(frame));
                Assert.True(++calls <= before + 1, "framer is looping");
            }
            held.Clear();
            foreach (var memory in buffer)
                if (!memory.IsEmpty) held.Add(memory);
        }
        return (frames, held.Sum(m => (long)m.Length), framer.Failed);
    }

    /// <summary>Whole, split at every offset into two reads, and one byte at a time: always the same frames.</summary>
    private static void AssertSameAtEverySplit(byte[] data, int max, IReadOnlyList<string> expected, bool broken = false)
    {
        var whole = Feed(max, [data]);
        Assert.Equal(expected, whole.Frames);
        Assert.Equal(broken, whole.Failed);
        for (var i = 0; i <= data.Length; i++)
        {
            var (frames, rest, _) = Feed(max, [data[..i], data[i..]]);
            Assert.True(expected.SequenceEqual(frames), $"split at offset {i}: expected [{string.Join(" | ", expected)}] but got [{string.Join(" | ", frames)}]");
            if (!broken) Assert.Equal(0, rest); // a complete stream is consumed to the last byte
        }
        Assert.Equal(expected, Feed(max, data.Select(b => new[] { b })).Frames);
    }

    // ---------------------------------------------------------------- 1. what librelp sends, at every split

    // Captured from rsyslog 8.2302 / librelp 1.11 omrelp (SENDERS-NOTES 1.3): the data ends in the template's LF.
    private const string LibrelpOffer = "relp_version=0\nrelp_software=librelp,1.11.0,http://librelp.adiscon.com\ncommands=syslog\n";

    private static readonly Dictionary<string, (string Stream, string[] Expected)> Samples = new()
    {
        ["a librelp session: open, two syslog frames, close"] = (
            Frame(1, "open", LibrelpOffer)
                + Frame(2, "syslog", "<13>1 2026-12-03T19:20:09.545742+00:00 sender-host relpapp - - -  up msg 1\n")
                + Frame(3, "syslog", "<13>1 2026-12-03T19:20:09.545811+00:00 sender-host relpapp - - -  up msg 2\n")
                + Frame(4, "close"),
            [$"1 open [{LibrelpOffer}]",
             "2 syslog [<13>1 2026-12-03T19:20:09.545742+00:00 sender-host relpapp - - -  up msg 1\n]",
             "3 syslog [<13>1 2026-12-03T19:20:09.545811+00:00 sender-host relpapp - - -  up msg 2\n]",
             "4 close []"]),

        ["data holding LFs, digits and things that look like frames"] = (
            Frame(7, "syslog", "<11>stack trace\n  at 12 syslog 5 x\n  at B()\n") + Frame(8, "syslog", "9 close 0\n"),
            ["7 syslog [<11>stack trace\n  at 12 syslog 5 x\n  at B()\n]", "8 syslog [9 close 0\n]"]),

        ["non-ASCII UTF-8 counted in bytes"] = (
            Frame(1, "syslog", "<14>héllo wörld ✓ 日本語 🚀") + Frame(2, "syslog", "Ωmega"),
            ["1 syslog [<14>héllo wörld ✓ 日本語 🚀]", "2 syslog [Ωmega]"]),

        ["largest transaction number, unknown command, empty syslog"] = (
            Frame(999999999, "syslog", "x") + Frame(5, "starttls") + Frame(6, "syslog"),
            ["999999999 syslog [x]", "5 starttls []", "6 syslog []"]),

        ["server-side commands parse too"] = (
            Frame(3, "rsp", "200 OK") + Frame(0, "serverclose"),
            ["3 rsp [200 OK]", "0 serverclose []"]),
    };

    public static TheoryData<string> SampleNames() => new(Samples.Keys);

    [Theory]
    [MemberData(nameof(SampleNames))]
    public void Every_sample_stream_is_framed_the_same_whichever_offsets_TCP_splits_it_at(string sample)
    {
        var (stream, expected) = Samples[sample];
        AssertSameAtEverySplit(B(stream), Max, expected);
    }

    [Fact]
    public void All_samples_concatenated_are_framed_the_same_split_in_three_anywhere()
    {
        var data = B(string.Concat(Samples.Values.Select(s => s.Stream)));
        var expected = Samples.Values.SelectMany(s => s.Expected).ToList();
        for (var i = 0; i <= data.Length; i += 5)
            for (var j = i; j <= data.Length; j += 13)
                Assert.Equal(expected, Feed(Max, [data[..i], data[i..j], data[j..]]).Frames);
    }

    [Fact]
    public void An_incomplete_frame_waits_for_more_and_consumes_nothing()
    {
        foreach (var partial in new[] { "1", "12 ", "12 sys", "12 syslog ", "12 syslog 5", "12 syslog 5 ", "12 syslog 5 abcde" })
        {
            var (frames, left, _) = Feed(Max, [B(partial)]);
            Assert.Empty(frames);
            Assert.Equal(partial.Length, left);
        }
    }

    // ---------------------------------------------------------------- 2. oversize data

    [Fact]
    public void Oversize_data_is_cut_at_max_marked_truncated_and_its_remainder_skipped_even_when_split()
    {
        const int max = 8;
        var remainder = "\n2 syslog 3 abc\n3 close 0\n"; // looks like frames; none may leak out
        var stream = B(Frame(1, "syslog", "AAAAAAAAAAAA" + remainder) + Frame(4, "syslog", "next") + Frame(5, "syslog", new string('Z', 9)));
        AssertSameAtEverySplit(stream, max, ["1 syslog [AAAAAAAA] truncated", "4 syslog [next]", "5 syslog [ZZZZZZZZ] truncated"]);
    }

    [Fact]
    public void Data_of_exactly_max_bytes_is_not_truncated()
    {
        AssertSameAtEverySplit(B(Frame(1, "syslog", "12345678")), 8, ["1 syslog [12345678]"]);
    }

    [Fact]
    public void An_oversize_frame_without_its_trailer_is_cut_then_reported_as_broken_with_its_txnr()
    {
        var stream = B("7 syslog 12 AAAAAAAAAAAAX" + Frame(8, "syslog", "never"));
        AssertSameAtEverySplit(stream, 8, ["7 syslog [AAAAAAAA] truncated", "error MissingTrailer txnr=7"], broken: true);
    }

    // ---------------------------------------------------------------- 3. framing errors

    public static TheoryData<string, string> Broken() => new()
    {
        { "abc open 0\n", "error BadTxnr txnr=-1" },
        { " 1 open 0\n", "error BadTxnr txnr=-1" },
        { "1234567890 open 0\n", "error BadTxnr txnr=-1" },
        { "12-open 0\n", "error BadTxnr txnr=-1" },
        { "1  open 0\n", "error BadCommand txnr=1" },
        { "1 op3n 0\n", "error BadCommand txnr=1" },
        { "1 " + new string('x', 33) + " 0\n", "error BadCommand txnr=1" },
        { "2 syslog x\n", "error BadDataLength txnr=2" },
        { "2 syslog 1234567890 x\n", "error BadDataLength txnr=2" },
        { "3 close 0 \n", "error BadDataLength txnr=3" },
        { "3 close 0\r\n", "error BadDataLength txnr=3" },
        { "4 syslog 3\nabc\n", "error BadDataLength txnr=4" },
        { "5 syslog 3 abcX\n", "error MissingTrailer txnr=5" },
        { "5 syslog 2 abc\n", "error MissingTrailer txnr=5" },
    };

    [Theory]
    [MemberData(nameof(Broken))]
    public void A_malformed_frame_is_reported_once_with_what_was_read_and_nothing_after_it(string stream, string expected)
    {
        var data = B(Frame(1, "syslog", "good before") + stream + Frame(9, "syslog", "after the break"));
        var (frames, _, _) = Feed(Max, [data]);
        Assert.Equal(["1 syslog [good before]", expected], frames);
        // Split anywhere inside the bad frame: the same error, never a frame after it.
        for (var i = 0; i <= data.Length; i++)
            Assert.Equal(["1 syslog [good before]", expected], Feed(Max, [data[..i], data[i..]]).Frames);
    }

    [Fact]
    public void A_stray_LF_between_frames_breaks_the_stream_as_in_librelp()
    {
        var (frames, _, _) = Feed(Max, [B(Frame(1, "close") + "\n" + Frame(2, "close"))]);
        Assert.Equal(["1 close []", "error BadTxnr txnr=-1"], frames);
    }

    // ---------------------------------------------------------------- 4. bounded fuzz

    [Fact]
    public void Random_and_mutated_streams_never_throw_hang_or_return_more_than_max()
    {
        var rng = new Random(20261203);
        var seeds = Samples.Values.Select(s => B(s.Stream)).ToArray();
        for (var run = 0; run < 3000; run++)
        {
            byte[] data;
            if (run % 3 == 0)
            {
                data = new byte[rng.Next(0, 200)];
                rng.NextBytes(data);
            }
            else
            {
                data = (byte[])seeds[rng.Next(seeds.Length)].Clone();
                for (var m = rng.Next(1, 6); m > 0 && data.Length > 0; m--)
                    data[rng.Next(data.Length)] = (byte)"0123456789 \nabcz\r\0"[rng.Next(18)];
            }
            var pieces = new List<byte[]>();
            for (var at = 0; at < data.Length;)
            {
                var n = Math.Min(rng.Next(1, 40), data.Length - at);
                pieces.Add(data[at..(at + n)]);
                at += n;
            }
            var (_, left, failed) = Feed(64, pieces);
            // Until the stream breaks, what is held back is one partial frame: a header (at most 53 bytes),
            // at most max data bytes and the trailer. More would mean memory grows with what DATALEN claims.
            if (!failed) Assert.True(left <= 53 + 64 + 1, $"run {run}: holds {left} bytes of a partial frame");
        }
    }
}

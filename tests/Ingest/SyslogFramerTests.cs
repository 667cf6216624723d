using System.Buffers;
using System.Text;
using Redoubt.Ingest.Syslog;

namespace Redoubt.Tests.Ingest;

public sealed class SyslogFramerTests
{
    private const int Max = 1024;

    // ---------------------------------------------------------------- helpers

    /// <summary>A chained segment so the framer sees real multi-segment sequences, as from a Pipe.</summary>
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

    /// <summary>Octet-counted frame: "MSG-LEN SP MSG" with the UTF-8 byte length.</summary>
    private static string Oc(string msg) => $"{Encoding.UTF8.GetByteCount(msg)} {msg}";

    private static (string Text, bool Truncated) F(string text, bool truncated = false) => (text, truncated);

    /// <summary>
    /// Feeds <paramref name="pieces"/> like a PipeReader loop: append, drain frames with isCompleted=false,
    /// keep the unconsumed remainder (its segments preserved), and finally drain with isCompleted=true.
    /// Asserts progress on every returned frame and that everything is consumed at the end.
    /// </summary>
    private static List<(string Text, bool Truncated)> Feed(int max, IEnumerable<byte[]> pieces)
    {
        var framer = new SyslogFramer(max);
        var held = new List<ReadOnlyMemory<byte>>();
        var frames = new List<(string, bool)>();
        foreach (var piece in pieces)
        {
            if (piece.Length > 0) held.Add(piece);
            Drain(framer, held, isCompleted: false, frames);
        }
        Drain(framer, held, isCompleted: true, frames);
        Assert.Empty(held); // after the peer closed, nothing may be left unconsumed
        return frames;
    }

    private static void Drain(SyslogFramer framer, List<ReadOnlyMemory<byte>> held, bool isCompleted, List<(string, bool)> frames)
    {
        var buffer = Build(held);
        var initial = buffer.Length;
        var calls = 0;
        while (true)
        {
            var before = buffer.Length;
            var got = framer.TryReadFrame(ref buffer, isCompleted, out var frame, out var truncated);
            Assert.True(buffer.Length <= before, "framer must never grow the buffer");
            if (!got) break;
            Assert.True(buffer.Length < before, "a returned frame must consume at least one byte");
            Assert.InRange(frame.Length, 1, framer.MaxMessageBytes);
            frames.Add((Encoding.UTF8.GetString(frame.ToArray()), truncated));
            Assert.True(++calls <= initial, "more frames than bytes: framer is looping");
        }
        if (isCompleted) Assert.True(buffer.IsEmpty, "with isCompleted the framer must consume everything");
        held.Clear();
        foreach (var memory in buffer)
            if (!memory.IsEmpty) held.Add(memory);
    }

    private static IEnumerable<byte[]> OneByteAtATime(byte[] data) => data.Select(b => new[] { b });

    /// <summary>Frames the stream whole, split at every offset into two reads, and one byte at a time.</summary>
    private static void AssertSameAtEverySplit(byte[] data, int max, IReadOnlyList<(string Text, bool Truncated)> expected)
    {
        Assert.Equal(expected, Feed(max, [data]));
        for (var i = 0; i <= data.Length; i++)
        {
            var frames = Feed(max, [data[..i], data[i..]]);
            Assert.True(expected.SequenceEqual(frames),
                $"split at offset {i}: expected [{string.Join(" | ", expected)}] but got [{string.Join(" | ", frames)}]");
        }
        Assert.Equal(expected, Feed(max, OneByteAtATime(data)));
    }

    // ---------------------------------------------------------------- 1. split invariance

    private static readonly Dictionary<string, (string Stream, (string, bool)[] Expected)> Samples = new()
    {
        ["mixed LF and octet-counted"] = (
            "<13>lf one\n" + Oc("<14>counted two") + "<15>lf three\n" + Oc("<16>counted four") + Oc("<17>counted five"),
            [F("<13>lf one"), F("<14>counted two"), F("<15>lf three"), F("<16>counted four"), F("<17>counted five")]),

        ["octet-counted with trailing LF counted inside (rsyslog/syslog-ng)"] = (
            Oc("<13>1 2024-05-01T10:00:00.000Z host app 1234 ID47 - hello world\n")
                + Oc("<14>1 2024-05-01T10:00:01.000Z host app 1234 ID47 - second\n")
                + Oc("<15>last\n"),
            [F("<13>1 2024-05-01T10:00:00.000Z host app 1234 ID47 - hello world"),
             F("<14>1 2024-05-01T10:00:01.000Z host app 1234 ID47 - second"),
             F("<15>last")]),

        ["octet-counted followed by an uncounted LF"] = (
            Oc("<13>a") + "\n" + Oc("<13>b") + "\n" + Oc("<13>c\r\n") + "\n",
            [F("<13>a"), F("<13>b"), F("<13>c")]),

        ["CRLF lines"] = (
            "<13>one\r\n<14>two\r\n\r\n<15>three\r\n",
            [F("<13>one"), F("<14>two"), F("<15>three")]),

        ["lines that start with digits but are not octet counting"] = (
            "2024 was a year\n12 monkeys <not pri\n" + Oc("<13>real") + "7\n42 \n3<13>no space\n2024-05-01 <13>date first\n",
            [F("2024 was a year"), F("12 monkeys <not pri"), F("<13>real"), F("7"), F("42 "), F("3<13>no space"),
             F("2024-05-01 <13>date first")]),

        ["empty lines between frames"] = (
            "\n\n<13>a\n\n\n" + Oc("<13>b") + "\n\n\r\n<13>c\n\n\r\n\n",
            [F("<13>a"), F("<13>b"), F("<13>c")]),

        ["non-ASCII UTF-8"] = (
            "<13>héllo wörld ✓\n" + Oc("<14>日本語 メッセージ 🚀") + "<15>ünïcödé\r\n" + Oc("<16>Ωmega\n"),
            [F("<13>héllo wörld ✓"), F("<14>日本語 メッセージ 🚀"), F("<15>ünïcödé"), F("<16>Ωmega")]),

        ["last line without LF before close"] = (
            "<13>a\n" + Oc("<14>b") + "<15>tail without lf",
            [F("<13>a"), F("<14>b"), F("<15>tail without lf")]),
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
    public void All_samples_concatenated_are_framed_the_same_one_byte_at_a_time_and_split_in_three()
    {
        // Samples ending in a line without LF are excluded: it would merge with the next sample.
        var parts = Samples.Where(s => !s.Key.StartsWith("last line")).Select(s => s.Value).ToList();
        var data = B(string.Concat(parts.Select(p => p.Stream)));
        var expected = parts.SelectMany(p => p.Expected).ToList();

        Assert.Equal(expected, Feed(Max, OneByteAtATime(data)));
        for (var i = 0; i <= data.Length; i += 7)
            for (var j = i; j <= data.Length; j += 11)
                Assert.Equal(expected, Feed(Max, [data[..i], data[i..j], data[j..]]));
    }

    // ---------------------------------------------------------------- 2. oversize frames

    [Fact]
    public void Oversize_LF_line_is_cut_at_max_marked_truncated_and_the_next_frame_is_intact()
    {
        const int max = 16;
        var stream = B("<13>" + new string('A', 30) + "\n<14>next\n" + Oc("<15>counted") + "<16>" + new string('Z', 40) + "\r\n<17>after\n");
        AssertSameAtEverySplit(stream, max,
        [
            F("<13>" + new string('A', 12), truncated: true),
            F("<14>next"),
            F("<15>counted"),
            F("<16>" + new string('Z', 12), truncated: true),
            F("<17>after"),
        ]);
    }

    [Fact]
    public void Oversize_octet_counted_frame_is_cut_at_max_and_its_remainder_skipped_even_when_split_across_reads()
    {
        const int max = 16;
        // The skipped remainder contains things that look like frames; none may leak out.
        var body = "<13>" + new string('B', 20) + "\n<14>fake lf\n" + Oc("<15>fake counted") + "\n";
        var stream = B(Oc(body) + Oc("<14>next") + "<15>after\n" + Oc("<16>" + new string('C', 30)) + "\n<17>end\n");
        AssertSameAtEverySplit(stream, max,
        [
            F("<13>" + new string('B', 12), truncated: true),
            F("<14>next"),
            F("<15>after"),
            F("<16>" + new string('C', 12), truncated: true),
            F("<17>end"),
        ]);
    }

    [Fact]
    public void Frames_of_exactly_max_bytes_are_not_truncated()
    {
        const int max = 16;
        var exact = "<13>" + new string('E', 12);
        AssertSameAtEverySplit(B(exact + "\n" + Oc(exact) + "<14>next\n"), max,
            [F(exact), F(exact), F("<14>next")]);
    }

    // A message of exactly MaxMessageBytes followed by its CR or counted LF trailer lost nothing: the
    // trailer is trimmed before the size check (a bug once flagged these truncated).
    [Fact]
    public void Frames_of_exactly_max_bytes_plus_their_CR_or_counted_LF_trailer_are_not_truncated()
    {
        const int max = 16;
        var exact = "<13>" + new string('E', 12);
        AssertSameAtEverySplit(B(exact + "\r\n" + Oc(exact + "\n") + "<14>next\n"), max,
            [F(exact), F(exact), F("<14>next")]);
    }

    // ---------------------------------------------------------------- 3. peer close

    [Fact]
    public void Peer_closing_mid_octet_counted_frame_returns_the_partial_body_marked_truncated()
    {
        AssertSameAtEverySplit(B("<13>first\n50 <14>only part of it"), Max,
            [F("<13>first"), F("<14>only part of it", truncated: true)]);
        AssertSameAtEverySplit(B(Oc("<13>first") + "12 <"), Max,
            [F("<13>first"), F("<", truncated: true)]);
    }

    [Fact]
    public void Peer_closing_after_a_last_line_without_LF_returns_it_not_truncated()
    {
        AssertSameAtEverySplit(B("<13>a\n<14>tail"), Max, [F("<13>a"), F("<14>tail")]);
        AssertSameAtEverySplit(B(Oc("<13>a") + "<14>tail\r"), Max, [F("<13>a"), F("<14>tail")]);
        // Digits alone (or digits and a space) at close can't be octet counting: they are a line.
        AssertSameAtEverySplit(B("<13>a\n123"), Max, [F("<13>a"), F("123")]);
        AssertSameAtEverySplit(B("<13>a\n123 "), Max, [F("<13>a"), F("123 ")]);
    }

    [Fact]
    public void Peer_closing_on_an_empty_or_separator_only_buffer_yields_nothing()
    {
        Assert.Empty(Feed(Max, []));
        Assert.Empty(Feed(Max, [B("\n\r\n\0\n")]));
    }

    // ---------------------------------------------------------------- 4. hostile lengths

    [Fact]
    public void Huge_digit_run_or_zero_length_does_not_crash_or_hang_and_the_stream_continues()
    {
        AssertSameAtEverySplit(B("99999999999999 <13>huge\n<14>next\n"), Max,
            [F("99999999999999 <13>huge"), F("<14>next")]);
        AssertSameAtEverySplit(B("9999999999 <13>ten digits\n<14>next\n"), Max,
            [F("9999999999 <13>ten digits"), F("<14>next")]);
        AssertSameAtEverySplit(B("0 <13>zero\n<14>next\n" + Oc("<15>counted")), Max,
            [F("0 <13>zero"), F("<14>next"), F("<15>counted")]);
        AssertSameAtEverySplit(B("00000 <13>zeros\n<14>next\n"), Max,
            [F("00000 <13>zeros"), F("<14>next")]);

        var digits = B(new string('9', 5000) + "\n<14>next\n");
        Assert.Equal([F(new string('9', 16), truncated: true), F("<14>next")], Feed(16, [digits]));
        Assert.Equal([F(new string('9', 16), truncated: true), F("<14>next")], Feed(16, OneByteAtATime(digits)));
    }

    [Fact]
    public void A_nine_digit_count_is_honoured_cut_at_max_and_the_rest_of_the_stream_is_its_body()
    {
        const int max = 32;
        var stream = B("999999999 <13>" + new string('x', 100) + "\n<14>swallowed\n");
        AssertSameAtEverySplit(stream, max, [F("<13>" + new string('x', 28), truncated: true)]);
    }

    // ---------------------------------------------------------------- 5. fuzz

    [Fact]
    public void Fuzz_random_streams_with_random_splits_never_throw_always_terminate_and_frame_like_the_whole_stream()
    {
        var rng = new Random(20240501);
        string[] tokens = ["\n", "\r\n", "\r", "\0", " ", "<", "<13>", "12 <", "5 <13>x", "3 <1", "0 <", "99999999999 <", "abc", "2024 ", "\n\n"];
        for (var n = 0; n < 2000; n++)
        {
            var bytes = new List<byte>();
            var target = rng.Next(0, 400);
            while (bytes.Count < target)
            {
                switch (rng.Next(4))
                {
                    case 0: bytes.Add((byte)rng.Next(256)); break;
                    case 1: bytes.Add((byte)('0' + rng.Next(10))); break;
                    case 2: bytes.AddRange(B(tokens[rng.Next(tokens.Length)])); break;
                    default: bytes.AddRange(B(Oc("<" + rng.Next(192) + ">" + new string('m', rng.Next(0, 40)) + (rng.Next(2) == 0 ? "\n" : "")))); break;
                }
            }
            var data = bytes.ToArray();
            var max = rng.Next(1, 64);

            var cuts = Enumerable.Range(0, rng.Next(0, 12)).Select(_ => rng.Next(0, data.Length + 1)).Order().ToList();
            var pieces = new List<byte[]>();
            var prev = 0;
            foreach (var cut in cuts) { pieces.Add(data[prev..cut]); prev = cut; }
            pieces.Add(data[prev..]);

            List<(string, bool)> whole, split;
            try
            {
                whole = Feed(max, [data]);   // Feed bounds every loop and asserts progress / full consumption
                split = Feed(max, pieces);
            }
            catch (Exception e)
            {
                throw new Xunit.Sdk.XunitException(
                    $"stream #{n} (max {max}, cuts {string.Join(",", cuts)}): {Convert.ToHexString(data)}\n{e}");
            }
            Assert.True(whole.SequenceEqual(split),
                $"stream #{n} (max {max}, cuts {string.Join(",", cuts)}) framed differently when split: {Convert.ToHexString(data)}");
        }
    }
}

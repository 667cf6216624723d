using Redoubt.Ingest.Forward;
using Redoubt.Tests.Support;

namespace Redoubt.Tests.Ingest.Forward;

public sealed class ForwardFramerTests
{
    public static TheoryData<string> Samples() => new(ForwardSamples.All().Select(s => s.Name));

    private static byte[] Sample(string name) => ForwardSamples.All().Single(s => s.Name == name).Bytes;

    [Theory]
    [MemberData(nameof(Samples))]
    public void A_message_split_at_every_byte_is_found_whole_once_its_last_byte_arrives(string name)
    {
        var bytes = Sample(name);
        for (var at = 1; at < bytes.Length; at++)
        {
            var framer = new ForwardFramer(1 << 20);
            Assert.Equal(FrameStatus.NeedMore, framer.TryReadFrame(Sequences.Of(bytes[..at]), out _));
            Assert.Equal(FrameStatus.Frame, framer.TryReadFrame(Sequences.Split(bytes, at), out var length));
            Assert.Equal(bytes.Length, length);
        }
    }

    [Theory]
    [MemberData(nameof(Samples))]
    public void A_message_arriving_one_byte_per_read_is_found_at_its_last_byte(string name)
    {
        var bytes = Sample(name);
        var framer = new ForwardFramer(1 << 20);
        var parts = new List<byte[]>();
        for (var i = 0; i < bytes.Length; i++)
        {
            parts.Add([bytes[i]]);
            var status = framer.TryReadFrame(Sequences.Of([.. parts]), out var length);
            if (i < bytes.Length - 1) Assert.Equal(FrameStatus.NeedMore, status);
            else
            {
                Assert.Equal(FrameStatus.Frame, status);
                Assert.Equal(bytes.Length, length);
            }
        }
    }

    [Fact]
    public void A_stream_of_every_sample_split_at_every_byte_yields_the_same_messages()
    {
        var samples = ForwardSamples.All().Select(s => s.Bytes).ToList();
        var stream = samples.SelectMany(s => s).ToArray();
        var expected = samples.Select(s => (long)s.Length).ToList();
        for (var at = 0; at <= stream.Length; at++)
        {
            var framer = new ForwardFramer(1 << 20);
            var lengths = new List<long>();
            // First read: only the bytes before the split; the second read brings the rest.
            var first = Sequences.Of(stream[..at]);
            TakeAll(framer, ref first, lengths);
            var consumed = (int)lengths.Sum();
            var rest = Sequences.Split(stream[consumed..], at - consumed);
            TakeAll(framer, ref rest, lengths);
            Assert.Equal(expected, lengths);
        }
    }

    private static void TakeAll(ForwardFramer framer, ref System.Buffers.ReadOnlySequence<byte> buffer, List<long> lengths)
    {
        while (framer.TryReadFrame(buffer, out var length) == FrameStatus.Frame)
        {
            lengths.Add(length);
            buffer = buffer.Slice(length);
        }
    }

    [Fact]
    public void A_header_announcing_more_than_the_limit_is_refused_before_the_bytes_arrive()
    {
        var framer = new ForwardFramer(1 << 20);
        // [tag, bin32 of 100 MB…]: only 12 bytes have come.
        byte[] start = [0x92, 0xa3, (byte)'t', (byte)'a', (byte)'g', 0xc6, 0x06, 0x00, 0x00, 0x00, 0x01, 0x02];
        Assert.Equal(FrameStatus.TooLarge, framer.TryReadFrame(Sequences.Of(start), out _));
    }

    [Fact]
    public void An_array_claiming_more_elements_than_the_limit_has_bytes_is_refused()
    {
        var framer = new ForwardFramer(1 << 20);
        Assert.Equal(FrameStatus.TooLarge, framer.TryReadFrame(Sequences.Of([0xdd, 0xff, 0xff, 0xff, 0xff]), out _));
        Assert.Equal(FrameStatus.TooLarge, framer.TryReadFrame(Sequences.Of([0xdf, 0x00, 0x10, 0x00, 0x00]), out _)); // map32: 2^20 pairs
    }

    [Fact]
    public void A_message_of_exactly_the_limit_is_accepted_and_one_byte_more_is_not()
    {
        var bytes = Sample("big-string");
        Assert.Equal(FrameStatus.Frame, new ForwardFramer(bytes.Length).TryReadFrame(Sequences.Of(bytes), out var length));
        Assert.Equal(bytes.Length, length);
        Assert.Equal(FrameStatus.TooLarge, new ForwardFramer(bytes.Length - 1).TryReadFrame(Sequences.Of(bytes), out _));
    }

    [Fact]
    public void The_never_used_byte_c1_is_not_messagepack()
    {
        Assert.Equal(FrameStatus.Invalid, new ForwardFramer(1024).TryReadFrame(Sequences.Of([0x92, 0xc1]), out _));
    }

    [Fact]
    public void After_a_frame_the_next_one_starts_fresh()
    {
        var framer = new ForwardFramer(1 << 20);
        var a = Sample("message");
        var b = Sample("forward");
        var both = Sequences.Of(a, b[..10]);
        Assert.Equal(FrameStatus.Frame, framer.TryReadFrame(both, out var la));
        Assert.Equal(a.Length, la);
        Assert.Equal(FrameStatus.NeedMore, framer.TryReadFrame(both.Slice(la), out _));
        Assert.Equal(FrameStatus.Frame, framer.TryReadFrame(Sequences.Of(b), out var lb));
        Assert.Equal(b.Length, lb);
    }
}

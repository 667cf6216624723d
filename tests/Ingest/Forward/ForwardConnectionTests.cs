using System.Buffers;
using System.Net;
using System.Text;
using MessagePack;
using Redoubt.Ingest.Forward;
using Redoubt.Storage.Events;
using Redoubt.Tests.Support;

namespace Redoubt.Tests.Ingest.Forward;

/// <summary>The per-connection protocol state (handshake, framing, decoding) fed bytes the way TCP delivers them.</summary>
public sealed class ForwardConnectionTests
{
    private static readonly ManualClock Clock = new(new DateTimeOffset(2026, 12, 1, 10, 0, 0, TimeSpan.Zero));

    private static ForwardListenerSettings Settings(string? sharedKey = null, int maxFrame = 1 << 20) => new(
        "forward", new IPEndPoint(IPAddress.Loopback, 24224), sharedKey is null ? null : Encoding.UTF8.GetBytes(sharedKey),
        "redoubt-server", 16, TimeSpan.FromMinutes(1), TimeSpan.FromSeconds(10), maxFrame, 1 << 22, 1 << 20, TimeSpan.FromSeconds(1));

    private static ForwardListener.Connection Connect(string? key = null, int maxFrame = 1 << 20) => new(Settings(key, maxFrame), Clock, "10.9.8.7:5000");

    /// <summary>Feeds the bytes cut at <paramref name="splits"/> as successive reads, keeping unconsumed bytes as a pipe does.</summary>
    private static List<ForwardListener.Step> Feed(ForwardListener.Connection c, byte[] bytes, params int[] splits)
    {
        var steps = new List<ForwardListener.Step>();
        var kept = Array.Empty<byte>();
        var cuts = splits.Append(bytes.Length).ToArray();
        var from = 0;
        for (var i = 0; i < cuts.Length; i++)
        {
            var buffer = Sequences.Of(kept, bytes[from..cuts[i]]);
            steps.Add(c.Take(ref buffer, completed: i == cuts.Length - 1));
            kept = buffer.ToArray();
            from = cuts[i];
        }
        return steps;
    }

    [Fact]
    public void A_conversation_split_at_every_byte_gives_the_same_events_and_acks()
    {
        var stream = ForwardSamples.All().Where(s => s.Name != "heartbeat").SelectMany(s => s.Bytes).ToArray();
        var whole = Feed(Connect(), stream);
        var expectedEvents = whole.SelectMany(s => s.Frames).SelectMany(f => f.Decoded.Events).Select(e => e.Json ?? e.ParseError).ToList();
        var expectedAcks = whole.SelectMany(s => s.Frames).Count(f => f.Decoded.Chunk is not null);
        Assert.True(expectedEvents.Count >= 10);
        for (var at = 1; at < stream.Length; at++)
        {
            var steps = Feed(Connect(), stream, at);
            Assert.Equal(expectedEvents, steps.SelectMany(s => s.Frames).SelectMany(f => f.Decoded.Events).Select(e => e.Json ?? e.ParseError));
            Assert.Equal(expectedAcks, steps.SelectMany(s => s.Frames).Count(f => f.Decoded.Chunk is not null));
            Assert.All(steps, s => Assert.Null(s.Malformed));
        }
    }

    [Fact]
    public void The_handshake_accepts_the_right_key_answers_with_a_pong_the_client_can_verify_and_then_takes_events()
    {
        var c = Connect("s3cret");
        Assert.False(c.Established);
        var nonce = Nonce(c.Handshake!.Helo());
        var salt = "0123456789abcdef"u8.ToArray();
        var ping = ForwardFrames.Ping("client-a", nonce, "s3cret", salt);
        var message = ForwardFrames.Message("after.auth", 1767225600, """{"message":"hi"}""", "k1");
        byte[] both = [.. ping, .. message];
        for (var at = 1; at < both.Length; at++)
        {
            c = Connect("s3cret");
            nonce = Nonce(c.Handshake!.Helo());
            ping = ForwardFrames.Ping("client-a", nonce, "s3cret", salt);
            both = [.. ping, .. message];
            var steps = Feed(c, both, at);
            var pong = steps.Select(s => s.Pong).Single(p => p is not null)!;
            var r = new MessagePackReader(pong);
            Assert.Equal(5, r.ReadArrayHeader());
            Assert.Equal("PONG", r.ReadString());
            Assert.True(r.ReadBoolean());
            Assert.Equal("", r.ReadString());
            Assert.Equal("redoubt-server", r.ReadString());
            Assert.Equal(ForwardFrames.Sha512Hex(salt, "redoubt-server"u8.ToArray(), nonce, "s3cret"u8.ToArray()), r.ReadString());
            Assert.True(c.Established);
            Assert.Equal("hi", steps.SelectMany(s => s.Frames).SelectMany(f => f.Decoded.Events).Single().Message);
        }
    }

    [Fact]
    public void A_wrong_key_gets_a_failed_pong_with_the_reason_and_nothing_after_it_is_read()
    {
        var c = Connect("s3cret");
        var nonce = Nonce(c.Handshake!.Helo());
        byte[] bytes = [.. ForwardFrames.Ping("client-a", nonce, "guess", [1, 2, 3]), .. ForwardFrames.Message("t", 1, "{\"message\":\"sneaky\"}")];
        var step = Assert.Single(Feed(c, bytes));
        Assert.Contains("shared_key mismatch", step.AuthFailure);
        Assert.Empty(step.Frames);
        var r = new MessagePackReader(step.Pong);
        r.ReadArrayHeader();
        Assert.Equal("PONG", r.ReadString());
        Assert.False(r.ReadBoolean());
        Assert.Equal("shared_key mismatch", r.ReadString());
    }

    [Fact]
    public void Events_before_the_handshake_are_refused_when_a_key_is_set()
    {
        var c = Connect("s3cret");
        var step = Assert.Single(Feed(c, ForwardFrames.Message("t", 1, "{\"message\":\"no ping\"}", "c")));
        Assert.Contains("invalid ping message", step.AuthFailure);
        Assert.Empty(step.Frames);
        Assert.False(c.Established);
    }

    [Fact]
    public void Before_the_handshake_a_message_larger_than_a_ping_is_refused_from_its_header()
    {
        // ["PING", str32 of 512 KiB…: under MaxFrameBytes (1 MiB here), far over what a PING can be.
        byte[] partial = [0x96, 0xa4, (byte)'P', (byte)'I', (byte)'N', (byte)'G', 0xdb, 0x00, 0x08, 0x00, 0x00, .. new byte[1000]];
        var c = Connect("s3cret");
        var step = Feed(c, partial, 9).First(s => s.AuthFailure is not null);
        Assert.Contains($"larger than {ForwardHandshake.MaxPingBytes} bytes", step.AuthFailure);
        Assert.Empty(step.Frames);
        Assert.False(c.Established);

        // Many small objects add up the same way: refused once past the limit, not buffered on.
        var c2 = Connect("s3cret");
        byte[] many = [0xdd, 0x00, 0x01, 0x00, 0x00, .. Enumerable.Repeat((byte)0xc0, ForwardHandshake.MaxPingBytes + 10)];
        Assert.Contains("larger than", Feed(c2, many).Single().AuthFailure);
    }

    [Fact]
    public void After_the_handshake_messages_up_to_max_frame_bytes_are_taken()
    {
        var c = Connect("s3cret");
        var nonce = Nonce(c.Handshake!.Helo());
        var big = ForwardFrames.Message("big", 1767225600, $$"""{"message":"{{new string('x', 100_000)}}"}""", "k");
        var steps = Feed(c, [.. ForwardFrames.Ping("client-a", nonce, "s3cret", [1, 2, 3]), .. big]);
        Assert.All(steps, s => Assert.Null(s.AuthFailure));
        Assert.True(c.Established);
        Assert.Equal(100_000, steps.SelectMany(s => s.Frames).SelectMany(f => f.Decoded.Events).Single().Message!.Length);
    }

    [Fact]
    public void Bytes_that_are_not_messagepack_are_kept_raw_marked_and_end_the_connection_after_the_good_messages()
    {
        var good = ForwardFrames.Message("t", 1767225600, "{\"message\":\"good\"}", "ok-1");
        var garbage = "GET / HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray();
        var step = Assert.Single(Feed(Connect(), [.. good, .. garbage]));
        Assert.Equal("a forward message is an array; this one starts with a number", step.Malformed);
        Assert.Equal(2, step.Frames.Count);
        Assert.Equal("good", step.Frames[0].Decoded.Events.Single().Message);
        var raw = step.Frames[1].Decoded.Events.Single();
        Assert.Equal(EventFlags.ParseError, raw.Flags);
        Assert.Equal((byte)'G', raw.Raw![0]);
        Assert.Null(step.Frames[1].Decoded.Chunk);
    }

    [Fact]
    public void An_oversize_message_is_refused_from_its_header_and_ends_the_connection()
    {
        var step = Assert.Single(Feed(Connect(maxFrame: 4096), [0x93, 0xa1, (byte)'t', 0xc6, 0x00, 0x10, 0x00, 0x00]));
        Assert.Contains("larger than 4096 bytes", step.Malformed);
        Assert.Contains("larger than 4096 bytes", step.Frames.Single().Decoded.Events.Single().ParseError);
    }

    [Fact]
    public void A_message_cut_by_the_peer_closing_is_kept_raw_and_marked_truncated()
    {
        var message = ForwardFrames.Message("t", 1, "{\"message\":\"cut\"}", "c");
        var step = Assert.Single(Feed(Connect(), message[..20]));
        var e = step.Frames.Single().Decoded.Events.Single();
        Assert.Equal(EventFlags.ParseError | EventFlags.Truncated, e.Flags);
        Assert.Equal(message[..20], e.Raw);
        Assert.Null(step.Malformed);
    }

    [Fact]
    public void The_ack_echoes_the_chunk_exactly()
    {
        var d = new ForwardDecoder(1 << 20, 1 << 20, Clock).Decode(new ReadOnlySequence<byte>(ForwardFrames.Message("t", 1, "{}", "Qz7DssCp+fLchbzmGyOizA==")), "f", null);
        var ack = new ArrayBufferWriter<byte>();
        ForwardListener.WriteAck(ack, d.Chunk!);
        Assert.Equal("Qz7DssCp+fLchbzmGyOizA==", ForwardClient.AckOf(ack.WrittenSpan.ToArray()));
    }

    private static byte[] Nonce(byte[] helo)
    {
        var r = new MessagePackReader(helo);
        Assert.Equal(2, r.ReadArrayHeader());
        Assert.Equal("HELO", r.ReadString());
        var n = r.ReadMapHeader();
        byte[]? nonce = null;
        for (var i = 0; i < n; i++)
        {
            var key = r.ReadString();
            if (key == "nonce") nonce = r.ReadBytes()!.Value.ToArray();
            else if (key == "auth") Assert.Equal("", r.ReadString()); // no username/password offered
            else if (key == "keepalive") Assert.True(r.ReadBoolean());
            else r.Skip();
        }
        Assert.Equal(16, nonce!.Length);
        return nonce;
    }
}

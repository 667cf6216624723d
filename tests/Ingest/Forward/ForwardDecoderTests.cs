using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using System.Text.Json;
using MessagePack;
using Redoubt.Ingest.Forward;
using Redoubt.Ingest.Http;
using Redoubt.Storage.Events;
using Redoubt.Tests.Support;

namespace Redoubt.Tests.Ingest.Forward;

public sealed class ForwardDecoderTests
{
    private static readonly ManualClock Clock = new(new DateTimeOffset(2026, 12, 1, 10, 0, 0, TimeSpan.Zero));

    private static DecodedFrame Decode(byte[] frame, int maxDecompressed = 1 << 20, int maxRecord = 1 << 20) =>
        new ForwardDecoder(maxDecompressed, maxRecord, Clock).Decode(new ReadOnlySequence<byte>(frame), "forward", "10.1.2.3:40000");

    private static JsonElement Json(EventRecord e) => JsonDocument.Parse(e.Json!).RootElement;

    [Fact]
    public void Message_mode_keeps_the_record_as_json_and_lifts_host_message_and_the_event_time()
    {
        var d = Decode(ForwardFrames.Message("app.auth", 1767225600, ForwardSamples.Records[0], chunk: "abc"));
        Assert.Null(d.Error);
        Assert.Equal("message", d.Mode);
        var e = Assert.Single(d.Events);
        Assert.True(JsonElement.DeepEquals(JsonDocument.Parse(ForwardSamples.Records[0]).RootElement, Json(e)));
        Assert.Equal("web1", e.Host);
        Assert.Equal("Accepted password for alice from 10.0.0.5 port 51000 ssh2", e.Message);
        Assert.Equal("app.auth", e.App); // no app field: the tag names the stream
        Assert.Equal("app.auth", e.Fields!["tag"]);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1767225600).ToUnixTimeMilliseconds(), e.TimeMs);
        Assert.Equal(Transport.Forward, e.Transport);
        Assert.Equal("10.1.2.3:40000", e.Sender);
        Assert.Equal(EventFlags.None, e.Flags);
        Assert.Equal("abc", MessagePackSerializer.Deserialize<string>(d.Chunk));
    }

    [Fact]
    public void Forward_mode_gives_one_event_per_entry_with_integer_seconds()
    {
        var d = Decode(ForwardFrames.Forward("app.web", ForwardSamples.Records, 1767225600, chunk: "c2"));
        Assert.Equal("forward", d.Mode);
        Assert.Equal(3, d.Events.Count);
        for (var i = 0; i < 3; i++)
        {
            Assert.True(JsonElement.DeepEquals(JsonDocument.Parse(ForwardSamples.Records[i]).RootElement, Json(d.Events[i])));
            Assert.Equal((1767225600L + i) * 1000, d.Events[i].TimeMs);
        }
        Assert.Equal("beat-host", d.Events[2].Host); // {"host":{"name":…}}, as the NDJSON path lifts it
        Assert.Equal("GET /index.html 200", d.Events[1].Message); // "log", as Docker and Fluent Bit send it
        Assert.NotNull(d.Chunk);
    }

    [Fact]
    public void Packed_and_compressed_packed_forward_decode_the_same_events_with_nanosecond_event_times()
    {
        var entries = ForwardFrames.Entries(ForwardSamples.Records, 1767225600);
        var packed = Decode(ForwardFrames.Packed("t", entries, "p"));
        var gzip1 = Decode(ForwardFrames.Packed("t", entries, "g", members: 1));
        var gzip3 = Decode(ForwardFrames.Packed("t", entries, "g", members: 3)); // several gzip members, as Fluentd appends them
        Assert.Equal("packed-forward", packed.Mode);
        Assert.Equal("compressed-packed-forward", gzip3.Mode);
        foreach (var d in new[] { packed, gzip1, gzip3 })
        {
            Assert.Null(d.Error);
            Assert.Equal(ForwardSamples.Records.Length, d.Events.Count);
            Assert.Equal(1767225600L * 1000 + 500, d.Events[0].TimeMs);
            Assert.Equal(packed.Events.Select(e => e.Json), d.Events.Select(e => e.Json));
        }
    }

    [Fact]
    public void Packed_entries_sent_as_a_str_rather_than_bin_are_accepted()
    {
        var entries = ForwardFrames.Entries(ForwardSamples.Records, 1767225600);
        var frame = ForwardFrames.Build((ref MessagePackWriter w) =>
        {
            w.WriteArrayHeader(2);
            w.Write("t");
            w.WriteString(entries); // msgpack v0 "raw": a str header over binary bytes
        });
        Assert.Equal(3, Decode(frame).Events.Count);
    }

    [Fact]
    public void Fluent_bit_metadata_times_and_zero_or_nil_times_are_understood()
    {
        var frame = ForwardFrames.Build((ref MessagePackWriter w) =>
        {
            w.WriteArrayHeader(2);
            w.Write("fb");
            w.WriteArrayHeader(3);
            // [[EventTime, {metadata}], record]
            w.WriteArrayHeader(2);
            w.WriteArrayHeader(2); ForwardFrames.EventTime(ref w, 1767225600, 250_000_000); w.WriteMapHeader(1); w.Write("otlp"); w.Write(true);
            ForwardFrames.Json(ref w, """{"message":"with metadata"}""");
            // [0, record]: Fluentd reads 0 as "now"
            w.WriteArrayHeader(2); w.Write(0); ForwardFrames.Json(ref w, """{"message":"zero"}""");
            // [nil, record]
            w.WriteArrayHeader(2); w.WriteNil(); ForwardFrames.Json(ref w, """{"message":"nil"}""");
        });
        var d = Decode(frame);
        Assert.Equal(1767225600250L, d.Events[0].TimeMs);
        Assert.Equal(Clock.GetUtcNow().ToUnixTimeMilliseconds(), d.Events[1].TimeMs);
        Assert.Equal(Clock.GetUtcNow().ToUnixTimeMilliseconds(), d.Events[2].TimeMs);
        Assert.All(d.Events, e => Assert.Equal(EventFlags.None, e.Flags));
    }

    [Fact]
    public void A_bad_entry_is_kept_raw_and_marked_while_the_entries_around_it_are_stored()
    {
        var frame = ForwardFrames.Build((ref MessagePackWriter w) =>
        {
            w.WriteArrayHeader(3);
            w.Write("mixed");
            w.WriteArrayHeader(4);
            w.WriteArrayHeader(2); w.Write(1767225600); ForwardFrames.Json(ref w, """{"message":"first"}""");
            w.WriteArrayHeader(2); w.Write(1767225600); w.Write("a string, not a map");
            w.Write("not an entry");
            w.WriteArrayHeader(2); w.Write("yesterday"); ForwardFrames.Json(ref w, """{"message":"bad time"}""");
            ForwardFrames.Option(ref w, "chunk-1");
        });
        var d = Decode(frame);
        Assert.Null(d.Error);
        Assert.NotNull(d.Chunk);
        Assert.Equal(4, d.Events.Count);
        Assert.Equal("first", d.Events[0].Message);
        Assert.Equal(EventFlags.None, d.Events[0].Flags);
        foreach (var (e, why) in d.Events.Skip(1).Zip(["the record must be a map, found a string", "an entry is [time, record]; this one is not an array", "time must be EventTime or seconds, found a string"]))
        {
            Assert.Equal(EventFlags.ParseError, e.Flags);
            Assert.Equal(why, e.ParseError);
            Assert.NotEmpty(e.Raw!);
            Assert.Equal("mixed", e.App);
        }
        // The raw bytes are the entry exactly: it decodes back to what was sent.
        var raw = new MessagePackReader(d.Events[2].Raw);
        Assert.Equal("not an entry", raw.ReadString());
    }

    /// <summary>[tag, [good, good, nil × <paramref name="nils"/>, [1, 2, 3] × <paramref name="triples"/>, good], {chunk}]</summary>
    private static byte[] ForwardWithBrokenEntries(int nils, int triples) => ForwardFrames.Build((ref MessagePackWriter w) =>
    {
        w.WriteArrayHeader(3);
        w.Write("amp");
        w.WriteArrayHeader(3 + nils + triples);
        for (var i = 0; i < 2; i++) { w.WriteArrayHeader(2); w.Write(1767225600L + i); ForwardFrames.Json(ref w, $$"""{"message":"good {{i}}"}"""); }
        for (var i = 0; i < nils; i++) w.WriteNil();
        for (var i = 0; i < triples; i++) { w.WriteArrayHeader(3); w.Write(1); w.Write(2); w.Write(3); }
        w.WriteArrayHeader(2); w.Write(1767225602L); ForwardFrames.Json(ref w, """{"message":"good 2"}""");
        ForwardFrames.Option(ref w, "amp-1");
    });

    [Fact]
    public void Broken_entries_past_the_per_message_limit_are_counted_in_one_event_and_the_good_ones_kept()
    {
        var d = Decode(ForwardWithBrokenEntries(nils: 100_000, triples: 50));
        Assert.Null(d.Error);
        Assert.NotNull(d.Chunk);
        Assert.Equal(["good 0", "good 1", "good 2"], d.Events.Where(e => e.Flags == EventFlags.None).Select(e => e.Message));
        var broken = d.Events.Where(e => (e.Flags & EventFlags.ParseError) != 0).ToList();
        Assert.Equal(ForwardDecoder.MaxBrokenEntriesPerMessage + 1, broken.Count);
        Assert.All(broken.Take(ForwardDecoder.MaxBrokenEntriesPerMessage), e => Assert.Equal([0xc0], e.Raw));

        var summary = d.Events[^1];
        var dropped = 100_000 + 50 - ForwardDecoder.MaxBrokenEntriesPerMessage;
        Assert.Equal(dropped, d.DroppedEntries);
        Assert.StartsWith($"{dropped} more undecodable entries of this message dropped: only the first {ForwardDecoder.MaxBrokenEntriesPerMessage}", summary.ParseError);
        Assert.Contains($"{100_000 - ForwardDecoder.MaxBrokenEntriesPerMessage} x an entry is [time, record]; this one is not an array", summary.ParseError);
        Assert.Contains("50 x an entry is [time, record]; this one has 3 elements", summary.ParseError);
        Assert.Equal(EventFlags.ParseError | EventFlags.Truncated, summary.Flags);
        Assert.Equal(ForwardDecoder.MaxRawBytes, summary.Raw!.Length); // the raw limit, as for any other event
        Assert.All(summary.Raw, b => Assert.Equal(0xc0, b));
        Assert.Equal(dropped - 50 + 50 * 4, d.EventBytes[^1]);
        Assert.Equal(d.Events.Count, d.EventBytes.Count);
    }

    [Fact]
    public void Up_to_the_limit_every_broken_entry_is_its_own_event_and_packed_entries_share_the_limit()
    {
        var d = Decode(ForwardWithBrokenEntries(nils: ForwardDecoder.MaxBrokenEntriesPerMessage, triples: 0));
        Assert.Equal(3 + ForwardDecoder.MaxBrokenEntriesPerMessage, d.Events.Count);
        Assert.Equal(0, d.DroppedEntries);

        var entries = ForwardFrames.Build((ref MessagePackWriter w) => { for (var i = 0; i < 1000; i++) w.WriteNil(); });
        var packed = Decode(ForwardFrames.Packed("amp", [.. entries, .. ForwardFrames.Entries([ForwardSamples.Records[0]], 1767225600)], "p"));
        Assert.Equal(ForwardDecoder.MaxBrokenEntriesPerMessage + 2, packed.Events.Count);
        Assert.Equal(1000 - ForwardDecoder.MaxBrokenEntriesPerMessage, packed.DroppedEntries);
        Assert.Single(packed.Events, e => e.Flags == EventFlags.None);
        Assert.Equal(EventFlags.ParseError, packed.Events[^1].Flags); // 900 bytes: all kept, not truncated
        Assert.Equal(900, packed.Events[^1].Raw!.Length);
    }

    [Fact]
    public void A_time_out_of_range_keeps_the_event_with_the_receive_time_and_a_parse_error()
    {
        var frame = ForwardFrames.Build((ref MessagePackWriter w) =>
        {
            w.WriteArrayHeader(3); w.Write("t"); w.Write(-5); ForwardFrames.Json(ref w, """{"message":"neg"}""");
        });
        var e = Assert.Single(Decode(frame).Events);
        Assert.Equal("neg", e.Message);
        Assert.Equal(EventFlags.ParseError, e.Flags);
        Assert.Contains("out of range", e.ParseError);
        Assert.Equal(Clock.GetUtcNow().ToUnixTimeMilliseconds(), e.TimeMs);
    }

    public static TheoryData<string, byte[], string> BrokenMessages() => new()
    {
        { "a number", [0x05], "a forward message is an array; this one starts with a number" },
        { "too short", ForwardFrames.Build((ref MessagePackWriter w) => { w.WriteArrayHeader(1); w.Write("t"); }), "a forward message has 2 to 4 elements; this one has 1" },
        { "tag not a string", ForwardFrames.Build((ref MessagePackWriter w) => { w.WriteArrayHeader(3); w.Write(1); w.Write(1); w.WriteMapHeader(0); }), "the tag must be a string, found a number" },
        { "PING without a key", ForwardFrames.Ping("c", [1], "k", [2]), "handshake message PING" },
        { "bad gzip", ForwardFrames.Build((ref MessagePackWriter w) => { w.WriteArrayHeader(3); w.Write("t"); w.Write(new byte[] { 1, 2, 3 }); ForwardFrames.Option(ref w, "c", "gzip"); }), "compressed entries are not valid gzip" },
        { "unknown compression", ForwardFrames.Build((ref MessagePackWriter w) => { w.WriteArrayHeader(3); w.Write("t"); w.Write(new byte[] { 1 }); ForwardFrames.Option(ref w, "c", "zstd"); }), "unsupported compression 'zstd'" },
        { "option not a map", ForwardFrames.Build((ref MessagePackWriter w) => { w.WriteArrayHeader(4); w.Write("t"); w.Write(1); w.WriteMapHeader(0); w.Write("x"); }), "the option must be a map" },
        { "cut short", ForwardFrames.Message("t", 1, "{\"a\":1}")[..^2], "not valid MessagePack" },
        { "trailing bytes", [.. ForwardFrames.Message("t", 1, "{\"a\":1}")[..^0], 0x01], "bytes left over" },
    };

    [Theory]
    [MemberData(nameof(BrokenMessages))]
    public void A_message_that_is_not_the_protocol_is_reported_with_the_reason(string what, byte[] frame, string reason)
    {
        var d = Decode(frame);
        Assert.True(d.Error?.Contains(reason), $"{what}: {d.Error}");
        Assert.Empty(d.Events);
        Assert.Null(d.Chunk); // never acked
    }

    /// <summary>Found by the fuzz test: a bin32 length of 2^31 or more is negative as MessagePack-CSharp's
    /// int, slips past its bounds check, and Slice throws ArgumentOutOfRangeException (not its own exception).
    /// Inside packed entries the framer has not measured it.</summary>
    [Fact]
    public void A_packed_entry_whose_binary_claims_more_bytes_than_remain_is_kept_raw_not_thrown()
    {
        byte[] entries = [.. ForwardFrames.Entries([ForwardSamples.Records[0]], 1767225600),
            0x92, 0x01, 0x81, 0xc6, 0xff, 0xff, 0xff, 0xff]; // [1, {bin32 of 4 GiB as a key…}]
        var d = Decode(ForwardFrames.Packed("t", entries, "c"));
        Assert.Null(d.Error);
        Assert.Equal(2, d.Events.Count);
        Assert.Equal("web1", d.Events[0].Host);
        Assert.StartsWith("packed entries are not valid MessagePack", d.Events[1].ParseError);
        Assert.Equal(entries[^8..], d.Events[1].Raw);
    }

    [Fact]
    public void Compressed_entries_inflating_past_the_limit_are_refused()
    {
        var entries = ForwardFrames.Entries([.. Enumerable.Repeat("{\"message\":\"" + new string('z', 1000) + "\"}", 100)], 1);
        var d = Decode(ForwardFrames.Packed("t", entries, "c", members: 1), maxDecompressed: 50_000);
        Assert.Contains("inflate past 50000 bytes", d.Error);
    }

    [Fact]
    public void Compressed_entries_of_exactly_the_limit_inflate_and_one_byte_more_is_refused()
    {
        var entries = ForwardFrames.Entries([.. Enumerable.Range(0, 100).Select(i => "{\"message\":\"" + i + new string('z', 1000) + "\"}")], 1);
        var frame = ForwardFrames.Packed("t", entries, "c", members: 2);
        var atLimit = Decode(frame, maxDecompressed: entries.Length);
        Assert.Null(atLimit.Error);
        Assert.Equal(100, atLimit.Events.Count);
        Assert.Contains("\"message\":\"99zzz", atLimit.Events[^1].Json);
        Assert.Contains($"inflate past {entries.Length - 1} bytes", Decode(frame, maxDecompressed: entries.Length - 1).Error);
    }

    [Fact]
    public void One_decoder_inflating_a_large_message_then_a_small_one_keeps_nothing_of_the_first()
    {
        // The inflate buffer comes from a shared pool: a later, shorter message must see only its own bytes.
        var decoder = new ForwardDecoder(1 << 24, 1 << 20, TimeProvider.System);
        var large = ForwardFrames.Entries([.. Enumerable.Range(0, 2000).Select(i => $"{{\"message\":\"large {i} {new string('x', 300)}\"}}")], 1);
        var first = decoder.Decode(new System.Buffers.ReadOnlySequence<byte>(ForwardFrames.Packed("t", large, "a", members: 1)), "l", null);
        Assert.Null(first.Error);
        Assert.Equal(2000, first.Events.Count);
        // Two good entries and 8 bytes that are not MessagePack: the broken tail keeps exactly those bytes.
        var small = ForwardFrames.Entries(["{\"message\":\"small\"}", "{\"host\":\"web1\"}"], 1);
        var tail = new byte[] { 0xc1, 0xc1, 0xc1, 0xc1, 0xc1, 0xc1, 0xc1, 0xc1 };
        var second = decoder.Decode(new System.Buffers.ReadOnlySequence<byte>(ForwardFrames.Packed("t", [.. small, .. tail], "b", members: 1)), "l", null);
        Assert.Null(second.Error);
        Assert.Equal(3, second.Events.Count);
        Assert.Contains("small", second.Events[0].Json);
        Assert.Equal(tail, second.Events[2].Raw);
        for (var i = 0; i < first.Events.Count; i++) Assert.StartsWith($"{{\"message\":\"large {i} x", first.Events[i].Json);
    }

    [Fact]
    public void Nesting_deeper_than_the_security_limit_is_an_error_not_a_crash()
    {
        var frame = ForwardFrames.Build((ref MessagePackWriter w) =>
        {
            w.WriteArrayHeader(3); w.Write("deep"); w.Write(1);
            w.WriteMapHeader(1); w.Write("a");
            for (var i = 0; i < 200; i++) w.WriteArrayHeader(1);
            w.Write(1);
        });
        Assert.Contains("not valid MessagePack", Decode(frame).Error);
    }

    [Fact]
    public void A_record_too_large_as_json_is_kept_raw_truncated_and_marked()
    {
        var d = Decode(ForwardFrames.Message("big", 1, "{\"message\":\"" + new string('q', 5000) + "\"}"), maxRecord: 2000);
        var e = Assert.Single(d.Events);
        Assert.Equal(EventFlags.ParseError | EventFlags.Truncated, e.Flags);
        Assert.Contains("exceeds the 2000-byte limit", e.ParseError);
        Assert.Null(e.Json);
    }

    [Fact]
    public void Values_json_cannot_hold_become_text_and_invalid_utf8_is_kept_raw_and_marked()
    {
        var frame = ForwardFrames.Build((ref MessagePackWriter w) =>
        {
            w.WriteArrayHeader(3); w.Write("odd"); w.Write(1767225600);
            w.WriteMapHeader(6);
            w.Write("nan"); w.Write(double.NaN);
            w.Write("bin-text"); w.Write("plain"u8);
            w.Write("bin-bytes"); w.Write(new byte[] { 0xff, 0x00, 0x10 });
            w.Write(42); w.Write("integer key");
            w.Write("time"); ForwardFrames.EventTime(ref w, 1767225600, 0);
            w.Write("message"); w.WriteString(new byte[] { (byte)'c', (byte)'a', (byte)'f', 0xe9 });
        });
        var e = Assert.Single(Decode(frame).Events);
        var json = Json(e);
        Assert.Equal("NaN", json.GetProperty("nan").GetString());
        Assert.Equal("plain", json.GetProperty("bin-text").GetString());
        Assert.Equal(Convert.ToBase64String([0xff, 0x00, 0x10]), json.GetProperty("bin-bytes").GetString());
        Assert.Equal("integer key", json.GetProperty("42").GetString());
        Assert.Equal("2026-01-01T00:00:00Z", json.GetProperty("time").GetString());
        Assert.Equal("caf\uFFFD", e.Message);
        Assert.Equal(EventFlags.InvalidUtf8, e.Flags);
        Assert.NotNull(e.Raw);
    }

    [Fact]
    public void A_nil_record_is_skipped_as_fluentd_does_and_a_nil_message_is_a_heartbeat()
    {
        var frame = ForwardFrames.Build((ref MessagePackWriter w) => { w.WriteArrayHeader(4); w.Write("t"); w.Write(1); w.WriteNil(); ForwardFrames.Option(ref w, "c"); });
        var d = Decode(frame);
        Assert.Empty(d.Events);
        Assert.NotNull(d.Chunk); // still acked: the client is waiting for it
        Assert.True(Decode([0xc0]).Heartbeat);
    }

    /// <summary>
    /// Real agent events (OTRF Windows, Zeek JSON): sent over forward, each comes back as the same JSON
    /// object with the same host, app and message the NDJSON path lifts from it.
    /// </summary>
    [Fact]
    public async Task Real_agent_events_decode_to_the_same_json_and_fields_as_the_ndjson_path()
    {
        var dir = SharedData.PathOf("agent-events", "otrf-security-datasets");
        var lines = Directory.GetFiles(Path.Combine(dir, "windows"), "*.json").Order(StringComparer.Ordinal).Take(4)
            .Concat(Directory.GetFiles(Path.Combine(dir, "zeek-json-apt29-day1"), "*.log").Order(StringComparer.Ordinal).Take(6))
            .SelectMany(File.ReadLines).Where(l => l.Length > 0).ToList();
        Assert.True(lines.Count > 1000, $"only {lines.Count} lines");

        var ndjson = await NdjsonIngest.ReadAsync(PipeReader.Create(new MemoryStream(Encoding.UTF8.GetBytes(string.Join('\n', lines)))),
            1 << 20, "10.1.2.3:40000", Clock, CancellationToken.None);
        Assert.Empty(ndjson.Errors);

        var decoder = new ForwardDecoder(1 << 26, 1 << 20, Clock);
        foreach (var batch in lines.Chunk(500))
        {
            var d = decoder.Decode(new ReadOnlySequence<byte>(ForwardFrames.Forward("otrf", batch, 1767225600)), "forward", "10.1.2.3:40000");
            Assert.Null(d.Error);
            Assert.Equal(batch.Length, d.Events.Count);
            foreach (var (line, e) in batch.Zip(d.Events))
            {
                var expected = ndjson.Events[lines.IndexOf(line)];
                Assert.True(JsonSame.Equal(JsonDocument.Parse(line).RootElement, Json(e)), $"differs:\n{line}\n{e.Json}");
                Assert.Equal(expected.Host, e.Host);
                Assert.Equal(expected.App ?? "otrf", e.App);
                Assert.Equal(expected.Message, e.Message);
                Assert.Equal(EventFlags.None, e.Flags);
            }
        }
    }
}

using System.Buffers;
using System.Text.Json;
using Redoubt.Ingest.Http;
using Redoubt.Tests.Support;

namespace Redoubt.Tests.Integration;

/// <summary>The forward protocol end to end: the real npm fluent-logger, hand-written frames, the real process.</summary>
public sealed class ForwardTests
{
    private static List<JsonElement> RealRecords(int windows, int zeek)
    {
        var dir = SharedData.PathOf("agent-events", "otrf-security-datasets");
        var win = File.ReadLines(Path.Combine(dir, "windows", "cmd_sam_copy_esentutl_2020-10-1900290001.json")).Where(l => l.Length > 0).Take(windows);
        var dns = File.ReadLines(Path.Combine(dir, "zeek-json-apt29-day1", "NASHUA_conn.log")).Where(l => l.Length > 0).Take(zeek);
        return win.Concat(dns).Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();
    }

    private static async Task<long> MaxIdAsync(ApplianceProcess app)
    {
        var page = await app.GetJsonAsync("/api/v1/events?limit=1");
        return page.GetProperty("events").EnumerateArray().Select(e => e.GetProperty("id").GetInt64()).DefaultIfEmpty(-1).Single();
    }

    private static async Task<List<JsonElement>> EventsAfterAsync(ApplianceProcess app, long id, int expected)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var events = (await app.AllEventsAsync()).Where(e => e.GetProperty("id").GetInt64() > id).ToList();
            if (events.Count >= expected || DateTime.UtcNow > deadline) return events;
            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task Fluent_logger_in_message_packed_and_compressed_modes_gets_acks_and_its_records_are_stored_field_for_field()
    {
        await using var app = await ApplianceProcess.StartAsync();
        var records = RealRecords(windows: 120, zeek: 40);
        foreach (var mode in (string[])["Message", "PackedForward", "CompressedPackedForward"])
        {
            var before = await MaxIdAsync(app);
            var events = records.Select((r, i) => new FluentEvent("otrf", r, [1767225600 + i, 123456789])).ToList();
            var run = await FluentLogger.SendAsync(app.ForwardPort, mode, events, requireAck: true);
            Assert.True(run.ExitCode == 0 && run.Acked == records.Count, $"{mode}: {run}");

            // Acked means durable, and durable means queryable: no waiting needed here.
            var stored = (await app.AllEventsAsync()).Where(e => e.GetProperty("id").GetInt64() > before).ToList();
            Assert.Equal(records.Count, stored.Count);
            var unmatched = stored.ToList();
            foreach (var (record, i) in records.Select((r, i) => (r, i)))
            {
                var match = unmatched.FirstOrDefault(e => JsonSame.Equal(record, e.GetProperty("json")));
                Assert.True(match.ValueKind != JsonValueKind.Undefined, $"{mode}: record {i} not stored as sent:\n{record}");
                unmatched.Remove(match);
                Assert.Equal("forward", match.GetProperty("transport").GetString());
                var hosts = NdjsonIngest.HostFields.Where(f => record.TryGetProperty(f, out var v) && v.ValueKind == JsonValueKind.String)
                    .Select(f => record.GetProperty(f).GetString()).ToList();
                if (hosts.Count > 0) Assert.Contains(match.GetProperty("host").GetString(), hosts);
                var apps = NdjsonIngest.AppFields.Where(f => record.TryGetProperty(f, out var v) && v.ValueKind == JsonValueKind.String)
                    .Select(f => record.GetProperty(f).GetString()).ToList();
                Assert.Equal(apps.FirstOrDefault() ?? "redoubt.test.otrf", match.GetProperty("app").GetString());
            }
            var times = stored.Select(e => e.GetProperty("time").GetDateTime()).Order().ToList();
            Assert.Equal(Enumerable.Range(0, records.Count).Select(i => DateTimeOffset.FromUnixTimeMilliseconds((1767225600L + i) * 1000 + 123).UtcDateTime), times);
        }

        var forward = (await app.StatsAsync()).GetProperty("listeners").EnumerateArray().Single(l => l.GetProperty("transport").GetString() == "forward");
        Assert.Equal(3 * records.Count, forward.GetProperty("received").GetInt64());
        Assert.Equal(3 * records.Count, forward.GetProperty("parsed").GetInt64());
        Assert.Equal(0, forward.GetProperty("malformed").GetInt64());
        Assert.True(forward.GetProperty("bytes").GetInt64() > 0);
    }

    [Fact]
    public async Task Forward_mode_and_multi_member_gzip_written_by_hand_are_acked_in_order_once_stored()
    {
        await using var app = await ApplianceProcess.StartAsync();
        var lines = RealRecords(windows: 30, zeek: 30).Select(r => r.GetRawText()).ToList();
        await using var client = await ForwardClient.ConnectAsync(app.ForwardPort);
        // Both messages in one write: one batch, two acks, in the order the chunks were sent.
        await client.SendAsync([
            .. ForwardFrames.Forward("hand.forward", lines[..30], 1767225600, chunk: "forward-chunk-1"),
            .. ForwardFrames.Packed("hand.gzip", ForwardFrames.Entries(lines[30..], 1767225600), chunk: "gzip-chunk-2", members: 3, size: 30),
        ]);
        Assert.Equal("forward-chunk-1", ForwardClient.AckOf((await client.ReadReplyAsync())!));
        Assert.Equal("gzip-chunk-2", ForwardClient.AckOf((await client.ReadReplyAsync())!));
        var stored = await app.AllEventsAsync();
        Assert.Equal(60, stored.Count);
        foreach (var line in lines)
            Assert.Contains(stored, e => JsonSame.Equal(JsonDocument.Parse(line).RootElement, e.GetProperty("json")));
    }

    [Fact]
    public async Task Events_acked_before_a_kill_9_are_all_there_after_restart()
    {
        var dir = Directory.CreateTempSubdirectory("redoubt-fwd-kill-").FullName;
        try
        {
            var acked = new List<string>();
            await using (var app = await ApplianceProcess.StartAsync(dir))
            {
                await using var client = await ForwardClient.ConnectAsync(app.ForwardPort);
                for (var i = 0; i < 40; i++)
                {
                    await client.SendAsync(ForwardFrames.Message("kill.test", 1767225600, $$"""{"message":"acked {{i}}","seq":{{i}}}""", chunk: $"chunk-{i}"));
                    acked.Add(ForwardClient.AckOf((await client.ReadReplyAsync())!));
                }
                app.Kill(); // SIGKILL right after the last ack: nothing gets flushed on the way out
                await app.WaitForExitAsync(TimeSpan.FromSeconds(30));
            }
            Assert.Equal(Enumerable.Range(0, 40).Select(i => $"chunk-{i}"), acked);
            await using var again = await ApplianceProcess.StartAsync(dir);
            var messages = (await again.AllEventsAsync()).Select(e => e.GetProperty("message").GetString()).ToHashSet();
            Assert.All(Enumerable.Range(0, 40), i => Assert.Contains($"acked {i}", messages));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public async Task The_shared_key_handshake_admits_fluent_logger_with_the_key_and_refuses_a_wrong_one()
    {
        await using var app = await ApplianceProcess.StartAsync(null, "--Forward:SharedKey=correct horse battery", "--Forward:ServerHostname=redoubt-under-test");
        var ok = await FluentLogger.SendAsync(app.ForwardPort, "Message", [new FluentEvent("secure", new { message = "with the key" })],
            sharedKey: "correct horse battery", clientHostname: "agent-7");
        Assert.True(ok.ExitCode == 0 && ok.Acked == 1, ok.ToString());

        var wrong = await FluentLogger.SendAsync(app.ForwardPort, "Message", [new FluentEvent("secure", new { message = "guessing" })],
            sharedKey: "wrong", clientHostname: "agent-8", ackTimeoutMs: 5000);
        Assert.Equal(0, wrong.Acked);
        Assert.Contains("shared_key mismatch", wrong.Stderr);

        // Without any handshake at all, events are not taken either.
        await using (var client = await ForwardClient.ConnectAsync(app.ForwardPort))
        {
            Assert.NotNull(await client.ReadReplyAsync()); // HELO
            await client.SendAsync(ForwardFrames.Message("t", 1, """{"message":"no ping"}""", "c"));
            Assert.NotNull(await client.ReadReplyAsync()); // failed PONG
            Assert.True(await client.ClosedByServerAsync());
        }

        var stored = await app.AllEventsAsync();
        Assert.Equal(["with the key"], stored.Select(e => e.GetProperty("message").GetString()));
        var forward = (await app.StatsAsync()).GetProperty("listeners").EnumerateArray().Single(l => l.GetProperty("transport").GetString() == "forward");
        Assert.Equal(2, forward.GetProperty("authFailures").GetInt64());
        Assert.Contains("handshake refused: shared_key mismatch (client agent-8)", app.Output);
    }

    [Fact]
    public async Task Before_the_handshake_a_client_can_neither_hold_a_large_frame_nor_outstay_the_handshake_timeout()
    {
        await using var app = await ApplianceProcess.StartAsync(null, "--Forward:SharedKey=s3cret", "--Forward:HandshakeTimeout=00:00:02");

        // A partial PING announcing a 30 MiB string: refused from its header, not buffered up to MaxFrameBytes.
        await using (var big = await ForwardClient.ConnectAsync(app.ForwardPort))
        {
            Assert.NotNull(await big.ReadReplyAsync()); // HELO
            try
            {
                await big.SendAsync([0x96, 0xa4, (byte)'P', (byte)'I', (byte)'N', (byte)'G', 0xdb, 0x01, 0xe0, 0x00, 0x00]);
                await big.SendAsync(new byte[256 * 1024]);
            }
            catch (IOException) { } // already closed by the server
            Assert.True(await big.ClosedByServerAsync(TimeSpan.FromSeconds(30)));
        }
        await WaitForListenerAsync(app, "forward", l => l.GetProperty("authFailures").GetInt64() == 1);
        Assert.Contains($"handshake refused: a message before the handshake is larger than {Redoubt.Ingest.Forward.ForwardHandshake.MaxPingBytes} bytes", app.Output);

        // A client that sent a few bytes of a PING and then nothing: closed when the handshake time is up,
        // not kept until the 1 h idle timeout because it sent something.
        await using var trickle = await ForwardClient.ConnectAsync(app.ForwardPort);
        Assert.NotNull(await trickle.ReadReplyAsync()); // HELO
        var started = DateTime.UtcNow;
        await trickle.SendAsync([0x96, 0xa4, (byte)'P', (byte)'I']);
        await Task.Delay(1000);
        await trickle.SendAsync([(byte)'N']); // bytes arriving do not extend the deadline
        Assert.True(await trickle.ClosedByServerAsync(TimeSpan.FromSeconds(20)));
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(10), $"closed after {DateTime.UtcNow - started}");
        await WaitForListenerAsync(app, "forward", l => l.GetProperty("idleClosed").GetInt64() == 1);
        Assert.Contains("handshake not finished within 00:00:02", app.Output);

        // A client that passes the handshake is not held to its deadline afterwards.
        await using var good = await ForwardClient.ConnectAsync(app.ForwardPort);
        var helo = (await good.ReadReplyAsync())!;
        await good.SendAsync(ForwardFrames.Ping("agent-1", NonceOf(helo), "s3cret", [7, 7, 7]));
        Assert.NotNull(await good.ReadReplyAsync()); // PONG
        await Task.Delay(3000);
        await good.SendAsync(ForwardFrames.Message("late", 1767225600, """{"message":"after the handshake deadline"}""", "late-1"));
        Assert.Equal("late-1", ForwardClient.AckOf((await good.ReadReplyAsync())!));
        Assert.Equal(["after the handshake deadline"], (await app.AllEventsAsync()).Select(e => e.GetProperty("message").GetString()));
    }

    [Fact]
    public async Task A_message_of_a_million_nils_is_acked_as_its_good_entries_plus_a_bounded_number_of_parse_error_events()
    {
        await using var app = await ApplianceProcess.StartAsync();
        const int nils = 1_000_000;
        var frame = ForwardFrames.Build((ref MessagePack.MessagePackWriter w) =>
        {
            w.WriteArrayHeader(3);
            w.Write("amp");
            w.WriteArrayHeader(nils + 2);
            w.WriteArrayHeader(2); w.Write(1767225600L); ForwardFrames.Json(ref w, """{"message":"before"}""");
            for (var i = 0; i < nils; i++) w.WriteNil();
            w.WriteArrayHeader(2); w.Write(1767225601L); ForwardFrames.Json(ref w, """{"message":"after"}""");
            ForwardFrames.Option(ref w, "nils-1");
        });
        await using var client = await ForwardClient.ConnectAsync(app.ForwardPort);
        await client.SendAsync(frame);
        Assert.Equal("nils-1", ForwardClient.AckOf((await client.ReadReplyAsync(TimeSpan.FromSeconds(60)))!));

        var limit = Redoubt.Ingest.Forward.ForwardDecoder.MaxBrokenEntriesPerMessage;
        var stored = await app.AllEventsAsync();
        Assert.Equal(2 + limit + 1, stored.Count);
        Assert.Equal(["after", "before"], stored.Where(e => e.GetProperty("parseError").ValueKind != JsonValueKind.String)
            .Select(e => e.GetProperty("message").GetString()).Order());
        var summary = Assert.Single(stored, e => e.GetProperty("parseError").GetString()?.Contains("dropped") == true);
        Assert.StartsWith($"{nils - limit} more undecodable entries of this message dropped", summary.GetProperty("parseError").GetString());
        Assert.Contains("truncated", summary.GetProperty("flags").EnumerateArray().Select(f => f.GetString()));
        Assert.Equal(Redoubt.Ingest.Forward.ForwardDecoder.MaxRawBytes, Convert.FromBase64String(summary.GetProperty("rawBase64").GetString()!).Length);

        var forward = (await app.StatsAsync()).GetProperty("listeners").EnumerateArray().Single(l => l.GetProperty("transport").GetString() == "forward");
        Assert.Equal(nils + 2, forward.GetProperty("received").GetInt64()); // every entry counted, good or bad
        Assert.Equal(nils, forward.GetProperty("parseErrors").GetInt64());
        Assert.Equal(2, forward.GetProperty("parsed").GetInt64());
    }

    private static byte[] NonceOf(byte[] helo)
    {
        var r = new MessagePack.MessagePackReader(helo);
        r.ReadArrayHeader();
        r.ReadString();
        var n = r.ReadMapHeader();
        for (var i = 0; i < n; i++)
        {
            if (r.ReadString() == "nonce") return r.ReadBytes()!.Value.ToArray();
            r.Skip();
        }
        throw new InvalidDataException("HELO without a nonce");
    }

    [Fact]
    public async Task Garbage_and_cut_messages_are_stored_raw_counted_and_logged_while_the_listener_keeps_serving()
    {
        await using var app = await ApplianceProcess.StartAsync();
        await Senders.SendTcpBytesAsync(app.ForwardPort, "GET / HTTP/1.1\r\nHost: redoubt\r\n\r\n"u8.ToArray());
        await Senders.SendTcpBytesAsync(app.ForwardPort, [0x93, 0xa1, (byte)'t', 0xc1, 0x00]); // 0xc1: never MessagePack
        var message = ForwardFrames.Message("cut", 1767225600, """{"message":"cut in the middle"}""", "c");
        await Senders.SendTcpBytesAsync(app.ForwardPort, message[..25]); // peer closes mid-message
        var random = new Random(7);
        for (var i = 0; i < 10; i++)
        {
            var junk = new byte[random.Next(1, 5000)];
            random.NextBytes(junk);
            await Senders.SendTcpBytesAsync(app.ForwardPort, junk, closeGracefully: i % 2 == 0);
        }

        var ok = await FluentLogger.SendAsync(app.ForwardPort, "Message", [new FluentEvent("after", new { message = "still serving" })]);
        Assert.True(ok.ExitCode == 0 && ok.Acked == 1, ok.ToString());
        Assert.False(app.HasExited);

        var deadline = DateTime.UtcNow.AddSeconds(30);
        JsonElement forward;
        do
        {
            forward = (await app.StatsAsync()).GetProperty("listeners").EnumerateArray().Single(l => l.GetProperty("transport").GetString() == "forward");
            if (forward.GetProperty("openConnections").GetInt64() == 0) break;
            await Task.Delay(100);
        } while (DateTime.UtcNow < deadline);
        Assert.True(forward.GetProperty("malformed").GetInt64() >= 2, forward.ToString());
        Assert.Equal("listening", forward.GetProperty("status").GetString());

        var events = await app.AllEventsAsync();
        var http = events.Single(e => e.GetProperty("rawText").GetString()?.StartsWith("GET / HTTP/1.1") == true);
        Assert.Contains("parse-error", http.GetProperty("flags").EnumerateArray().Select(f => f.GetString()));
        Assert.Equal("a forward message is an array; this one starts with a number", http.GetProperty("parseError").GetString());
        var cut = events.Single(e => e.GetProperty("parseError").GetString()?.StartsWith("the connection closed in the middle of a message") == true);
        Assert.Equal(message[..25], Convert.FromBase64String(cut.GetProperty("rawBase64").GetString()!));
        Assert.Contains("truncated", cut.GetProperty("flags").EnumerateArray().Select(f => f.GetString()));
        Assert.Contains("closing the connection: a forward message is an array", app.Output);
        Assert.Single(events, e => e.GetProperty("message").GetString() == "still serving");
    }

    [Fact]
    public async Task Connections_past_the_maximum_are_refused_and_idle_ones_are_closed()
    {
        await using var app = await ApplianceProcess.StartAsync(null,
            "--Forward:MaxConnections=2", "--Forward:IdleTimeout=00:00:02", "--Syslog:IdleTimeout=00:00:02");
        await using var a = await ForwardClient.ConnectAsync(app.ForwardPort);
        await using var b = await ForwardClient.ConnectAsync(app.ForwardPort);
        await WaitForListenerAsync(app, "forward", l => l.GetProperty("openConnections").GetInt64() == 2);

        // The refusal is a reset: it may even land before the client sees its connect complete.
        try
        {
            await using var c = await ForwardClient.ConnectAsync(app.ForwardPort);
            Assert.True(await c.ClosedByServerAsync(TimeSpan.FromSeconds(30)));
        }
        catch (System.Net.Sockets.SocketException e) when (e.SocketErrorCode == System.Net.Sockets.SocketError.ConnectionReset) { }
        await WaitForListenerAsync(app, "forward", l => l.GetProperty("refusedConnections").GetInt64() == 1);

        using var syslog = new System.Net.Sockets.TcpClient();
        await syslog.ConnectAsync(System.Net.IPAddress.Loopback, app.SyslogPort);
        // Nobody sends: all three are closed by the idle timeout, and counted.
        Assert.True(await a.ClosedByServerAsync(TimeSpan.FromSeconds(30)));
        Assert.True(await b.ClosedByServerAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(0, await syslog.GetStream().ReadAsync(new byte[1]).AsTask().WaitAsync(TimeSpan.FromSeconds(30)));
        await WaitForListenerAsync(app, "forward", l => l.GetProperty("idleClosed").GetInt64() == 2 && l.GetProperty("openConnections").GetInt64() == 0);
        await WaitForListenerAsync(app, "syslog-tcp", l => l.GetProperty("idleClosed").GetInt64() == 1);
    }

    internal static async Task<JsonElement> WaitForListenerAsync(ApplianceProcess app, string transport, Func<JsonElement, bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        JsonElement listener;
        do
        {
            listener = (await app.StatsAsync()).GetProperty("listeners").EnumerateArray().Single(l => l.GetProperty("transport").GetString() == transport);
            if (condition(listener)) return listener;
            await Task.Delay(100);
        } while (DateTime.UtcNow < deadline);
        throw new TimeoutException($"{transport} listener never got there: {listener}\n{app.Output}");
    }
}

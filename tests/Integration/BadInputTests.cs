using System.Text;
using System.Text.Json;
using Redoubt.Tests.Support;

namespace Redoubt.Tests.Integration;

/// <summary>Bad input is stored and counted, never dropped silently, never fatal to a listener.</summary>
public sealed class BadInputTests
{
    [Fact]
    public async Task A_line_longer_than_the_maximum_is_truncated_marked_and_counted_not_dropped()
    {
        await using var app = await ApplianceProcess.StartAsync();
        var longLine = "<14>Dec  1 10:00:00 host app: " + new string('x', 70_000);
        await Senders.SendTcpLinesAsync(app.SyslogPort, [longLine, "<14>Dec  1 10:00:01 host app: after the long one"]);
        await app.WaitForEventCountAsync(2);

        var events = await app.AllEventsAsync();
        var cut = events.Single(e => Flags(e).Contains("truncated"));
        Assert.Equal(64 * 1024 - "<14>Dec  1 10:00:00 host app: ".Length, cut.GetProperty("message").GetString()!.Length);
        Assert.Equal("after the long one", events.Single(e => !Flags(e).Contains("truncated")).GetProperty("message").GetString());
        Assert.Equal(1, (await app.StatsAsync()).GetProperty("truncated").GetInt64());
    }

    [Fact]
    public async Task An_oversize_udp_datagram_is_truncated_and_marked()
    {
        await using var app = await ApplianceProcess.StartAsync(null, "--Syslog:MaxMessageBytes=1000");
        await Senders.SendUdpLinesAsync(app.SyslogPort, ["<14>Dec  1 10:00:00 host app: " + new string('y', 5000)]);
        await app.WaitForEventCountAsync(1);
        var e = (await app.AllEventsAsync()).Single();
        Assert.Contains("truncated", Flags(e));
        Assert.Equal(1000, Convert.FromBase64String(e.GetProperty("rawBase64").GetString()!).Length);
    }

    [Fact]
    public async Task An_empty_udp_datagram_is_counted_as_received_and_rejected_not_silently_dropped()
    {
        // The review sent four datagrams, one of them empty, and saw received stay at 3.
        await using var app = await ApplianceProcess.StartAsync();
        using (var udp = new System.Net.Sockets.UdpClient())
        {
            udp.Connect(System.Net.IPAddress.Loopback, app.SyslogPort);
            await udp.SendAsync(Encoding.UTF8.GetBytes("<14>Dec  1 10:00:00 host app: one"));
            await udp.SendAsync(Array.Empty<byte>());
            await udp.SendAsync(Encoding.UTF8.GetBytes("<14>Dec  1 10:00:00 host app: two"));
            await udp.SendAsync(Encoding.UTF8.GetBytes("<14>Dec  1 10:00:00 host app: three"));
        }
        await app.WaitForEventCountAsync(3);
        JsonElement listener = default;
        for (var i = 0; i < 100; i++)
        {
            listener = await app.ListenerAsync("syslog-udp");
            if (listener.GetProperty("received").GetInt64() >= 4) break;
            await Task.Delay(100);
        }
        Assert.Equal(4, listener.GetProperty("received").GetInt64());
        Assert.Equal(3, listener.GetProperty("parsed").GetInt64());
        Assert.Equal(1, listener.GetProperty("parseErrors").GetInt64());
        Assert.Equal(1, await app.RejectedAsync("syslog-udp", "empty-datagram"));
        Assert.Equal(3, (await app.StatsAsync()).GetProperty("events").GetInt64()); // nothing to store
        var metrics = await app.Http.GetStringAsync("/metrics");
        Assert.Contains("transport=\"syslog-udp\",reason=\"empty-datagram\"} 1", metrics);
        Assert.Contains("rejected (empty-datagram): datagram from 127.0.0.1:", app.Output);
    }

    [Fact]
    public async Task A_malformed_rfc5424_header_is_stored_raw_with_a_parse_error_and_counted()
    {
        await using var app = await ApplianceProcess.StartAsync();
        const string bad = "<34>1 2026-13-45T99:00:00Z host app - - - month 13 does not exist";
        await Senders.SendTcpLinesAsync(app.SyslogPort, [bad]);
        await app.WaitForEventCountAsync(1);

        var e = (await app.AllEventsAsync()).Single();
        Assert.Contains("parse-error", Flags(e));
        Assert.False(string.IsNullOrEmpty(e.GetProperty("parseError").GetString()));
        Assert.Equal(bad, Encoding.UTF8.GetString(Convert.FromBase64String(e.GetProperty("rawBase64").GetString()!)));
        Assert.Equal(1, (await app.StatsAsync()).GetProperty("parseErrors").GetInt64());
    }

    [Fact]
    public async Task Invalid_utf8_is_kept_byte_for_byte_and_marked()
    {
        await using var app = await ApplianceProcess.StartAsync();
        byte[] line = [.. "<14>Dec  1 10:00:00 host app: caf"u8, 0xE9, (byte)' ', 0xFF, 0xFE, (byte)'\n'];
        await Senders.SendTcpBytesAsync(app.SyslogPort, line);
        await app.WaitForEventCountAsync(1);
        var e = (await app.AllEventsAsync()).Single();
        Assert.Contains("invalid-utf8", Flags(e));
        Assert.Equal(line[..^1], Convert.FromBase64String(e.GetProperty("rawBase64").GetString()!));
    }

    [Fact]
    public async Task Garbage_and_connections_cut_mid_frame_never_take_the_tcp_listener_down()
    {
        await using var app = await ApplianceProcess.StartAsync();
        var random = new Random(42);
        for (var i = 0; i < 20; i++)
        {
            var garbage = new byte[random.Next(1, 20_000)];
            random.NextBytes(garbage);
            await Senders.SendTcpBytesAsync(app.SyslogPort, garbage, closeGracefully: i % 2 == 0);
        }
        // An octet-counted frame announcing 500 bytes, cut after 30 by a reset.
        await Senders.SendTcpBytesAsync(app.SyslogPort, Encoding.ASCII.GetBytes("500 <13>1 2026-12-01T10:00:00Z h a - - - cut"), closeGracefully: false);
        await Senders.SendTcpBytesAsync(app.SyslogPort, Encoding.ASCII.GetBytes("500 <13>1 2026-12-01T10:00:00Z h a - - - cut short"), closeGracefully: true);

        // The listener still takes a normal line afterwards, over TCP and UDP.
        await Senders.SendTcpLinesAsync(app.SyslogPort, ["<14>Dec  1 10:00:00 host app: still alive over tcp"]);
        await Senders.SendUdpLinesAsync(app.SyslogPort, ["<14>Dec  1 10:00:00 host app: still alive over udp"]);
        await WaitForMessageAsync(app, "still alive over tcp");
        await WaitForMessageAsync(app, "still alive over udp");
        Assert.False(app.HasExited);

        // The gracefully closed partial frame is kept, marked as cut.
        var partial = (await app.AllEventsAsync()).Where(e => e.GetProperty("message").GetString() == "cut short").ToList();
        Assert.Single(partial);
        Assert.Contains("truncated", Flags(partial[0]));
    }

    private static async Task WaitForMessageAsync(ApplianceProcess app, string text)
    {
        for (var i = 0; i < 100; i++)
        {
            var page = await app.GetJsonAsync("/api/v1/events?q=" + Uri.EscapeDataString(text));
            if (page.GetProperty("events").GetArrayLength() > 0) return;
            await Task.Delay(100);
        }
        throw new TimeoutException($"'{text}' never stored\n{app.Output}");
    }

    private static List<string?> Flags(JsonElement e) => e.GetProperty("flags").EnumerateArray().Select(f => f.GetString()).ToList();
}

using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Redoubt.Tests.Support;

namespace Redoubt.Tests.Integration;

/// <summary>Listener settings as an admin writes them: sender networks, tags, extra listeners, and mistakes.</summary>
public sealed class ListenerConfigTests
{
    [Fact]
    public async Task Senders_outside_the_allowed_networks_are_refused_counted_and_logged_on_every_transport()
    {
        await using var app = await ApplianceProcess.StartAsync(null,
            "--Syslog:AllowedNetworks:0=10.0.0.0/8", "--SyslogTls:AllowedNetworks:0=10.0.0.0/8", "--Relp:AllowedNetworks:0=192.168.0.0/16");

        await Senders.SendUdpLinesAsync(app.SyslogPort, ["<13>Dec  1 10:00:00 host app: from loopback over udp"]);
        await IgnoreResetAsync(Senders.SendTcpLinesAsync(app.SyslogPort, ["<13>Dec  1 10:00:00 host app: from loopback over tcp"]));
        await IgnoreResetAsync(Senders.SendTcpLinesAsync(app.TlsPort, ["not even a handshake"]));
        await IgnoreResetAsync(Task.Run(async () =>
        {
            await using var relp = await RelpClient.ConnectAsync(app.RelpPort);
            await relp.SendAsync(RelpClient.Frame(1, "open", RelpClient.LibrelpOffer));
            Assert.Null(await relp.ReadAsync()); // closed without a word: nothing of theirs is read
        }));

        foreach (var transport in new[] { "syslog-udp", "syslog-tcp", "syslog-tls", "relp" })
            await Until(async () => await app.RejectedAsync(transport, "sender-not-allowed") == 1, app);
        Assert.Equal(0, (await app.StatsAsync()).GetProperty("events").GetInt64());
        Assert.Contains("rejected (sender-not-allowed): datagram from 127.0.0.1:", app.Output);
        Assert.Contains("is outside the allowed networks 10.0.0.0/8", app.Output);
        Assert.Contains("outside the allowed networks 192.168.0.0/16", app.Output);
        var tcp = await app.ListenerAsync("syslog-tcp");
        Assert.Equal(["10.0.0.0/8"], tcp.GetProperty("allowedNetworks").EnumerateArray().Select(n => n.GetString()));
        Assert.Equal(0, tcp.GetProperty("connections").GetInt64());
    }

    [Fact]
    public async Task Listener_and_source_network_tags_are_stamped_on_each_event_from_a_real_logger()
    {
        await using var app = await ApplianceProcess.StartAsync(null,
            "--Syslog:AllowedNetworks:0=127.0.0.0/8", "--Syslog:Tags:site=plant-1", "--Syslog:Tags:zone=it",
            "--Syslog:Sources:0:Network=127.0.0.0/8", "--Syslog:Sources:0:Tags:zone=ot");
        await Senders.RunAsync("logger", ["-n", "127.0.0.1", "-P", app.SyslogPort.ToString(), "-T", "-t", "plc", "tagged over tcp"]);
        await Senders.RunAsync("logger", ["-n", "127.0.0.1", "-P", app.SyslogPort.ToString(), "-d", "-t", "plc", "tagged over udp"]);
        await app.WaitForEventCountAsync(2);

        foreach (var e in await app.AllEventsAsync())
        {
            var tags = e.GetProperty("tags").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString());
            Assert.Equal(new Dictionary<string, string?> { ["site"] = "plant-1", ["zone"] = "ot" }, tags);
        }
        var listener = await app.ListenerAsync("syslog-tcp");
        Assert.Equal("plant-1", listener.GetProperty("tags").GetProperty("site").GetString());
    }

    [Fact]
    public async Task An_extra_relp_listener_from_the_Listeners_list_takes_omrelp_with_its_own_name_and_tags()
    {
        var port = ApplianceProcess.FreePort();
        await using var app = await ApplianceProcess.StartAsync(null,
            "--Listeners:0:Name=relp-ot", "--Listeners:0:Protocol=relp", $"--Listeners:0:Bind=127.0.0.1:{port}",
            "--Listeners:0:Tags:zone=ot", "--Listeners:0:AllowedNetworks:0=127.0.0.1");
        var lines = Loghub.Load("Linux").Take(100).Select(l => l.Raw).ToList();
        await using var rsyslog = await Rsyslog.StartAsync($"""
            action(type="omrelp" target="127.0.0.1" port="{port}" template="RSYSLOG_SyslogProtocol23Format"
                   action.resumeRetryCount="-1" action.resumeInterval="1" queue.type="LinkedList")
            """, "module(load=\"omrelp\")");
        await rsyslog.AppendLinesAsync(lines);
        await app.WaitForEventCountAsync(lines.Count, TimeSpan.FromSeconds(90));

        var stored = await app.AllEventsAsync();
        Assert.All(stored, e =>
        {
            Assert.Equal("relp-ot", e.GetProperty("source").GetString());
            Assert.Equal("ot", e.GetProperty("tags").GetProperty("zone").GetString());
        });
        Assert.Equal(lines.Order(StringComparer.Ordinal), stored.Select(e => e.GetProperty("message").GetString()).Order(StringComparer.Ordinal));
        var stats = await app.StatsAsync();
        Assert.Equal(lines.Count, stats.GetProperty("bySource").GetProperty("relp-ot").GetInt64());
        var names = stats.GetProperty("listeners").EnumerateArray()
            .Select(l => $"{l.GetProperty("name").GetString()}/{l.GetProperty("transport").GetString()}/{l.GetProperty("status").GetString()}").ToList();
        Assert.Equal(["ingest/http-ndjson/listening", "syslog/syslog-udp/listening", "syslog/syslog-tcp/listening", "syslog-tls/syslog-tls/listening",
                      "relp/relp/listening", "relp-ot/relp/listening", "forward/forward/listening"], names);
    }

    public static TheoryData<string[], string> Mistakes() => new()
    {
        { ["--Relp:AllowedNetworks:0=10.0.0.1/8"], "relp: AllowedNetworks: '10.0.0.1/8' has bits set after the prefix; did you mean 10.0.0.0/8?" },
        { ["--SyslogTls:CertificateFile=/nonexistent/server.pem", "--SyslogTls:KeyFile=/nonexistent/server.key"],
          "syslog-tls: CertificateFile /nonexistent/server.pem does not exist" },
        { ["--SyslogTls:CertificateFile=/nonexistent/server.pem"], "syslog-tls: set both CertificateFile and KeyFile, or neither" },
        { ["--SyslogTls:ClientCaFile=/nonexistent/ca.pem"], "syslog-tls: ClientCaFile /nonexistent/ca.pem does not exist" },
        { ["--Listeners:0:Protocol=gelf", "--Listeners:0:Bind=127.0.0.1:1"], "Listeners:0: Protocol 'gelf' is not one of syslog, syslog-tls, relp" },
        { ["--relp", "localhost"], "relp listener: 'localhost' is not ADDR:PORT" },
    };

    [Theory]
    [MemberData(nameof(Mistakes))]
    public async Task A_listener_mistake_stops_start_up_with_one_line_saying_what_to_fix(string[] args, string expected)
    {
        var dir = Directory.CreateTempSubdirectory("redoubt-config-").FullName;
        try
        {
            await using var app = ApplianceProcess.Launch(dir, ApplianceProcess.FreePort(), ApplianceProcess.FreePort(), args);
            Assert.Equal(2, await app.WaitForExitAsync(TimeSpan.FromSeconds(60)));
            Assert.Contains("redoubt: " + expected, app.Output);
            Assert.DoesNotContain("   at ", app.Output);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public async Task A_TLS_port_in_use_stops_start_up_with_one_line_naming_it()
    {
        var dir = Directory.CreateTempSubdirectory("redoubt-busy-").FullName;
        using var squatter = new TcpListener(IPAddress.Loopback, 0);
        squatter.Start();
        var busy = ((IPEndPoint)squatter.LocalEndpoint).Port;
        try
        {
            await using var app = ApplianceProcess.Launch(dir, ApplianceProcess.FreePort(), ApplianceProcess.FreePort(), "--syslog-tls", $"127.0.0.1:{busy}");
            Assert.Equal(2, await app.WaitForExitAsync(TimeSpan.FromSeconds(60)));
            Assert.Contains($"redoubt: cannot listen for syslog-tls (syslog-tls) on tcp 127.0.0.1:{busy}", app.Output);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public async Task A_burst_of_connections_never_opens_more_than_the_maximum_on_tcp_or_relp()
    {
        // The review saw "1063 open, the maximum" with a maximum of 1024: the slot was counted only once
        // the connection's task ran, after the accept loop had already let many more through.
        const int max = 4, burst = 150;
        await using var app = await ApplianceProcess.StartAsync(null, $"--Syslog:MaxConnections={max}", "--Syslog:IdleTimeout=00:05:00");
        foreach (var (transport, port) in new[] { ("syslog-tcp", app.SyslogPort), ("relp", app.RelpPort) })
        {
            var clients = new List<TcpClient>();
            try
            {
                await Task.WhenAll(Enumerable.Range(0, burst).Select(async _ =>
                {
                    var c = new TcpClient();
                    lock (clients) clients.Add(c);
                    try { await c.ConnectAsync(IPAddress.Loopback, port); }
                    catch (SocketException) { /* refused with a reset before the connect completed */ }
                }));
                await Until(async () =>
                {
                    var l = await app.ListenerAsync(transport);
                    return l.GetProperty("connections").GetInt64() + l.GetProperty("refusedConnections").GetInt64() == burst;
                }, app);
                var listener = await app.ListenerAsync(transport);
                Assert.Equal(max, listener.GetProperty("connections").GetInt64());
                Assert.Equal(max, listener.GetProperty("openConnections").GetInt64());
                Assert.Equal(burst - max, listener.GetProperty("refusedConnections").GetInt64());
                Assert.Equal(burst - max, await app.RejectedAsync(transport, "connection-limit"));
            }
            finally
            {
                foreach (var c in clients) c.Dispose();
            }
            await Until(async () => (await app.ListenerAsync(transport)).GetProperty("openConnections").GetInt64() == 0, app);
        }
        Assert.DoesNotContain($"{max + 1} open, the maximum", app.Output);
    }

    private static async Task IgnoreResetAsync(Task send)
    {
        try { await send; }
        catch (Exception e) when (e is IOException or SocketException) { /* the appliance reset the connection, as it should */ }
    }

    private static async Task Until(Func<Task<bool>> condition, ApplianceProcess app)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (await condition()) return;
            await Task.Delay(100);
        }
        throw new TimeoutException("condition not met\n" + app.Output + "\n" + JsonSerializer.Serialize(await app.StatsAsync()));
    }
}

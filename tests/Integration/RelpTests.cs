using System.Text.Json;
using Redoubt.Tests.Support;
using Xunit.Abstractions;

namespace Redoubt.Tests.Integration;

/// <summary>
/// RELP with rsyslog's omrelp (librelp) as the sender, and a bare client for what librelp never
/// sends. The promise under test: an acknowledged line is durable, and a line rsyslog was given
/// arrives even when the appliance is stopped or killed in the middle of the stream.
/// </summary>
public sealed class RelpTests(ITestOutputHelper output)
{
    private static string Omrelp(int port, string extra = "") => $"""
        action(type="omrelp" target="127.0.0.1" port="{port}" template="RSYSLOG_SyslogProtocol23Format"
               action.resumeRetryCount="-1" action.resumeInterval="1"
               queue.type="LinkedList" queue.filename="relp_q" queue.size="20000" queue.saveOnShutdown="on"
               queue.dequeueBatchSize="64" timeout="5" conn.timeout="3" {extra})
        """;

    /// <summary>Real lines (loghub Linux and OpenSSH), each prefixed with its number so every one can be found again.</summary>
    private static List<string> NumberedRealLines(int count)
    {
        var real = Loghub.Load("Linux").Concat(Loghub.Load("OpenSSH")).Select(l => l.Raw).ToList();
        return Enumerable.Range(0, count).Select(i => $"n{i:D5} {real[i % real.Count]}").ToList();
    }

    private static int NumberOf(JsonElement e) => int.Parse(e.GetProperty("message").GetString()!.AsSpan(1, 5));

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Every_line_arrives_when_the_appliance_is_stopped_and_restarted_mid_stream(bool kill9)
    {
        const int total = 4000;
        var dir = Directory.CreateTempSubdirectory("redoubt-relp-restart-").FullName;
        var down = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var upAgain = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        try
        {
            var lines = NumberedRealLines(total);
            // 1. The appliance runs; rsyslog tails a file that an application keeps writing to.
            await using var first = await ApplianceProcess.StartAsync(new ApplianceStart { DataDir = dir });
            var again = first.SameStart();
            await using var sender = await Rsyslog.StartAsync(Omrelp(first.RelpPort), "module(load=\"omrelp\")");
            var writer = Task.Run(async () =>
            {
                // Like a busy application: the first part paced so the stop falls while rsyslog is sending,
                // the second while the appliance is down, the third after it is back.
                foreach (var chunk in lines[..1600].Chunk(40))
                {
                    await sender.AppendLinesAsync(chunk);
                    await Task.Delay(50);
                }
                await down.Task;
                await sender.AppendLinesAsync(lines[1600..2800]);
                await upAgain.Task;
                foreach (var chunk in lines[2800..].Chunk(100)) await sender.AppendLinesAsync(chunk);
            });

            // 2. Once part of the stream is stored, stop the appliance (SIGTERM) or kill it (-9); rsyslogd keeps running.
            await first.WaitForEventCountAsync(600, TimeSpan.FromSeconds(120));
            if (kill9) first.Kill();
            else Assert.Equal(0, await first.StopAsync());
            await first.DisposeAsync();
            down.SetResult();

            // 3. Restart on the same data dir and port; rsyslog reconnects and resends what was not acknowledged.
            await using var second = await ApplianceProcess.StartAsync(again);
            var storedBeforeRestart = (await second.StatsAsync()).GetProperty("events").GetInt64();
            upAgain.SetResult();
            await writer;
            var deadline = DateTime.UtcNow.AddSeconds(180);
            List<JsonElement> stored = [];
            while (DateTime.UtcNow < deadline)
            {
                stored = (await second.AllEventsAsync()).Where(e => e.GetProperty("transport").GetString() == "relp").ToList();
                if (stored.Select(NumberOf).Distinct().Count() == total) break;
                await Task.Delay(500);
            }

            var seen = stored.Select(NumberOf).ToHashSet();
            var missing = Enumerable.Range(0, total).Where(n => !seen.Contains(n)).ToList();
            var duplicates = stored.Count - seen.Count;
            output.WriteLine($"{(kill9 ? "kill -9" : "SIGTERM")}: {storedBeforeRestart} events stored when it came back, " +
                             $"{stored.Count} in the end for {total} lines: {missing.Count} missing, {duplicates} duplicates");
            Assert.True(missing.Count == 0,
                $"{missing.Count} lines lost, first {string.Join(", ", missing.Take(10))}\nrsyslog:\n{sender.Output}\nappliance:\n{second.Output}");
            // Each stored line is exactly the line the application wrote.
            var byNumber = lines.ToDictionary(l => int.Parse(l.AsSpan(1, 5)));
            Assert.All(stored, e => Assert.Equal(byNumber[NumberOf(e)], e.GetProperty("message").GetString()));
            Assert.All(stored, e => Assert.Equal("sender-host", e.GetProperty("host").GetString()));
        }
        finally
        {
            down.TrySetResult(); // a failed test must not leave the writer waiting forever
            upAgain.TrySetResult();
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>
    /// librelp's "anon" TLS mode uses anonymous Diffie-Hellman suites (no certificate at all, open to a
    /// man in the middle), which the appliance does not offer; senders check the certificate by name.
    /// This is the mutual, name-checked setup from SENDERS-NOTES 1.3.
    /// </summary>
    [Fact]
    public async Task Omrelp_over_mutual_TLS_delivers_every_line()
    {
        using var pki = TestPki.Create();
        await using var app = await ApplianceProcess.StartAsync(null, "--Relp:Tls=true",
            $"--Relp:CertificateFile={pki.ServerCertFile}", $"--Relp:KeyFile={pki.ServerKeyFile}", $"--Relp:ClientCaFile={pki.CaFile}");
        var lines = NumberedRealLines(200);
        await using var sender = await Rsyslog.StartAsync(Omrelp(app.RelpPort,
            $"""tls="on" tls.authMode="name" tls.permittedPeer=["receiver.test"] tls.caCert="{pki.CaFile}" tls.myCert="{pki.ClientCertFile}" tls.myPrivKey="{pki.ClientKeyFile}" """),
            "module(load=\"omrelp\")");
        await sender.AppendLinesAsync(lines);
        await app.WaitForEventCountAsync(lines.Count, TimeSpan.FromSeconds(90));
        var stored = await app.AllEventsAsync();
        Assert.Equal(lines.Order(StringComparer.Ordinal), stored.Select(e => e.GetProperty("message").GetString()).Order(StringComparer.Ordinal));
        var listener = await app.ListenerAsync("relp-tls");
        Assert.Contains("client certificates required", listener.GetProperty("tls").GetString());
        Assert.Empty(listener.GetProperty("rejected").EnumerateObject());
    }

    [Fact]
    public async Task The_ack_comes_only_once_the_event_is_durable_and_queryable()
    {
        await using var app = await ApplianceProcess.StartAsync();
        await using var client = await RelpClient.ConnectAsync(app.RelpPort);
        Assert.Equal("1 rsp 200 OK\nrelp_version=0\ncommands=syslog", await client.OpenAsync());
        for (var i = 2; i < 12; i++)
        {
            var marker = $"durable-{Guid.NewGuid():N}";
            await client.SendAsync(RelpClient.Frame(i, "syslog", $"<13>1 2026-12-03T10:00:00Z host app - - - {marker}\n"));
            Assert.Equal($"{i} rsp 200 OK", await client.ReadAsync());
            // No waiting: by the time the ack is read, the event must already be committed.
            var found = await app.GetJsonAsync($"/api/v1/events?q={marker}");
            Assert.Single(found.GetProperty("events").EnumerateArray());
        }
        await client.SendAsync(RelpClient.Frame(12, "close"));
        Assert.Equal("12 rsp 200 OK", await client.ReadAsync());
        Assert.Equal("0 serverclose ", await client.ReadAsync());
        Assert.Null(await client.ReadAsync());
    }

    [Fact]
    public async Task Frames_in_one_read_are_stored_together_and_each_acknowledged()
    {
        await using var app = await ApplianceProcess.StartAsync();
        await using var client = await RelpClient.ConnectAsync(app.RelpPort);
        var batch = RelpClient.Frame(1, "open", RelpClient.LibrelpOffer)
                    + string.Concat(Enumerable.Range(2, 50).Select(i => RelpClient.Frame(i, "syslog", $"<13>1 2026-12-03T10:00:00Z host app - - - batch {i}\n")));
        await client.SendAsync(batch);
        Assert.StartsWith("1 rsp 200 OK", await client.ReadAsync());
        for (var i = 2; i < 52; i++) Assert.Equal($"{i} rsp 200 OK", await client.ReadAsync());
        Assert.Equal(50, (await app.StatsAsync()).GetProperty("events").GetInt64());
    }

    [Fact]
    public async Task Bad_commands_get_a_500_with_the_reason_and_are_counted_and_a_broken_frame_ends_the_session()
    {
        await using var app = await ApplianceProcess.StartAsync();
        await using var client = await RelpClient.ConnectAsync(app.RelpPort);

        await client.SendAsync(RelpClient.Frame(1, "syslog", "<13>before open"));
        Assert.Equal("1 rsp 500 session not open (send open first)", await client.ReadAsync());
        await client.SendAsync(RelpClient.Frame(2, "open", "relp_version=0\ncommands=other\n"));
        Assert.Equal("2 rsp 500 client does not offer commands=syslog", await client.ReadAsync());
        Assert.StartsWith("3 rsp 200 OK", await client.OpenAsync(3));
        await client.SendAsync(RelpClient.Frame(4, "starttls"));
        Assert.Equal("4 rsp 500 command not supported: starttls", await client.ReadAsync());
        await client.SendAsync(RelpClient.Frame(5, "syslog", "\n"));
        Assert.Equal("5 rsp 500 empty syslog message", await client.ReadAsync());
        // A payload that is not syslog at all is still stored (raw, with a parse error) and acknowledged.
        await client.SendAsync(RelpClient.Frame(6, "syslog", "not syslog at all\n"));
        Assert.Equal("6 rsp 200 OK", await client.ReadAsync());
        await client.SendAsync("7 syslog 3 abcX");
        Assert.Equal("7 rsp 500 frame does not end in LF after DATALEN bytes of data", await client.ReadAsync());
        Assert.Equal("0 serverclose ", await client.ReadAsync());
        Assert.Null(await client.ReadAsync());

        Assert.Equal(4, await app.RejectedAsync("relp", "relp-command-refused"));
        Assert.Equal(1, await app.RejectedAsync("relp", "relp-bad-frame"));
        Assert.Contains("rejected (relp-bad-frame)", app.Output);
        var stored = (await app.AllEventsAsync()).Single();
        Assert.Equal("not syslog at all", stored.GetProperty("message").GetString());
    }

    [Fact]
    public async Task An_oversize_message_is_stored_cut_and_marked_acknowledged_and_the_next_frame_is_intact()
    {
        await using var app = await ApplianceProcess.StartAsync(null, "--Syslog:MaxMessageBytes=1000");
        await using var client = await RelpClient.ConnectAsync(app.RelpPort);
        Assert.StartsWith("1 rsp 200 OK", await client.OpenAsync());
        var head = "<13>1 2026-12-03T10:00:00Z host app - - - ";
        await client.SendAsync(RelpClient.Frame(2, "syslog", head + new string('x', 70_000) + "\n")
                               + RelpClient.Frame(3, "syslog", head + "after the long one\n"));
        Assert.Equal("2 rsp 200 OK", await client.ReadAsync());
        Assert.Equal("3 rsp 200 OK", await client.ReadAsync());

        var events = await app.AllEventsAsync();
        var cut = events.Single(e => e.GetProperty("flags").EnumerateArray().Any(f => f.GetString() == "truncated"));
        Assert.Equal(1000 - head.Length, cut.GetProperty("message").GetString()!.Length);
        Assert.Equal("after the long one", events.Single(e => e.GetProperty("id").GetInt64() != cut.GetProperty("id").GetInt64())
            .GetProperty("message").GetString());
        Assert.Equal(1, (await app.StatsAsync()).GetProperty("truncated").GetInt64());
    }
}

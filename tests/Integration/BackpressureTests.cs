using System.Net;
using System.Text;
using System.Text.Json;
using Redoubt.Tests.Support;

namespace Redoubt.Tests.Integration;

/// <summary>
/// A real overload: the ingest budget is set small (1 MB) and a slow client holds most of it with a
/// batch that is not finished. Every other listener then gives its protocol's busy signal, nothing
/// is lost, and everything goes through once the budget frees up.
/// </summary>
public sealed class BackpressureTests
{
    private static List<string> RealLines() =>
        Directory.GetFiles(SharedData.PathOf("agent-events", "otrf-security-datasets", "windows"), "*.json").Order(StringComparer.Ordinal)
            .SelectMany(File.ReadLines).Where(l => l.Length is > 0 and < 8000).ToList();

    private static string Take(List<string> lines, ref int from, int bytes)
    {
        var sb = new StringBuilder();
        while (sb.Length < bytes) sb.Append(lines[from++]).Append('\n');
        return sb.ToString();
    }

    [Fact]
    public async Task When_the_budget_is_full_http_answers_503_forward_withholds_its_ack_tcp_syslog_waits_and_nothing_is_lost()
    {
        await using var app = await ApplianceProcess.StartAsync(null,
            "--Ingest:MaxPendingBytes=1000000", "--Ingest:MaxBodyBytes=1000000", "--Ingest:MaxLineBytes=65536",
            "--Forward:MaxFrameBytes=1000000", "--Forward:BusyWait=00:00:00.5", "--Ingest:RetryAfterSeconds=1");
        var lines = RealLines();
        var at = 0;

        // 1. Two slow clients: 600 kB of each batch sent, the rest held back. Both were admitted when
        //    they began, so both are finished later; together they hold more than the budget.
        var heldParts = new List<byte[]>();
        var helds = new List<GatedContent>();
        var slows = new List<Task<HttpResponseMessage>>();
        long sent = 0;
        for (var i = 0; i < 2; i++)
        {
            var part = Encoding.UTF8.GetBytes(Take(lines, ref at, 600_000));
            var rest = Encoding.UTF8.GetBytes(Take(lines, ref at, 10_000));
            heldParts.Add([.. part, .. rest]);
            var held = new GatedContent(part, rest);
            helds.Add(held);
            slows.Add(app.Http.PostAsync("/api/v1/ingest", held));
            sent += part.Length;
            await NdjsonIngestTests.WaitAsync(app, s => s.GetProperty("ingest").GetProperty("pendingBytes").GetInt64() >= sent);
        }

        // 2. HTTP: another batch is refused at once with 503, a stable code and Retry-After.
        var second = Take(lines, ref at, 100_000);
        using (var busy = await app.PostNdjsonAsync(second))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, busy.StatusCode);
            Assert.Equal("1", busy.Headers.GetValues("Retry-After").Single());
            var body = JsonDocument.Parse(await busy.Content.ReadAsStringAsync()).RootElement;
            Assert.Equal("busy", body.GetProperty("error").GetString());
            Assert.Equal(0, body.GetProperty("accepted").GetInt32());
        }

        // 3. Forward: a message that asks for an ack gets none; the connection is closed so the client retries.
        var forwardLines = Enumerable.Range(0, 80).Select(_ => lines[at++]).ToList();
        var frame = ForwardFrames.Forward("busy.forward", forwardLines, 1767225600, chunk: "busy-chunk");
        await using (var client = await ForwardClient.ConnectAsync(app.ForwardPort))
        {
            await client.SendAsync(frame);
            Assert.True(await client.ClosedByServerAsync(TimeSpan.FromSeconds(30)), "no ack may come while the store is busy");
        }

        // 4. TCP syslog has no ack to withhold: its reads wait, and the sender with them.
        var syslogLines = Loghub.Load("OpenSSH").Take(1000).Select(l => l.Raw).ToList();
        var syslog = Senders.SendTcpLinesAsync(app.SyslogPort, syslogLines);
        var stats = await app.StatsAsync();
        Assert.Equal(0, stats.GetProperty("events").GetInt64());
        Assert.False(syslog.IsCompleted);
        var listeners = stats.GetProperty("listeners").EnumerateArray().ToList();
        Assert.Equal(1, listeners.Single(l => l.GetProperty("transport").GetString() == "http-ndjson").GetProperty("busy").GetInt64());
        Assert.Equal(1, listeners.Single(l => l.GetProperty("transport").GetString() == "forward").GetProperty("busy").GetInt64());
        Assert.Contains("store busy", app.Output);

        // 5. The slow batches complete: the budget frees, syslog goes through, and the retries succeed.
        foreach (var held in helds) held.Open();
        foreach (var slow in slows)
            using (var done = await slow)
                Assert.Equal(HttpStatusCode.OK, done.StatusCode);
        await syslog.WaitAsync(TimeSpan.FromSeconds(60));
        using (var retry = await app.PostNdjsonAsync(second))
            Assert.Equal(HttpStatusCode.OK, retry.StatusCode);
        await using (var client = await ForwardClient.ConnectAsync(app.ForwardPort))
        {
            await client.SendAsync(frame);
            Assert.Equal("busy-chunk", ForwardClient.AckOf((await client.ReadReplyAsync())!));
        }

        var heldCount = heldParts.Sum(p => p.Count(b => b == (byte)'\n'));
        var expected = heldCount + second.Count(c => c == '\n') + forwardLines.Count + syslogLines.Count;
        await app.WaitForEventCountAsync(expected);
        Assert.Equal(expected, (await app.StatsAsync()).GetProperty("events").GetInt64()); // each once: refused means not stored
        Assert.Equal(0, (await app.StatsAsync()).GetProperty("ingest").GetProperty("pendingBytes").GetInt64());
    }

    [Fact]
    public async Task A_budget_smaller_than_one_batch_could_never_admit_it_and_stops_start_up_with_one_line()
    {
        var dir = Directory.CreateTempSubdirectory("redoubt-budget-").FullName;
        try
        {
            await using var app = ApplianceProcess.Launch(dir, ApplianceProcess.FreePort(), ApplianceProcess.FreePort(), "--Ingest:MaxPendingBytes=1000");
            Assert.Equal(2, await app.WaitForExitAsync(TimeSpan.FromSeconds(60)));
            Assert.Contains("redoubt: Ingest:MaxPendingBytes 1000 is below Ingest:MaxBodyBytes", app.Output);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}

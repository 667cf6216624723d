using System.Globalization;
using System.Text.RegularExpressions;
using Redoubt.Tests.Support;

namespace Redoubt.Tests.Integration;

/// <summary>Per-listener and per-source counters in /api/v1/stats and as Prometheus text at /metrics; quiet sources.</summary>
public sealed partial class MetricsTests
{
    [GeneratedRegex("""^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(?<labels>\{([a-zA-Z_][a-zA-Z0-9_]*="(\\[\\"n]|[^"\\\n])*",?)*\})? (?<value>[-+]?([0-9]*\.?[0-9]+([eE][-+]?[0-9]+)?|NaN|Inf))$""")]
    private static partial Regex SampleLine();

    [GeneratedRegex("""^# (HELP|TYPE) (?<name>[a-zA-Z_:][a-zA-Z0-9_:]*) .+$""")]
    private static partial Regex CommentLine();

    /// <summary>Parses the exposition strictly: every line a comment or a sample of a declared family, no series twice.</summary>
    private static Dictionary<string, double> Parse(string text)
    {
        var declared = new HashSet<string>();
        var samples = new Dictionary<string, double>();
        Assert.EndsWith("\n", text);
        foreach (var line in text.TrimEnd('\n').Split('\n'))
        {
            if (line.StartsWith('#'))
            {
                var c = CommentLine().Match(line);
                Assert.True(c.Success, $"bad comment line: {line}");
                if (line.StartsWith("# TYPE ")) Assert.True(declared.Add(c.Groups["name"].Value), $"family declared twice: {line}");
                continue;
            }
            var m = SampleLine().Match(line);
            Assert.True(m.Success, $"bad sample line: {line}");
            Assert.Contains(m.Groups["name"].Value, declared);
            var series = m.Groups["name"].Value + m.Groups["labels"].Value;
            Assert.True(samples.TryAdd(series, double.Parse(m.Groups["value"].Value, CultureInfo.InvariantCulture)), $"series twice: {line}");
        }
        return samples;
    }

    private static async Task<Dictionary<string, double>> MetricsAsync(ApplianceProcess app)
    {
        using var r = await app.Http.GetAsync("/metrics");
        Assert.True(r.IsSuccessStatusCode);
        Assert.Equal("text/plain; version=0.0.4; charset=utf-8", r.Content.Headers.ContentType!.ToString());
        return Parse(await r.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Metrics_are_prometheus_text_counting_per_listener_and_per_source_what_real_senders_sent()
    {
        await using var app = await ApplianceProcess.StartAsync();
        var ssh = Loghub.Load("OpenSSH").Take(200).Select(l => l.Raw).ToList();      // host LabSZ, over TCP
        var linux = Loghub.Load("Linux").Take(50).Select(l => l.Raw).ToList();       // host combo, over UDP
        await Senders.SendTcpLinesAsync(app.SyslogPort, ssh);
        await Senders.SendUdpLinesAsync(app.SyslogPort, linux);
        using (var r = await app.PostNdjsonAsync("{\"host\":\"we\\\"ird\\\\host\\nx\",\"message\":\"escaped\"}\n{broken\n"))
            Assert.True(r.IsSuccessStatusCode);
        var fluent = await FluentLogger.SendAsync(app.ForwardPort, "Message", [new FluentEvent("m", new { host = "agent-1", message = "via forward" })]);
        Assert.True(fluent.Acked == 1, fluent.ToString());
        await app.WaitForEventCountAsync(252);

        var m = await MetricsAsync(app);
        Assert.Equal(252, m["redoubt_store_events"]);
        Assert.Equal(200, m["redoubt_listener_received_total{listener=\"syslog\",transport=\"syslog-tcp\"}"]);
        Assert.Equal(50, m["redoubt_listener_received_total{listener=\"syslog\",transport=\"syslog-udp\"}"]);
        Assert.Equal(1, m["redoubt_listener_parsed_total{listener=\"forward\",transport=\"forward\"}"]);
        Assert.Equal(2, m["redoubt_listener_received_total{listener=\"ingest\",transport=\"http-ndjson\"}"]);
        Assert.Equal(1, m["redoubt_listener_parse_errors_total{listener=\"ingest\",transport=\"http-ndjson\"}"]);
        Assert.Equal(1, m["redoubt_listener_up{listener=\"forward\",transport=\"forward\"}"]);
        Assert.True(m["redoubt_listener_bytes_total{listener=\"syslog\",transport=\"syslog-tcp\"}"] >= ssh.Sum(l => l.Length + 1));
        Assert.Equal(200, m["redoubt_source_received_total{source=\"LabSZ\"}"]);
        Assert.Equal(ssh.Sum(l => l.Length), m["redoubt_source_bytes_total{source=\"LabSZ\"}"]);
        Assert.Equal(50, m["redoubt_source_received_total{source=\"combo\"}"]);
        Assert.Equal(1, m["redoubt_source_received_total{source=\"agent-1\"}"]);
        Assert.Equal(1, m["redoubt_source_received_total{source=\"we\\\"ird\\\\host\\nx\"}"]); // label escaping
        Assert.Equal(1, m["redoubt_source_parse_errors_total{source=\"127.0.0.1\"}"]); // the rejected line: no host, so its address
        Assert.Equal(0, m["redoubt_source_quiet{source=\"LabSZ\"}"]);
        var lastSeen = DateTimeOffset.FromUnixTimeMilliseconds((long)(m["redoubt_source_last_seen_timestamp_seconds{source=\"LabSZ\"}"] * 1000));
        Assert.InRange(lastSeen, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddMinutes(1));

        var source = (await app.StatsAsync()).GetProperty("sources").EnumerateArray().Single(s => s.GetProperty("source").GetString() == "LabSZ");
        Assert.Equal(200, source.GetProperty("received").GetInt64());
        Assert.Equal(200, source.GetProperty("parsed").GetInt64());
        Assert.Equal("syslog", source.GetProperty("lastListener").GetString());
        Assert.StartsWith("127.0.0.1:", source.GetProperty("lastSender").GetString());
        Assert.False(source.GetProperty("quiet").GetBoolean());
    }

    [Fact]
    public async Task A_source_that_goes_quiet_is_flagged_in_stats_and_metrics_and_still_after_a_restart()
    {
        var dir = Directory.CreateTempSubdirectory("redoubt-quiet-").FullName;
        try
        {
            await using (var app = await ApplianceProcess.StartAsync(dir, "--Ingest:QuietAfter=00:00:10"))
            {
                using (var r = await app.PostNdjsonAsync("{\"host\":\"quiet-host\",\"message\":\"last words\"}\n"))
                    Assert.True(r.IsSuccessStatusCode);
                Assert.False(Quiet(await app.StatsAsync(), "quiet-host"));
                await NdjsonIngestTests.WaitAsync(app, s => Quiet(s, "quiet-host"));
                var m = await MetricsAsync(app);
                Assert.Equal(1, m["redoubt_source_quiet{source=\"quiet-host\"}"]);
                Assert.Equal(1, m["redoubt_sources_quiet"]);
                Assert.Equal(0, await app.StopAsync());
            }

            // The last-seen time comes back from the log: the source is still known, and still quiet.
            await using var again = await ApplianceProcess.StartAsync(dir, "--Ingest:QuietAfter=00:00:10");
            var stats = await again.StatsAsync();
            Assert.True(Quiet(stats, "quiet-host"));
            Assert.Equal(0, stats.GetProperty("sources").EnumerateArray().Single(s => s.GetProperty("source").GetString() == "quiet-host").GetProperty("received").GetInt64());
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    private static bool Quiet(System.Text.Json.JsonElement stats, string source) =>
        stats.GetProperty("sources").EnumerateArray().Single(s => s.GetProperty("source").GetString() == source).GetProperty("quiet").GetBoolean();
}

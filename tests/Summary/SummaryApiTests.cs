using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Redoubt.Tests.Support;

namespace Redoubt.Tests.Summary;

/// <summary>
/// The SOC summary through the real appliance: the loghub OpenSSH log (real brute force against a real
/// server), re-stamped to the last hours and sent over TCP syslog, a correlation over it, an imported
/// inventory whose crown jewel the server stores, then GET /api/v1/summary under a strict redaction
/// policy — and the clear user names, addresses and host names searched for in the whole answer.
/// </summary>
public class SummaryApiTests
{
    /// <summary>The real lines with their RFC 3164 timestamps moved so the last one is <paramref name="lastAt"/> (gaps between lines kept).</summary>
    public static List<string> Restamped(IEnumerable<string> lines, DateTime lastAt)
    {
        var parsed = lines.Select(l => (At: DateTime.ParseExact(l[..15], "MMM d HH:mm:ss", CultureInfo.InvariantCulture, DateTimeStyles.AllowWhiteSpaces), Tail: l[15..])).ToList();
        var shift = lastAt - parsed.Max(p => p.At);
        return parsed.Select(p => Rfc3164Stamp(p.At + shift) + p.Tail).ToList();
    }

    private static string Rfc3164Stamp(DateTime t) =>
        t.ToString("MMM", CultureInfo.InvariantCulture) + " " + t.Day.ToString(CultureInfo.InvariantCulture).PadLeft(2) + " " + t.ToString("HH:mm:ss", CultureInfo.InvariantCulture);

    [Fact]
    public async Task Summary_counts_alerts_entities_new_paths_and_ingestion_and_redacts_users_hosts_and_addresses()
    {
        var rules = SshBruteForceSite.RulesDir();
        try
        {
            await using var app = await ApplianceProcess.StartAsync(null, "--rules", rules,
                "--Summary:Redaction:Name=soc-strict", "--Summary:Redaction:Users=hash", "--Summary:Redaction:Hosts=hash",
                "--Summary:Redaction:IpAddresses=truncate", "--Summary:Redaction:OmitMessages=false",
                "--Summary:Schedules:tick=*/20 * * * * *", "--Summary:SettleSeconds=1");
            var imported = await SshBruteForceSite.ImportPayrollSiteAsync(app);
            var lines = Restamped(Loghub.Load("OpenSSH").Select(l => l.Raw), DateTime.UtcNow.AddMinutes(-2));
            await Senders.SendTcpLinesAsync(app.SyslogPort, lines);
            var storedEvents = lines.Count + imported;
            await AlertApi.WaitForDetectionAsync(app, storedEvents);
            var alerts = await WaitForContextAsync(app);

            var since = DateTimeOffset.UtcNow.AddHours(-6);
            var summaryText = await WaitForIngestionAsync(app, since, storedEvents);
            var summary = JsonDocument.Parse(summaryText).RootElement;

            // Which policy: name and the hash of its settings.
            var redaction = summary.GetProperty("redaction");
            Assert.Equal("soc-strict", redaction.GetProperty("policy").GetString());
            Assert.Equal("users=hash;hosts=hash;ipAddresses=truncate;omitMessages=false", redaction.GetProperty("settings").GetString());
            Assert.Equal("sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(redaction.GetProperty("settings").GetString()!))),
                redaction.GetProperty("settingsHash").GetString());

            // Alert counts agree with the alert API (which an admin token sees in clear).
            var s = summary.GetProperty("alerts");
            Assert.Equal(alerts.Count, s.GetProperty("active").GetProperty("count").GetInt32());
            Assert.Equal(alerts.Count, s.GetProperty("new").GetProperty("count").GetInt32());
            Assert.Equal(alerts.Count, s.GetProperty("open").GetProperty("count").GetInt32());
            Assert.Equal(alerts.Count(a => a.GetProperty("severity").GetString() == "high"), s.GetProperty("active").GetProperty("bySeverity").GetProperty("high").GetInt32());
            var brute = alerts.Where(a => a.GetProperty("kind").GetString() == "correlation").ToList();
            Assert.NotEmpty(brute);
            var byRule = s.GetProperty("byRule").EnumerateArray().ToDictionary(r => r.GetProperty("id").GetString()!, r => r.GetProperty("alerts").GetInt32());
            Assert.Equal(brute.Count, byRule[SshBruteForceSite.BruteForceRule]);
            Assert.False(byRule.ContainsKey(SshBruteForceSite.FailedLoginRule)); // counted by the correlation, raises nothing itself

            // Top risky entities come from the alerts' risk; the brute-forcing addresses reach the crown jewel in 2 hops.
            var top = summary.GetProperty("topRiskyEntities").EnumerateArray().ToList();
            Assert.NotEmpty(top);
            Assert.Equal(alerts.Max(a => a.GetProperty("risk").GetInt32()), top[0].GetProperty("maxRisk").GetInt32());
            Assert.Contains(top, e => e.GetProperty("entity").GetString() == "src_ip" && e.GetProperty("crownJewelHops").GetInt32() == 2);

            // New attack paths: the imported STORES edge is old; the address → server edges came in this window.
            var paths = summary.GetProperty("attackPaths").GetProperty("new").EnumerateArray().ToList();
            Assert.NotEmpty(paths);
            Assert.All(paths, p =>
            {
                Assert.Equal("DataStore:payroll-db", p.GetProperty("nodes").EnumerateArray().Last().GetString());
                Assert.All(p.GetProperty("newEdges").EnumerateArray(), e => Assert.True(e.GetProperty("firstSeen").GetDateTimeOffset() >= since));
                Assert.DoesNotContain(p.GetProperty("newEdges").EnumerateArray(), e => e.GetProperty("type").GetString() == "STORES");
            });

            // Ingestion: every line arrived from one source in this window; none failed to parse.
            var ingestion = summary.GetProperty("ingestion");
            Assert.Equal(storedEvents, ingestion.GetProperty("events").GetInt64());
            Assert.Equal(0, ingestion.GetProperty("parseErrors").GetInt64());
            // Two sources: the log's host, and "import" (the graph import's items, hashed like any host name).
            var sources = ingestion.GetProperty("sources").EnumerateArray().OrderByDescending(s => s.GetProperty("events").GetInt64()).ToList();
            Assert.Equal(2, sources.Count);
            Assert.Equal(storedEvents - lines.Count, sources[1].GetProperty("events").GetInt64());
            var source = sources[0];
            Assert.Equal(lines.Count, source.GetProperty("events").GetInt64());
            Assert.False(source.GetProperty("quiet").GetBoolean());

            // Redaction: no clear user, address or host name anywhere in the answer; the pseudonyms are this site's HMAC.
            var secret = File.ReadAllBytes(Path.Combine(app.DataDir, "summary", "site-secret"));
            var users = alerts.SelectMany(a => a.GetProperty("entities").EnumerateObject()).Where(e => e.Name == "user").Select(e => e.Value.GetString()!).Distinct().ToList();
            var ips = alerts.SelectMany(a => a.GetProperty("entities").EnumerateObject()).Where(e => e.Name == "src_ip").Select(e => e.Value.GetString()!).Distinct().ToList();
            Assert.NotEmpty(users);
            Assert.NotEmpty(ips);
            foreach (var clear in users.Concat(ips).Append("labsz").Append("LabSZ"))
                Assert.DoesNotContain(clear, summaryText, StringComparison.OrdinalIgnoreCase);
            foreach (var user in users) Assert.Contains("user#" + Pseudonym(secret, "user", user), summaryText);
            Assert.Contains("host#" + Pseudonym(secret, "host", "labsz"), summaryText);
            foreach (var ip in ips) Assert.Contains(Truncated(ip), summaryText);
            // Messages were asked for: they are there, with the same values replaced.
            Assert.Contains(s.GetProperty("new").GetProperty("items").EnumerateArray(), a => a.TryGetProperty("message", out var m) && m.GetString()!.Contains("port"));

            // A token that may only read summaries sees source names redacted in the counters too, and no events.
            var (created, token) = await AlertApi.PostAsync(app, "/api/v1/tokens", """{"name":"soc","scopes":["summary:read"],"expiresInDays":1}""");
            Assert.Equal(201, created);
            using var soc = app.NewClient(bearer: token.GetProperty("token").GetString());
            var stats = await soc.GetStringAsync("/api/v1/stats");
            var metrics = await soc.GetStringAsync("/metrics");
            Assert.DoesNotContain("labsz", stats, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("labsz", metrics, StringComparison.OrdinalIgnoreCase);
            Assert.Contains("host#" + Pseudonym(secret, "host", "labsz"), stats);
            Assert.Contains("host#" + Pseudonym(secret, "host", "labsz"), metrics);
            Assert.Contains("labsz", await app.Http.GetStringAsync("/api/v1/stats"), StringComparison.OrdinalIgnoreCase); // the admin sees it
            Assert.Equal(HttpStatusCode.Forbidden, (await soc.GetAsync("/api/v1/events")).StatusCode);
            Assert.Equal(HttpStatusCode.Forbidden, (await soc.GetAsync("/api/v1/alerts")).StatusCode);
            var socSummary = await soc.GetStringAsync("/api/v1/summary?since=" + Uri.EscapeDataString(since.ToString("o")));
            foreach (var clear in users.Concat(ips).Append("labsz")) Assert.DoesNotContain(clear, socSummary, StringComparison.OrdinalIgnoreCase);

            // Stored summaries: the "tick" schedule's windows follow each other without hole or overlap, so
            // together they hold every alert exactly once as new; each downloads as JSON and as CSV.
            var stored = await WaitForStoredAsync(app, "tick", DateTimeOffset.UtcNow);
            for (var i = 1; i < stored.Count; i++)
                Assert.Equal(stored[i - 1].GetProperty("until").GetDateTimeOffset(), stored[i].GetProperty("since").GetDateTimeOffset());
            var newByWindow = new Dictionary<string, int>();
            foreach (var entry in stored)
            {
                Assert.Equal("soc-strict", entry.GetProperty("redaction").GetProperty("policy").GetString());
                var json = await app.Http.GetStringAsync(entry.GetProperty("json").GetString());
                var doc = JsonDocument.Parse(json).RootElement;
                Assert.Equal(entry.GetProperty("id").GetString(), doc.GetProperty("id").GetString());
                Assert.Equal("tick", doc.GetProperty("schedule").GetString());
                newByWindow[doc.GetProperty("id").GetString()!] = doc.GetProperty("alerts").GetProperty("new").GetProperty("count").GetInt32();
                foreach (var clear in users.Concat(ips)) Assert.DoesNotContain(clear, json, StringComparison.OrdinalIgnoreCase);
            }
            Assert.Equal(alerts.Count, newByWindow.Values.Sum());
            var withAlerts = newByWindow.MaxBy(w => w.Value).Key;
            var csvText = await app.Http.GetStringAsync($"/api/v1/summaries/{withAlerts}.csv");
            var rows = Csv.Parse(csvText).Where(r => r.Count > 1).ToList();
            Assert.Equal("summary,since,until,section,item,metric,value", string.Join(",", rows[0]));
            Assert.All(rows, r => Assert.Equal(7, r.Count));
            Assert.All(rows.Skip(1), r => Assert.Equal(withAlerts, r[0]));
            var storedDoc = JsonDocument.Parse(await app.Http.GetStringAsync($"/api/v1/summaries/{withAlerts}.json")).RootElement;
            Assert.Equal(storedDoc.GetProperty("alerts").GetProperty("new").GetProperty("count").GetRawText(),
                rows.Single(r => r[3] == "alerts.new" && r[4] == "" && r[5] == "count")[6]);
            Assert.Equal(storedDoc.GetProperty("redaction").GetProperty("settingsHash").GetString(),
                rows.Single(r => r[3] == "redaction" && r[5] == "settingsHash")[6]);
            Assert.Equal(HttpStatusCode.NotFound, (await app.Http.GetAsync("/api/v1/summaries/tick-19700101T000000Z.json")).StatusCode);
            Assert.Equal(HttpStatusCode.BadRequest, (await app.Http.GetAsync($"/api/v1/summaries/{withAlerts}.xml")).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await soc.GetAsync($"/api/v1/summaries/{withAlerts}.csv")).StatusCode);

            // The alert queue pulled incrementally (sort=updated), two at a time along the keyset cursor: every
            // alert comes; then a triaged one comes again from the cursor kept, in its new state.
            var pulled = new HashSet<string>();
            string? cursor = null;
            for (var more = true; more;)
            {
                var page = await app.GetJsonAsync("/api/v1/alerts?sort=updated&limit=2" + (cursor is null ? "" : "&cursor=" + Uri.EscapeDataString(cursor)));
                foreach (var a in page.GetProperty("alerts").EnumerateArray()) pulled.Add(a.GetProperty("id").GetString()!);
                cursor = page.GetProperty("nextCursor").GetString();
                more = page.GetProperty("more").GetBoolean();
            }
            Assert.Equal(alerts.Select(a => a.GetProperty("id").GetString()!).ToHashSet(), pulled);
            var triaged = alerts[0].GetProperty("id").GetString()!;
            var (triageStatus, triageBody) = await AlertApi.PostAsync(app, $"/api/v1/alerts/{triaged}/triage", """{"state":"acknowledged","comment":"seen by the SOC"}""");
            Assert.True(triageStatus == 200, triageBody.ToString());
            var changed = await WaitForAsync(async () => (await app.GetJsonAsync("/api/v1/alerts?sort=updated&cursor=" + Uri.EscapeDataString(cursor!)))
                .GetProperty("alerts").EnumerateArray().ToList(), l => l.Count > 0);
            Assert.Contains(changed, a => a.GetProperty("id").GetString() == triaged && a.GetProperty("state").GetString() == "acknowledged");
            Assert.Equal(HttpStatusCode.BadRequest, (await app.Http.GetAsync("/api/v1/alerts?sort=updated&cursor=12")).StatusCode);

            // Bad windows say why.
            Assert.Equal(HttpStatusCode.BadRequest, (await app.Http.GetAsync("/api/v1/summary?since=yesterday")).StatusCode);
            Assert.Equal(HttpStatusCode.BadRequest, (await app.Http.GetAsync("/api/v1/summary?since=2026-01-02T00:00:00Z&until=2026-01-01T00:00:00Z")).StatusCode);
            Assert.Equal(HttpStatusCode.BadRequest, (await app.Http.GetAsync("/api/v1/summary?from=2026-01-01T00:00:00Z")).StatusCode);
            // The calendar's ends (review: a 500 from an overflow in the window's day keys).
            foreach (var window in new[] { "since=9999-12-31T23:59:59Z&until=9999-12-31T23:59:59.9999999Z", "since=0001-01-01T00:00:00Z&until=0001-01-02T00:00:00Z", "until=0001-01-01T12:00:00Z" })
            {
                using var r = await app.Http.GetAsync("/api/v1/summary?" + window);
                Assert.True(r.StatusCode == HttpStatusCode.BadRequest, $"{window}: {(int)r.StatusCode} {await r.Content.ReadAsStringAsync()}");
                Assert.Contains("from 1970 to 9998", await r.Content.ReadAsStringAsync());
            }
        }
        finally { Directory.Delete(rules, recursive: true); }
    }

    public static string Pseudonym(byte[] secret, string kind, string value) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(secret, Encoding.UTF8.GetBytes(kind + ":" + value)).AsSpan(0, 8));

    private static string Truncated(string ip)
    {
        var b = IPAddress.Parse(ip).GetAddressBytes();
        b[3] = 0;
        return new IPAddress(b) + "/24";
    }

    /// <summary>Every alert, once each has its graph context and risk.</summary>
    private static async Task<List<JsonElement>> WaitForContextAsync(ApplianceProcess app)
    {
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (true)
        {
            var all = await AlertApi.AllAsync(app);
            if (all.Count > 0 && all.All(a => a.GetProperty("context").ValueKind == JsonValueKind.Object)) return all;
            if (DateTime.UtcNow > deadline) throw new TimeoutException("alerts were not enriched\n" + app.Output);
            await Task.Delay(200);
        }
    }

    private static async Task<T> WaitForAsync<T>(Func<Task<T>> read, Func<T, bool> done)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var value = await read();
            if (done(value) || DateTime.UtcNow > deadline) return value;
            await Task.Delay(100);
        }
    }

    /// <summary>A schedule's stored summaries, oldest first, once one ends after <paramref name="after"/>.</summary>
    private static async Task<List<JsonElement>> WaitForStoredAsync(ApplianceProcess app, string schedule, DateTimeOffset after)
    {
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (true)
        {
            var page = JsonDocument.Parse(await app.Http.GetStringAsync($"/api/v1/summaries?schedule={schedule}&limit=1000")).RootElement;
            var list = page.GetProperty("summaries").EnumerateArray().Reverse().ToList();
            if (list.Count > 0 && list[^1].GetProperty("until").GetDateTimeOffset() > after) return list;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"no {schedule} summary ended after {after:o}\n" + page + "\n" + app.Output);
            await Task.Delay(500);
        }
    }

    /// <summary>The summary of [since, now) once the ingestion history holds every event sent.</summary>
    private static async Task<string> WaitForIngestionAsync(ApplianceProcess app, DateTimeOffset since, int events)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var text = await app.Http.GetStringAsync("/api/v1/summary?since=" + Uri.EscapeDataString(since.ToString("o")));
            if (JsonDocument.Parse(text).RootElement.GetProperty("ingestion").GetProperty("events").GetInt64() >= events) return text;
            if (DateTime.UtcNow > deadline) throw new TimeoutException("ingestion history did not reach every event\n" + text);
            await Task.Delay(200);
        }
    }
}

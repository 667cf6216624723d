using System.Text.Json;
using Redoubt.Tests.Detection.Correlation;
using Redoubt.Tests.Support;

namespace Redoubt.Tests.Detection;

/// <summary>
/// Alerts through the real appliance: the loghub OpenSSH log relayed over TCP syslog, a brute-force
/// correlation over it, graph context from an imported asset inventory, triage, IOC lists imported
/// through the API, and a kill -9 in the middle of detection that must neither lose nor double an alert.
/// </summary>
public class AlertApplianceTests
{
    private static IReadOnlyList<string> OpenSshLines() => Loghub.Load("OpenSSH").Select(l => l.Raw).ToList();

    private static List<string> ExpectedBruteForcers() =>
        CorrelationRun.Failures(CorrelationRun.OpenSsh()).GroupBy(f => f.Ip)
            .Where(g => g.Select(f => f.Time).Order().ToList() is var t && Enumerable.Range(0, t.Count).Any(i => t.Count(x => x >= t[i] && x <= t[i] + 600_000) >= 20))
            .Select(g => g.Key).Order().ToList();

    [Fact]
    public async Task Brute_force_in_the_OpenSSH_log_becomes_correlation_alerts_with_graph_context_and_triage()
    {
        var rules = SshBruteForceSite.RulesDir();
        try
        {
            await using var app = await ApplianceProcess.StartAsync(null, "--rules", rules);
            // What the site knows: the server holds the payroll database.
            var imported = await SshBruteForceSite.ImportPayrollSiteAsync(app);

            var lines = OpenSshLines();
            await Senders.SendTcpLinesAsync(app.SyslogPort, lines);
            await AlertApi.WaitForDetectionAsync(app, lines.Count + imported);

            var alerts = await AlertApi.AllAsync(app);
            var brute = alerts.Where(a => a.GetProperty("kind").GetString() == "correlation").ToList();
            Assert.Equal(ExpectedBruteForcers(), brute.Select(a => a.GetProperty("entities").GetProperty("src_ip").GetString()!).Order().ToList());
            // The counted rule raises nothing of its own; the accepted login does.
            Assert.DoesNotContain(alerts, a => a.GetProperty("rule").GetProperty("id").GetString()!.EndsWith("0001"));
            var accepted = Assert.Single(alerts, a => a.GetProperty("rule").GetProperty("id").GetString()!.EndsWith("0003"));
            Assert.Equal("fztu", accepted.GetProperty("entities").GetProperty("user").GetString());

            var first = brute[0];
            Assert.Equal("high", first.GetProperty("severity").GetString());
            Assert.Equal(["T1110.001"], first.GetProperty("rule").GetProperty("attack").GetProperty("techniques").EnumerateArray().Select(x => x.GetString()));
            Assert.Equal("Redoubt tests", first.GetProperty("rule").GetProperty("author").GetString());
            Assert.True(first.GetProperty("count").GetInt64() >= 1);
            Assert.True(first.GetProperty("evidence").GetArrayLength() >= 20);

            // The correlation's state is visible and bounded.
            var listing = await app.GetJsonAsync("/api/v1/rules");
            var summary = listing.GetProperty("summary");
            Assert.Equal(1, summary.GetProperty("correlations").GetInt32());
            Assert.True(summary.GetProperty("correlationWindows").GetInt32() <= summary.GetProperty("correlationWindowCap").GetInt32());
            var correlation = listing.GetProperty("correlations")[0];
            Assert.Equal(brute.Sum(a => a.GetProperty("count").GetInt64()), correlation.GetProperty("counters").GetProperty("fired").GetInt64());
            Assert.False(listing.GetProperty("rules").EnumerateArray().First(r => r.GetProperty("id").GetString()!.EndsWith("0001")).GetProperty("raisesAlerts").GetBoolean());

            // Graph context: every brute-forcing address reached the server (sshd extraction), which stores the crown jewel.
            await WaitForGraphAsync(app);
            var detail = (await app.GetJsonAsync("/api/v1/alerts/" + first.GetProperty("id").GetString())).GetProperty("alert");
            var ctx = detail.GetProperty("context");
            Assert.True(ctx.GetProperty("crownJewelPath").GetBoolean(), ctx.ToString());
            Assert.Equal(2, ctx.GetProperty("crownJewelHops").GetInt32()); // address → labsz → payroll-db
            Assert.True(ctx.GetProperty("blastRadius").GetInt32() >= 2);
            // The detail carries the evidence events themselves.
            var events = (await app.GetJsonAsync("/api/v1/alerts/" + first.GetProperty("id").GetString())).GetProperty("events").EnumerateArray().ToList();
            Assert.Equal(Math.Min(50, first.GetProperty("evidence").GetArrayLength()), events.Count);
            Assert.All(events, e => Assert.Contains(first.GetProperty("entities").GetProperty("src_ip").GetString()!, e.GetProperty("message").GetString()));
            // The accepted login's host is critical to the payroll database: one hop.
            var acceptedCtx = (await app.GetJsonAsync("/api/v1/alerts/" + accepted.GetProperty("id").GetString())).GetProperty("alert").GetProperty("context");
            Assert.Equal("high", acceptedCtx.GetProperty("criticality").GetString());
            Assert.Equal(1, acceptedCtx.GetProperty("crownJewelHops").GetInt32());

            // Every alert gets linked and scored; the queue sorts by risk.
            var scored = await WaitUntilAsync(async () => (await AlertApi.AllAsync(app, "sort=risk")) is var all && all.All(a => a.GetProperty("context").ValueKind == JsonValueKind.Object) ? all : null);
            var risks = scored.Select(a => a.GetProperty("risk").GetInt32()).ToList();
            Assert.Equal(risks.OrderDescending(), risks);
            Assert.True(risks[0] > 55, "a high rule with a path to a crown jewel scores above its level alone");
            // The alert is a node of the graph, RAISED to its address.
            var around = (await app.GetJsonAsync("/api/v1/graph/neighbourhood?node=Alert:" + first.GetProperty("id").GetString())).ToString();
            Assert.Contains("RAISED", around);
            Assert.Contains(first.GetProperty("entities").GetProperty("src_ip").GetString()!, around);

            // Triage: acknowledge, refuse a close without resolution, close as false positive; history says who and what.
            var id = first.GetProperty("id").GetString();
            Assert.Equal(200, (await AlertApi.PostAsync(app, $"/api/v1/alerts/{id}/triage", """{"state":"acknowledged","assignee":"alice"}""")).Status);
            var (refused, why) = await AlertApi.PostAsync(app, $"/api/v1/alerts/{id}/triage", """{"state":"closed"}""");
            Assert.Equal(400, refused);
            Assert.Equal("resolution_required", why.GetProperty("error").GetString());
            Assert.Equal("invalid_state", (await AlertApi.PostAsync(app, $"/api/v1/alerts/{id}/triage", """{"state":"done"}""")).Body.GetProperty("error").GetString());
            Assert.Equal(404, (await AlertApi.PostAsync(app, "/api/v1/alerts/nope/triage", """{"state":"acknowledged"}""")).Status);
            var (closedStatus, closed) = await AlertApi.PostAsync(app, $"/api/v1/alerts/{id}/triage", """{"state":"closed","resolution":"false_positive","comment":"the lab's own scanner"}""");
            Assert.Equal(200, closedStatus);
            Assert.Equal("closed", closed.GetProperty("state").GetString());
            Assert.Equal(["state:new", "state:acknowledged", "assignee:alice", "state:closed", "resolution:false_positive", "comment:the lab's own scanner"],
                closed.GetProperty("history").EnumerateArray().Select(h => h.GetProperty("field").GetString() + ":" + h.GetProperty("to").GetString()));
            // The test client is an API token: the history names it.
            Assert.All(closed.GetProperty("history").EnumerateArray().Skip(1), h => Assert.StartsWith("api-token:", h.GetProperty("who").GetString()));
            Assert.Equal([id], (await AlertApi.AllAsync(app, "state=closed")).Select(a => a.GetProperty("id").GetString()));

            // Filters: by entity, severity and rule.
            var ip = first.GetProperty("entities").GetProperty("src_ip").GetString();
            Assert.Equal([id], (await AlertApi.AllAsync(app, "entity=src_ip=" + ip)).Select(a => a.GetProperty("id").GetString()));
            Assert.Equal(brute.Count, (await AlertApi.AllAsync(app, "severity=high")).Count);
            Assert.Equal(brute.Count, (await AlertApi.AllAsync(app, "rule=" + SshBruteForceSite.BruteForceRule)).Count);

            // A disabled rule stays listed, marked, and no longer evaluated.
            Assert.Equal(200, (await AlertApi.PostAsync(app, $"/api/v1/rules/{SshBruteForceSite.AcceptedLoginRule}/disable", "")).Status);
            Assert.Equal(404, (await AlertApi.PostAsync(app, "/api/v1/rules/nope/disable", "")).Status);

            // Alerts and triage survive a restart; the rule stays disabled.
            var before = (await AlertApi.AllAsync(app)).Select(a => (a.GetProperty("id").GetString(), a.GetProperty("state").GetString(), a.GetProperty("count").GetInt64())).Order().ToList();
            await app.StopAsync();
            await using var again = await ApplianceProcess.StartAsync(app.DataDir, "--rules", rules);
            var after = (await AlertApi.AllAsync(again)).Select(a => (a.GetProperty("id").GetString(), a.GetProperty("state").GetString(), a.GetProperty("count").GetInt64())).Order().ToList();
            Assert.Equal(before, after);
            var rule3 = (await again.GetJsonAsync("/api/v1/rules")).GetProperty("rules").EnumerateArray().First(r => r.GetProperty("id").GetString()!.EndsWith("0003"));
            Assert.False(rule3.GetProperty("enabled").GetBoolean());
        }
        finally { Directory.Delete(rules, recursive: true); }
    }

    private static async Task WaitForGraphAsync(ApplianceProcess app)
    {
        await WaitUntilAsync(async () =>
        {
            var stats = await app.StatsAsync();
            var graph = stats.GetProperty("stores").EnumerateArray().First(s => s.GetProperty("name").GetString() == "graph");
            return graph.GetProperty("appliedUntil").GetInt64() >= stats.GetProperty("committedUntil").GetInt64() ? (object)true : null;
        });
    }

    private static async Task<T> WaitUntilAsync<T>(Func<Task<T?>> probe, int seconds = 60) where T : class
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (true)
        {
            if (await probe() is { } done) return done;
            if (DateTime.UtcNow > deadline) throw new TimeoutException("condition not reached");
            await Task.Delay(200);
        }
    }

    [Fact]
    public async Task Iocs_imported_through_the_api_raise_alerts_naming_list_and_indicator()
    {
        await using var app = await ApplianceProcess.StartAsync();
        var csv = $"""
            type,value,source,expiry
            ipv4,183.62.140.253,honeypot,{DateTimeOffset.UtcNow.AddDays(30):o}
            ipv4,187.141.143.180,old-feed,{DateTimeOffset.UtcNow.AddDays(-1):o}
            mac,00:11:22:33:44:55,x,
            """;
        var (status, reply) = await AlertApi.PostAsync(app, "/api/v1/iocs?list=honeypot", csv, "text/csv");
        Assert.True(status == 200, reply.ToString());
        Assert.Equal(2, reply.GetProperty("imported").GetInt32());
        Assert.Equal("line 4", Assert.Single(reply.GetProperty("errors").EnumerateArray()).GetProperty("where").GetString());
        var (stixStatus, stix) = await AlertApi.PostAsync(app, "/api/v1/iocs?list=cert", IocTests.Bundle, "application/json");
        Assert.True(stixStatus == 200, stix.ToString());
        Assert.Equal(6, stix.GetProperty("notImported").GetInt32());
        Assert.Equal(400, (await AlertApi.PostAsync(app, "/api/v1/iocs?list=bad%20name", csv, "text/csv")).Status);

        var lists = await app.GetJsonAsync("/api/v1/iocs");
        Assert.Equal(["cert", "honeypot"], lists.GetProperty("lists").EnumerateArray().Select(l => l.GetProperty("name").GetString()));
        Assert.Equal(1, lists.GetProperty("lists")[1].GetProperty("expired").GetInt32());

        var lines = OpenSshLines();
        await Senders.SendTcpLinesAsync(app.SyslogPort, lines);
        await AlertApi.WaitForDetectionAsync(app, lines.Count);
        var iocAlerts = await AlertApi.AllAsync(app, "kind=ioc");
        var byList = iocAlerts.GroupBy(a => a.GetProperty("ioc").GetProperty("list").GetString()!).ToDictionary(g => g.Key, g => g.ToList());
        // Both lists name 183.62.140.253: one alert each, every sighting folded in.
        var sightings = lines.Count(l => l.Contains("183.62.140.253"));
        foreach (var list in new[] { "honeypot", "cert" })
        {
            var alerts = byList[list].Where(a => a.GetProperty("ioc").GetProperty("indicator").GetString() == "183.62.140.253").ToList();
            Assert.Equal(sightings, alerts.Sum(a => a.GetProperty("count").GetInt64()));
            Assert.Equal("ioc:" + list, alerts[0].GetProperty("rule").GetProperty("id").GetString());
        }
        Assert.Equal("indicator--a", byList["cert"].First(a => a.GetProperty("ioc").GetProperty("indicator").GetString() == "183.62.140.253").GetProperty("ioc").GetProperty("ref").GetString());
        // The expired indicator matched nothing, though the log names the address.
        Assert.Contains(lines, l => l.Contains("187.141.143.180"));
        Assert.DoesNotContain(byList["honeypot"], a => a.GetProperty("ioc").GetProperty("indicator").GetString() == "187.141.143.180");
        // ...but the STIX network 187.141.143.0/24 did.
        Assert.Contains(byList["cert"], a => a.GetProperty("ioc").GetProperty("indicator").GetString() == "187.141.143.0/24");
    }

    /// <summary>(rule, entities, count, first and last seen, events): what an alert says, apart from ids that depend on the run.</summary>
    private static List<string> Fingerprints(IEnumerable<JsonElement> alerts) => alerts.Select(a =>
        $"{a.GetProperty("rule").GetProperty("id").GetString()} {a.GetProperty("entities")} n={a.GetProperty("count").GetInt64()} " +
        $"e={a.GetProperty("eventCount").GetInt64()} {a.GetProperty("firstSeen").GetString()}..{a.GetProperty("lastSeen").GetString()}").Order().ToList();

    [Fact]
    public async Task Kill_9_during_detection_neither_loses_nor_doubles_an_alert()
    {
        var rules = SshBruteForceSite.RulesDir();
        try
        {
            var lines = OpenSshLines();
            // Reference: one clean run.
            List<string> expected;
            await using (var reference = await ApplianceProcess.StartAsync(null, "--rules", rules))
            {
                await Senders.SendTcpLinesAsync(reference.SyslogPort, lines);
                await AlertApi.WaitForDetectionAsync(reference, lines.Count);
                expected = Fingerprints(await AlertApi.AllAsync(reference));
            }
            Assert.Contains(expected, f => f.Contains("0002")); // correlation alerts are part of it

            // Checkpoints every 300 events: each kill leaves alerts written past the cursor, and windows in flight.
            string[] args = ["--rules", rules, "--Detection:CheckpointSeconds=3600", "--Detection:CheckpointAfterEvents=300"];
            var dataDir = Directory.CreateTempSubdirectory("redoubt-test-").FullName; // kept across the kills
            var app = await ApplianceProcess.StartAsync(dataDir, args);
            try
            {
                await Senders.SendTcpLinesAsync(app.SyslogPort, lines.Take(1100));
                await AlertApi.WaitForDetectionAsync(app, 1100);
                app.Kill(); // after alerts were written, before the cursor caught up
                await app.DisposeAsync();

                app = await ApplianceProcess.StartAsync(dataDir, args);
                await Senders.SendTcpLinesAsync(app.SyslogPort, lines.Skip(1100));
                await app.WaitForEventCountAsync(lines.Count);
                app.Kill(); // while detection may still be working through them
                await app.DisposeAsync();

                app = await ApplianceProcess.StartAsync(dataDir, args);
                await AlertApi.WaitForDetectionAsync(app, lines.Count);
                var stats = await app.StatsAsync();
                var detection = stats.GetProperty("stores").EnumerateArray().First(s => s.GetProperty("name").GetString() == "detection");
                Assert.Equal(expected, Fingerprints(await AlertApi.AllAsync(app)));
                Assert.True(detection.GetProperty("counters").GetProperty("events").GetInt64() >= 0);
            }
            finally
            {
                await app.DisposeAsync();
                try { Directory.Delete(dataDir, recursive: true); } catch (IOException) { }
            }
        }
        finally { Directory.Delete(rules, recursive: true); }
    }
}

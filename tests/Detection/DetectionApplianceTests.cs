using System.Net;
using System.Text;
using System.Text.Json;
using Redoubt.Tests.Support;

namespace Redoubt.Tests.Detection;

/// <summary>
/// The real appliance with the whole shared rule set loaded by --rules: SigmaHQ's regression events
/// posted to the agent feed (POST /api/v1/ingest) fire their rules, visible as alerts in GET /api/v1/alerts.
/// </summary>
public class DetectionApplianceTests
{
    private static string RulesArg() =>
        string.Join(Path.PathSeparator, SigmaCorpus.RuleFolders.Select(f => SharedData.PathOf("sigma", f)));

    private static async Task WaitForEvaluatedAsync(ApplianceProcess app, long count)
    {
        var deadline = DateTime.UtcNow.AddSeconds(120);
        long seen = -1;
        while (DateTime.UtcNow < deadline)
        {
            seen = (await app.GetJsonAsync("/api/v1/rules?state=none")).GetProperty("summary").GetProperty("eventsEvaluated").GetInt64();
            if (seen >= count) return;
            await Task.Delay(100);
        }
        throw new TimeoutException($"detection evaluated {seen} of {count} events\n{app.Output}");
    }

    [Fact]
    public async Task Regression_events_through_the_agent_feed_fire_their_rules()
    {
        await using var app = await ApplianceProcess.StartAsync(null, "--rules", RulesArg());
        var rules = await app.GetJsonAsync("/api/v1/rules");
        Assert.Equal(1563, rules.GetProperty("summary").GetProperty("loaded").GetInt32());
        Assert.Equal(0, rules.GetProperty("errors").GetArrayLength());

        var cases = SigmaCorpus.RegressionCases.Where(c => c.JsonPath is not null).ToList();
        var expected = new List<(SigmaCorpus.RegressionCase Case, long[] Ids)>();
        long total = 0;
        foreach (var batch in cases.Chunk(50))
        {
            var body = new StringBuilder();
            var spans = new List<(SigmaCorpus.RegressionCase, int, int)>();
            var line = 0;
            foreach (var c in batch)
            {
                var events = SigmaCorpus.Events(c);
                spans.Add((c, line, events.Count));
                foreach (var e in events) { body.Append(JsonSerializer.Serialize(JsonDocument.Parse(e).RootElement)).Append('\n'); line++; }
            }
            using var response = await app.PostNdjsonAsync(body.ToString());
            var reply = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var ids = reply.GetProperty("ids").EnumerateArray().Select(i => i.GetInt64()).ToArray();
            Assert.Equal(line, ids.Length);
            foreach (var (c, start, count) in spans) expected.Add((c, ids[start..(start + count)]));
            total += line;
        }
        await WaitForEvaluatedAsync(app, total);

        // Hits are folded into alerts (same rule, same entities): count the events each alert holds.
        var detections = (await AlertApi.AllAsync(app)).SelectMany(a => a.GetProperty("evidence").EnumerateArray()
            .Select(e => (Rule: a.GetProperty("rule").GetProperty("id").GetString()!, Event: e.GetInt64()))).ToList();
        var failures = new List<string>();
        foreach (var (c, ids) in expected)
        {
            var n = detections.Count(d => d.Rule == c.RuleId && ids.Contains(d.Event));
            if (n < (c.MatchCount ?? 1)) failures.Add($"{c.RuleTitle}: {n} hits, expected at least {c.MatchCount ?? 1}");
        }
        Assert.True(failures.Count == 0, $"{failures.Count} of {expected.Count} regression cases failed:\n" + string.Join('\n', failures));

        // SigmaHQ rules are under the DRL 1.1: alert output keeps the rule's author, a link to it and the notice.
        var sample = (await AlertApi.AllAsync(app)).First().GetProperty("rule");
        Assert.Equal("DRL-1.1", sample.GetProperty("license").GetProperty("name").GetString());
        Assert.StartsWith("https://github.com/SigmaHQ/sigma/blob/master/rules", sample.GetProperty("license").GetProperty("link").GetString());
        Assert.Contains("Detection Rule License", sample.GetProperty("license").GetProperty("notice").GetString());
        Assert.False(string.IsNullOrWhiteSpace(sample.GetProperty("author").GetString()));

        // Counters say what ran.
        var after = await app.GetJsonAsync("/api/v1/rules");
        var fired = after.GetProperty("rules").EnumerateArray().Count(r => r.GetProperty("counters").GetProperty("matches").GetInt64() > 0);
        Assert.True(fired >= 190, $"only {fired} rules counted matches");
    }

    [Fact]
    public async Task Rules_uploaded_through_the_api_load_or_are_refused_with_the_reason()
    {
        await using var app = await ApplianceProcess.StartAsync();
        const string rule = """
            title: Uploaded whoami
            id: 6e3b3c3e-0000-4000-8000-000000000001
            logsource: { category: process_creation, product: windows }
            detection:
                selection: { Image|endswith: '\whoami.exe' }
                condition: selection
            level: low
            """;
        using (var ok = await app.Http.PostAsync("/api/v1/rules", new StringContent(rule, Encoding.UTF8, "application/yaml")))
            Assert.Equal(HttpStatusCode.Created, ok.StatusCode);

        using (var bad = await app.Http.PostAsync("/api/v1/rules", new StringContent(rule.Replace("endswith", "endswiht").Replace("0001", "0002"), Encoding.UTF8, "application/yaml")))
        {
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
            var error = JsonDocument.Parse(await bad.Content.ReadAsStringAsync()).RootElement.GetProperty("errors")[0];
            Assert.Equal("unknown_modifier", error.GetProperty("code").GetString());
            Assert.Equal(5, error.GetProperty("line").GetInt32());
        }

        var list = await app.GetJsonAsync("/api/v1/rules");
        Assert.Equal(1, list.GetProperty("summary").GetProperty("loaded").GetInt32());

        using var posted = await app.PostNdjsonAsync("""{"Channel":"Microsoft-Windows-Sysmon/Operational","EventID":1,"Image":"C:\\Windows\\System32\\whoami.exe","Computer":"ws1"}""" + "\n");
        Assert.Equal(HttpStatusCode.OK, posted.StatusCode);
        await WaitForEvaluatedAsync(app, 1);
        var hit = Assert.Single(await AlertApi.AllAsync(app));
        Assert.Equal("6e3b3c3e-0000-4000-8000-000000000001", hit.GetProperty("rule").GetProperty("id").GetString());
        Assert.Equal("ws1", hit.GetProperty("entities").GetProperty("host").GetString());

        // The upload survives a restart.
        await app.StopAsync();
        await using var again = await ApplianceProcess.StartAsync(app.DataDir);
        Assert.Equal(1, (await again.GetJsonAsync("/api/v1/rules")).GetProperty("summary").GetProperty("loaded").GetInt32());
    }
}

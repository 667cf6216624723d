using System.Globalization;
using System.Text.Json;
using Redoubt.Tests.Support;

namespace Redoubt.Tests.Integration;

/// <summary>Real agent events (OTRF Security Datasets) posted as NDJSON come back field for field.</summary>
public sealed class AgentEventsTests
{
    // The documented field names the appliance maps; the test checks it took one of them from this object.
    private static readonly string[] HostFields = Redoubt.Ingest.Http.NdjsonIngest.HostFields;
    private static readonly string[] TimeFields = Redoubt.Ingest.Http.NdjsonIngest.TimeFields;

    [Fact]
    public async Task Posted_agent_events_are_stored_field_for_field_with_host_and_time_mapped()
    {
        var dir = SharedData.PathOf("agent-events", "otrf-security-datasets");
        var files = Directory.GetFiles(Path.Combine(dir, "windows"), "*.json")
            .Concat(Directory.GetFiles(Path.Combine(dir, "log4shell"), "*.json"))
            .Concat(Directory.GetFiles(Path.Combine(dir, "golden-saml"), "*.json"))
            .Order(StringComparer.Ordinal).ToList();
        await using var app = await ApplianceProcess.StartAsync();

        var posted = new Dictionary<long, string>();
        foreach (var file in files)
        {
            var lines = File.ReadAllLines(file).Where(l => l.Length > 0).ToList();
            using var response = await app.PostNdjsonAsync(string.Join("\n", lines) + "\n");
            var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
            Assert.True(response.IsSuccessStatusCode, $"{file}: {body}");
            Assert.Equal(0, body.GetProperty("rejected").GetInt32());
            var ids = body.GetProperty("ids").EnumerateArray().Select(i => i.GetInt64()).ToList();
            Assert.Equal(lines.Count, ids.Count);
            for (var i = 0; i < ids.Count; i++) posted.Add(ids[i], lines[i]);
        }

        var stored = (await app.AllEventsAsync()).ToDictionary(e => e.GetProperty("id").GetInt64());
        Assert.Equal(posted.Count, stored.Count);
        foreach (var (id, line) in posted)
        {
            var e = stored[id];
            var original = JsonDocument.Parse(line).RootElement;
            Assert.True(JsonElement.DeepEquals(original, e.GetProperty("json")), $"event {id} differs from its line:\n{line}\n{e.GetProperty("json")}");
            Assert.Equal("http-ndjson", e.GetProperty("transport").GetString());

            var hosts = HostFields.Where(f => original.TryGetProperty(f, out var v) && v.ValueKind == JsonValueKind.String).Select(f => original.GetProperty(f).GetString()).ToList();
            if (hosts.Count > 0) Assert.Contains(e.GetProperty("host").GetString(), hosts);

            var times = TimeFields.Where(f => original.TryGetProperty(f, out var v) && v.ValueKind == JsonValueKind.String)
                .Select(f => DateTimeOffset.Parse(original.GetProperty(f).GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal))
                .Select(t => t.ToUnixTimeMilliseconds()).ToList();
            if (times.Count > 0)
                Assert.Contains(new DateTimeOffset(e.GetProperty("time").GetDateTime()).ToUnixTimeMilliseconds(), times);
        }
    }

    [Fact]
    public async Task Invalid_lines_are_reported_by_number_while_valid_lines_are_stored()
    {
        await using var app = await ApplianceProcess.StartAsync();
        var body = string.Join("\n",
            """{"host":"a","message":"one"}""",
            """{"host":"b", "message": """,
            "",
            "[1,2,3]",
            """{"host":"c","message":"four"}""",
            "not json at all") + "\n";
        using var response = await app.PostNdjsonAsync(body);
        var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

        Assert.Equal(200, (int)response.StatusCode);
        Assert.Equal(2, json.GetProperty("accepted").GetInt32());
        var errors = json.GetProperty("errors").EnumerateArray().ToDictionary(e => e.GetProperty("line").GetInt32(), e => e.GetProperty("error").GetString()!);
        Assert.Equal([2, 4, 6], errors.Keys.Order());
        Assert.StartsWith("invalid JSON", errors[2]);
        Assert.Equal("expected a JSON object, found array", errors[4]);

        var stored = await app.AllEventsAsync();
        Assert.Equal(["four", "one"], stored.Select(e => e.GetProperty("message").GetString()));
    }

    [Fact]
    public async Task A_batch_with_no_valid_line_is_rejected_with_400_and_stores_nothing()
    {
        await using var app = await ApplianceProcess.StartAsync();
        using var response = await app.PostNdjsonAsync("{oops\n");
        Assert.Equal(400, (int)response.StatusCode);
        Assert.Contains("\"line\":1", await response.Content.ReadAsStringAsync());
        Assert.Equal(0, (await app.StatsAsync()).GetProperty("events").GetInt64());
    }
}

using System.Net;
using System.Text;
using System.Text.Json;
using Redoubt.Tests.Support;

namespace Redoubt.Tests.Graph.Api;

/// <summary>
/// Request bodies that parse as JSON but hold what the graph cannot take: a string escape that is not
/// valid Unicode (a lone \ud800: System.Text.Json refuses it only when the string is read, which gave an
/// empty 500) and a time outside 1970–9999 (once stored, it broke every read of the graph).
/// </summary>
public sealed class GraphRequestTextTests
{
    private static async Task<(HttpStatusCode Status, JsonElement Body)> Post(ApplianceProcess app, string path, string json)
    {
        using var response = await app.Http.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));
        var text = await response.Content.ReadAsStringAsync();
        Assert.False(text.Length == 0, $"{path}: {(int)response.StatusCode} with an empty body; log: {app.Output[^Math.Min(3000, app.Output.Length)..]}");
        return (response.StatusCode, JsonDocument.Parse(text).RootElement.Clone());
    }

    [Fact]
    public async Task A_lone_surrogate_is_a_400_naming_it_and_a_time_outside_1970_to_9999_is_refused_per_item()
    {
        await using var app = await ApplianceProcess.StartAsync((string?)null);
        const string lone = "a\\ud800";
        foreach (var (path, body) in new[]
                 {
                     ("/api/v1/graph/query", """{"query":"RETURN $x","parameters":{"x":"LONE"}}""".Replace("LONE", lone)),
                     ("/api/v1/graph/query", """{"query":"RETURN 'LONE'"}""".Replace("LONE", lone)),
                     ("/api/v1/graph/query", """{"query":"RETURN 1","parameters":{"LONE":1}}""".Replace("LONE", lone)),
                     ("/api/v1/graph/neighbourhood", """{"node":"Host:LONE"}""".Replace("LONE", lone)),
                     ("/api/v1/graph/attack-paths", """{"source":["Host:LONE"]}""".Replace("LONE", lone)),
                     ("/api/v1/graph/import", """{"source":"t","nodes":[{"kind":"Host","key":"LONE"}]}""".Replace("LONE", lone)),
                 })
        {
            var (status, error) = await Post(app, path, body);
            Assert.True(status == HttpStatusCode.BadRequest, $"{path} {body}: {(int)status} {error}");
            Assert.True(error.GetProperty("error").GetString() == "bad_text", $"{path} {body}: {error}");
        }

        // An inventory row with one: that row is refused by line, the others are stored.
        var (rowStatus, report) = await Post(app, "/api/v1/import/assets?source=cmdb",
            """[{"host":"web-ok-1"},{"host":"web-bad","owner":"LONE"},{"host":"web-ok-2"}]""".Replace("LONE", lone));
        Assert.Equal(HttpStatusCode.OK, rowStatus);
        Assert.Equal(2, report.GetProperty("accepted").GetInt32());
        Assert.Equal("bad_text", Assert.Single(report.GetProperty("errors").EnumerateArray()).GetProperty("error").GetString());

        // A graph import item with a time no date holds is refused; the rest of the document and the graph's reads are fine.
        var (importStatus, imported) = await Post(app, "/api/v1/graph/import",
            """{"source":"t","nodes":[{"kind":"Host","key":"gi-far","firstSeen":-99999999999999999},{"kind":"Host","key":"gi-late","lastSeen":"10000-01-01T00:00:00Z"},{"kind":"Host","key":"gi-ok","firstSeen":"2026-12-01T00:00:00Z"}]}""");
        Assert.True(importStatus == HttpStatusCode.OK, imported.ToString());
        Assert.Equal(["bad_time"], imported.GetProperty("errors").EnumerateArray().Select(e => e.GetProperty("error").GetString()).Distinct());
        await app.WaitGraphCaughtUpAsync();
        var (all, rows) = await Post(app, "/api/v1/graph/query", """{"query":"MATCH (n:Host) RETURN n.key AS k ORDER BY k"}""");
        Assert.True(all == HttpStatusCode.OK, rows.ToString());
        var keys = rows.GetProperty("rows").EnumerateArray().Select(r => r[0].GetString()).ToList();
        Assert.Contains("gi-ok", keys);
        Assert.DoesNotContain("gi-far", keys);
        Assert.DoesNotContain("gi-late", keys);
    }
}

using System.Net;
using System.Text;
using System.Text.Json;
using Redoubt.Tests.Graph.Reference;
using Redoubt.Tests.Support;

namespace Redoubt.Tests.Graph.Api;

/// <summary>POST /api/v1/graph/query on the real appliance process, fed the BloodHound CE fixture through the import API.</summary>
public sealed class CypherQueryApiTests
{
    private static async Task<(HttpStatusCode Status, JsonElement Body)> Query(ApplianceProcess app, object body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/graph/query")
        {
            Content = new StringContent(body as string ?? JsonSerializer.Serialize(body), Encoding.UTF8, "application/json"),
        };
        using var response = await app.Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, JsonDocument.Parse(text).RootElement.Clone());
    }

    [Fact]
    public async Task A_parameterised_query_returns_nodes_edges_with_evidence_and_paths_and_refusals_carry_a_code_and_a_position()
    {
        // MaxExpansions low enough that a cartesian product over the fixture runs out of it.
        await using var app = await ApplianceProcess.StartAsync(null, "--Graph:Query:MaxExpansions=2000", "--Graph:Query:ComplexityFactor=1000000");
        var fixture = new BloodHoundFixture();
        using (var import = await app.Http.PostAsync("/api/v1/graph/import", new StringContent(fixture.Document.ToJsonString(), Encoding.UTF8, "application/json")))
            Assert.True(import.IsSuccessStatusCode, await import.Content.ReadAsStringAsync());

        var (status, ok) = await Query(app, new
        {
            query = "MATCH (u:User {key: $user})-[r:ADMIN_TO]->(h:Host) RETURN u, r, h.key AS host ORDER BY host",
            parameters = new { user = "DFM@TESTLAB.LOCAL" },
        });
        Assert.True(status == HttpStatusCode.OK, ok.ToString());
        Assert.Equal(["u", "r", "host"], ok.GetProperty("columns").EnumerateArray().Select(c => c.GetString()));
        var expectedHosts = fixture.Document["edges"]!.AsArray()
            .Where(e => (string)e!["from"]! == "User:DFM@TESTLAB.LOCAL" && (string)e!["type"]! == "ADMIN_TO")
            .Select(e => ((string)e!["to"]!)["Host:".Length..]).Distinct().Order(StringComparer.Ordinal).ToList();
        var rows = ok.GetProperty("rows").EnumerateArray().ToList();
        Assert.Equal(expectedHosts, rows.Select(r => r[2].GetString()));
        Assert.All(rows, r =>
        {
            Assert.Equal("User:DFM@TESTLAB.LOCAL", r[0].GetProperty("node").GetProperty("ref").GetString());
            var edge = r[1].GetProperty("edge");
            Assert.Equal("ADMIN_TO", edge.GetProperty("type").GetString());
            Assert.Equal(1, edge.GetProperty("evidence").GetProperty("events").GetArrayLength()); // the import item, stored as an event
        });
        Assert.False(ok.GetProperty("truncated").GetBoolean());

        var (_, path) = await Query(app, new
        {
            query = "MATCH p = shortestPath((a:User {key: 'DFM@TESTLAB.LOCAL'})-[*..6]-(b:Group {key: 'DOMAIN ADMINS@TESTLAB.LOCAL'})) RETURN p",
        });
        var p = path.GetProperty("rows")[0][0].GetProperty("path");
        Assert.Equal(p.GetProperty("length").GetInt32() + 1, p.GetProperty("nodes").GetArrayLength());
        Assert.Equal("Group:DOMAIN ADMINS@TESTLAB.LOCAL", p.GetProperty("nodes").EnumerateArray().Last().GetProperty("ref").GetString());

        var (_, cut) = await Query(app, new { query = "MATCH (n) RETURN n.key", maxRows = 2 });
        Assert.Equal(2, cut.GetProperty("rows").GetArrayLength());
        Assert.True(cut.GetProperty("truncated").GetBoolean());

        async Task Refused(object body, HttpStatusCode expected, string code, int? line = null, int? column = null)
        {
            var (s, e) = await Query(app, body);
            Assert.True(s == expected && e.GetProperty("error").GetString() == code, $"{body}: {(int)s} {e}");
            Assert.False(string.IsNullOrWhiteSpace(e.GetProperty("message").GetString()));
            if (line is not null) Assert.Equal((line, column), (e.GetProperty("line").GetInt32(), e.GetProperty("column").GetInt32()));
        }
        await Refused(new { query = "MATCH (n)\nRETURN n ORDER n.key" }, HttpStatusCode.BadRequest, "cypher_syntax", 2, 10);
        await Refused(new { query = "MATCH (n) DETACH DELETE n" }, HttpStatusCode.BadRequest, "cypher_read_only", 1, 11);
        await Refused(new { query = "CALL db.labels()" }, HttpStatusCode.BadRequest, "cypher_unsupported", 1, 1);
        await Refused(new { query = "MATCH (n) WHERE n.key = $k RETURN n" }, HttpStatusCode.BadRequest, "cypher_parameter_missing", 1, 25);
        await Refused(new { query = "MATCH (a), (b), (c) RETURN count(*)" }, HttpStatusCode.UnprocessableEntity, "cypher_budget");
        await Refused(new { query = "MATCH (a)-[*1..99]->(b) RETURN b" }, HttpStatusCode.UnprocessableEntity, "cypher_too_complex", 1, 10);
        await Refused(new { query = "RETURN 1", limit = 3 }, HttpStatusCode.BadRequest, "unknown_parameter");
        await Refused(new { parameters = new { } }, HttpStatusCode.BadRequest, "missing_query");
        await Refused("{\"query\":", HttpStatusCode.BadRequest, "bad_json");
        await Refused(new { query = "RETURN 1", maxRows = 0 }, HttpStatusCode.BadRequest, "bad_parameter");
    }
    [Fact]
    public async Task Deep_nesting_and_runaway_expressions_get_an_error_reply_and_the_appliance_keeps_answering()
    {
        await using var app = await ApplianceProcess.StartAsync((string?)null);

        async Task<JsonElement> Refused(string query, HttpStatusCode expected, string code, string detail)
        {
            var (s, e) = await Query(app, new { query, timeoutMs = 2000 });
            Assert.True(s == expected && e.GetProperty("error").GetString() == code && e.GetProperty("detail").GetString() == detail, $"{query[..Math.Min(60, query.Length)]}: {(int)s} {e}");
            return e;
        }
        // These overflowed the stack (the process exited) or were a 500 from the JSON writer.
        var parens = await Refused("RETURN " + new string('(', 2000) + "1" + new string(')', 2000), HttpStatusCode.BadRequest, "cypher_syntax", "NestingTooDeep");
        Assert.Equal((1, 108), (parens.GetProperty("line").GetInt32(), parens.GetProperty("column").GetInt32()));
        await Refused("RETURN " + new string('[', 1500) + "1" + new string(']', 1500), HttpStatusCode.BadRequest, "cypher_syntax", "NestingTooDeep");
        await Refused("RETURN " + new string('[', 1000), HttpStatusCode.BadRequest, "cypher_syntax", "NestingTooDeep");
        // A value wrapped clause after clause is deeper than any one expression: refused, not a 500.
        await Refused("WITH 1 AS a " + string.Concat(Enumerable.Repeat("WITH [a] AS a ", 300)) + "RETURN a", HttpStatusCode.UnprocessableEntity, "cypher_budget", "resultDepth");
        // These ran outside every budget.
        await Refused("RETURN [x IN range(1,1000000) | [y IN range(1,1000) | y]] AS z", HttpStatusCode.UnprocessableEntity, "cypher_budget", "memory");
        await Refused("UNWIND range(1,10000) AS i RETURN range(1,10000000)", HttpStatusCode.UnprocessableEntity, "cypher_budget", "memory");

        var (status, ok) = await Query(app, new { query = "WITH 1 AS a " + string.Concat(Enumerable.Repeat("WITH [a] AS a ", 40)) + "RETURN a, range(1, 3) AS r" });
        Assert.True(status == HttpStatusCode.OK, ok.ToString());
        Assert.Equal(3, ok.GetProperty("rows")[0][1].GetArrayLength());
    }
}

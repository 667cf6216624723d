using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Redoubt.Tests.Graph.Reference;
using Redoubt.Tests.Support;

namespace Redoubt.Tests.Graph.Api;

/// <summary>The graph API of the real appliance process: fed by real sshd logs through syslog and by the BloodHound fixture through the import.</summary>
public sealed partial class GraphApiTests
{
    [GeneratedRegex(@"(^(message repeated \d+ times: \[ )?(Accepted|Failed) \S+ for .+? from (?<ip>[0-9.]+) port \d+)|(^User .+ from (?<ip>[0-9.]+) not allowed because)|(authentication failures?;.* rhost=(?<ip>[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+)(\s|$))")]
    private static partial Regex ReachedFrom();

    private static async Task<(HttpStatusCode Status, JsonElement Body)> Send(ApplianceProcess app, HttpMethod method, string path, string? json = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (json is not null) request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        using var response = await app.Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, JsonDocument.Parse(text).RootElement.Clone());
    }

    private static async Task<JsonElement> Ok(ApplianceProcess app, HttpMethod method, string path, string? json = null)
    {
        var (status, body) = await Send(app, method, path, json);
        Assert.True(status == HttpStatusCode.OK, $"{method} {path}: {(int)status} {body}\n{app.Output}");
        return body;
    }

    private static string Q(string s) => Uri.EscapeDataString(s);

    [Fact]
    public async Task Sshd_logons_sent_over_syslog_become_queryable_edges_whose_evidence_opens_the_events_and_survive_a_restart()
    {
        var truth = Loghub.Load("OpenSSH");
        // Every address that reached the host, read from the corpus's own line shapes (not from the rules):
        // sshd's Accepted/Failed lines (also inside "message repeated"), "not allowed" refusals, PAM failures' rhost.
        var addresses = truth.Select(t => ReachedFrom().Match(t.ExpectedMessage)).Where(m => m.Success)
            .Select(m => m.Groups["ip"].Value).Distinct().ToList();
        Assert.True(addresses.Count > 10);
        var dataDir = Directory.CreateTempSubdirectory("redoubt-graph-api-").FullName;
        try
        {
            List<string> reachedBefore;
            await using (var app = await ApplianceProcess.StartAsync(dataDir))
            {
                await Senders.SendTcpLinesAsync(app.SyslogPort, truth.Select(t => t.Raw));
                await app.WaitForEventCountAsync(truth.Count);
                await app.WaitGraphCaughtUpAsync();

                var hood = await Ok(app, HttpMethod.Get, "/api/v1/graph/neighbourhood?node=Host:labsz&direction=in&types=CONNECTED_TO&limit=10000");
                Assert.Null(hood.GetProperty("truncated").GetString());
                reachedBefore = hood.GetProperty("nodes").EnumerateArray().Select(n => n.GetProperty("node").GetProperty("ref").GetString()!).Order().ToList();
                Assert.Equal(addresses.Select(a => "IpAddress:" + a).Append("Host:labsz").Order(), reachedBefore);

                // The one accepted logon (a local account: fztu@labsz): its edge names the events, sshd's line and
                // PAM's session line after it, and the events are those log lines.
                var user = await Ok(app, HttpMethod.Get, "/api/v1/graph/nodes?kind=User&key=fztu@labsz");
                var logon = user.GetProperty("out").EnumerateArray().Single(e => e.GetProperty("type").GetString() == "LOGGED_ON");
                Assert.Equal("Host:labsz", logon.GetProperty("to").GetString());
                var messages = new List<string>();
                foreach (var id in logon.GetProperty("evidence").GetProperty("events").EnumerateArray())
                    messages.Add((await app.GetJsonAsync($"/api/v1/events/{id.GetInt64()}")).GetProperty("message").GetString()!);
                Assert.Equal(2, messages.Count);
                Assert.StartsWith("Accepted password for fztu from 119.137.62.142 port 49116", messages[0]);
                Assert.Equal("pam_unix(sshd:session): session opened for user fztu by (uid=0)", messages[1]);
                Assert.Contains(user.GetProperty("out").EnumerateArray(), e => e.GetProperty("type").GetString() == "AUTHENTICATED_FROM"
                    && e.GetProperty("to").GetString() == "IpAddress:119.137.62.142");

                // fztu's blast radius: the host (a logon foothold) and the address it came from is not an attack step out of the user.
                var blast = await Ok(app, HttpMethod.Get, "/api/v1/graph/blast-radius?node=User:fztu@labsz&depth=2");
                var first = blast.GetProperty("reached").EnumerateArray().First();
                Assert.Equal("Host:labsz", first.GetProperty("node").GetProperty("ref").GetString());
                Assert.Equal(3.0, first.GetProperty("cost").GetDouble());
                Assert.Equal(0, await app.StopAsync()); // SIGTERM: the graph store takes its final checkpoint
            }

            // The store was checkpointed at shutdown; the new process rebuilds the graph from it.
            await using (var again = await ApplianceProcess.StartAsync(dataDir))
            {
                var stats = await Ok(again, HttpMethod.Get, "/api/v1/graph/stats");
                Assert.True(stats.GetProperty("loadedFromStore").GetProperty("edges").GetInt64() >= addresses.Count + 2, stats.ToString());
                var hood = await Ok(again, HttpMethod.Get, "/api/v1/graph/neighbourhood?node=Host:labsz&direction=in&types=CONNECTED_TO&limit=10000");
                Assert.Equal(reachedBefore, hood.GetProperty("nodes").EnumerateArray().Select(n => n.GetProperty("node").GetProperty("ref").GetString()!).Order());
            }
        }
        finally
        {
            try { Directory.Delete(dataDir, recursive: true); } catch (IOException) { }
        }
    }

    [Fact]
    public async Task The_bloodhound_fixture_imported_over_http_answers_path_queries_with_evidence()
    {
        await using var app = await ApplianceProcess.StartAsync();
        var import = await Ok(app, HttpMethod.Post, "/api/v1/graph/import", new BloodHoundFixture().Document.ToJsonString());
        Assert.Equal(0, import.GetProperty("rejected").GetInt32());
        Assert.True(import.GetProperty("persisted").GetBoolean());
        Assert.True(import.GetProperty("applied").GetBoolean());

        var dfm = Q("User:DFM@TESTLAB.LOCAL");
        var da = Q("Group:DOMAIN ADMINS@TESTLAB.LOCAL");
        var paths = await Ok(app, HttpMethod.Get, $"/api/v1/graph/shortest-paths?source={dfm}&target={da}&k=3");
        var list = paths.GetProperty("paths").EnumerateArray().ToList();
        Assert.Equal([3.1, 5.1], list.Select(p => p.GetProperty("cost").GetDouble()));
        var best = list[0];
        Assert.Equal(["User:DFM@TESTLAB.LOCAL", "Host:WIN10.TESTLAB.LOCAL", "User:ADMINISTRATOR@TESTLAB.LOCAL", "Group:DOMAIN ADMINS@TESTLAB.LOCAL"],
            best.GetProperty("nodes").EnumerateArray().Select(n => n.GetProperty("ref").GetString()));
        Assert.Equal([("ADMIN_TO", "forward"), ("LOGGED_ON", "reverse"), ("MEMBER_OF", "forward")],
            best.GetProperty("edges").EnumerateArray().Select(e => (e.GetProperty("type").GetString(), e.GetProperty("traversed").GetString())));
        // Each edge's evidence is the import item that stated it, stored as an event.
        foreach (var e in best.GetProperty("edges").EnumerateArray())
        {
            var item = await app.GetJsonAsync($"/api/v1/events/{e.GetProperty("evidence").GetProperty("events")[0].GetInt64()}");
            Assert.Equal("bloodhound-ce-test-fixtures-v6", item.GetProperty("fields").GetProperty("import.source").GetString());
        }

        var single = await Ok(app, HttpMethod.Get, $"/api/v1/graph/shortest-path?source={dfm}&target={da}");
        Assert.Single(single.GetProperty("paths").EnumerateArray());

        // POST takes the same parameters as a JSON object; lists are arrays.
        var attack = await Ok(app, HttpMethod.Post, "/api/v1/graph/attack-paths", JsonSerializer.Serialize(new
        {
            source = new[] { "User:DFM@TESTLAB.LOCAL", "User:WRITEDACLTEST@TESTLAB.LOCAL" },
            target = new[] { "Group:DOMAIN ADMINS@TESTLAB.LOCAL" },
            k = 5,
        }));
        Assert.Equal([3.1, 5.1, 5.1], attack.GetProperty("paths").EnumerateArray().Select(p => p.GetProperty("cost").GetDouble()));
        var choke = await Ok(app, HttpMethod.Get, $"/api/v1/graph/choke-points?source={dfm}&source={Q("User:WRITEDACLTEST@TESTLAB.LOCAL")}&target={da}&limit=2");
        Assert.Equal(2, choke.GetProperty("pairs").GetInt32());
        Assert.Equal(["Host:WIN10.TESTLAB.LOCAL", "User:ADMINISTRATOR@TESTLAB.LOCAL"],
            choke.GetProperty("nodes").EnumerateArray().Select(n => n.GetProperty("node").GetProperty("ref").GetString()).Order(StringComparer.Ordinal));

        var cut = await Ok(app, HttpMethod.Get, $"/api/v1/graph/blast-radius?node={dfm}&limit=2");
        Assert.Equal("budget", cut.GetProperty("truncated").GetString());
        Assert.Equal("results", cut.GetProperty("budgetHit").GetString());
        Assert.Equal(2, cut.GetProperty("reached").GetArrayLength());

        var search = await Ok(app, HttpMethod.Get, "/api/v1/graph/nodes?kind=Host&q=testlab");
        Assert.Equal(4, search.GetProperty("nodes").GetArrayLength());
    }

    [Fact]
    public async Task Bad_requests_get_a_stable_code_and_a_reason()
    {
        await using var app = await ApplianceProcess.StartAsync();
        await Ok(app, HttpMethod.Post, "/api/v1/graph/import", """{"source":"t","nodes":[{"kind":"Host","key":"a"}]}""");

        async Task Refused(HttpMethod method, string path, HttpStatusCode status, string code, string? body = null)
        {
            var (s, json) = await Send(app, method, path, body);
            Assert.True(s == status && json.GetProperty("error").GetString() == code, $"{method} {path}: {(int)s} {json}");
            Assert.False(string.IsNullOrWhiteSpace(json.GetProperty("message").GetString()));
        }
        await Refused(HttpMethod.Get, "/api/v1/graph/neighbourhood?node=Host:nope", HttpStatusCode.NotFound, "unknown_node");
        await Refused(HttpMethod.Get, "/api/v1/graph/neighbourhood?node=Printer:a", HttpStatusCode.BadRequest, "bad_parameter");
        await Refused(HttpMethod.Get, "/api/v1/graph/neighbourhood?node=Host:a&hops=99", HttpStatusCode.BadRequest, "bad_parameter");
        await Refused(HttpMethod.Get, "/api/v1/graph/neighbourhood?node=Host:a&hop=2", HttpStatusCode.BadRequest, "unknown_parameter");
        await Refused(HttpMethod.Get, "/api/v1/graph/blast-radius?node=Host:a&types=OWNS", HttpStatusCode.BadRequest, "bad_parameter");
        await Refused(HttpMethod.Get, "/api/v1/graph/shortest-path?source=Host:a", HttpStatusCode.BadRequest, "bad_parameter");
        await Refused(HttpMethod.Post, "/api/v1/graph/attack-paths", HttpStatusCode.BadRequest, "bad_json", "{k:");
        await Refused(HttpMethod.Post, "/api/v1/graph/import", HttpStatusCode.BadRequest, "bad_json", "[{");
        await Refused(HttpMethod.Post, "/api/v1/graph/import", HttpStatusCode.BadRequest, "missing_source", """{"nodes":[]}""");
        await Refused(HttpMethod.Get, "/api/v1/graph/nodes/12345", HttpStatusCode.NotFound, "unknown_node");

        // Every item bad: nothing kept, 400, each one named.
        var (status, report) = await Send(app, HttpMethod.Post, "/api/v1/graph/import",
            """{"source":"t","nodes":[{"kind":"Host"},{"kind":"Host","key":"b","cvss":12}],"edges":[{"from":"Host:a","type":"OWNS","to":"Host:b"}]}""");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(["nodes[0].key:bad_key", "nodes[1].cvss:bad_cvss", "edges[0].type:unknown_edge_type"],
            report.GetProperty("errors").EnumerateArray().Select(e => e.GetProperty("at").GetString() + ":" + e.GetProperty("error").GetString()));
    }

    private static async Task WaitUntil(Func<Task<bool>> condition, ApplianceProcess app)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (await condition()) return;
            await Task.Delay(100);
        }
        throw new TimeoutException("condition not met\n" + app.Output);
    }
}

using System.Net;
using System.Text;
using System.Text.Json;
using Redoubt.Tests.Support;

namespace Redoubt.Tests.Graph.Import;

/// <summary>
/// Inventory imports through the real appliance: over the API and with the real `redoubt import`
/// command, into the graph store (so they survive a restart), idempotent, bad rows by line, and
/// joined with what the real OpenSSH log says about the same host.
/// </summary>
public sealed class InventoryImportApplianceTests
{
    private static async Task<(HttpStatusCode Status, JsonElement Body)> Post(ApplianceProcess app, string path, string body, string contentType)
    {
        using var response = await app.Http.PostAsync(path, new StringContent(body, Encoding.UTF8, contentType));
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, JsonDocument.Parse(text).RootElement.Clone());
    }

    private static JsonElement Edge(JsonElement node, string type, string to) =>
        node.GetProperty("out").EnumerateArray().Single(e => e.GetProperty("type").GetString() == type && e.GetProperty("to").GetString() == to);

    [Fact]
    public async Task Imported_inventories_join_the_logs_graph_survive_a_restart_and_a_second_import_changes_no_count()
    {
        var dir = Directory.CreateTempSubdirectory("redoubt-import-").FullName;
        try
        {
            const string assets = "host,addresses,os,criticality,tags\nlabsz,173.234.31.186,Ubuntu,high,internet_facing\nbad host,10.0.0.1,,,\ndb1,10.0.2.7,Debian,critical,\n";
            const string stores = "datastore,host,data,tags\npayroll,db1,PII;PCI,crown_jewel\n";
            const string vulns = """[{"host":"labsz","cve":"CVE-2018-15473","cvss":5.3,"known_exploited":false},{"host":"labsz","cve":"not-a-cve"}]""";
            const string reach = "from,to,ports,action\nlabsz-zone,10.0.2.0/24,5432,allow\n";
            long payrollEdgeLastSeen;
            await using (var app = await ApplianceProcess.StartAsync(dir))
            {
                // The real OpenSSH log: addresses reached labsz over ssh, fztu logged on.
                var lines = Loghub.Load("OpenSSH").Select(l => l.Raw).ToList();
                await Senders.SendTcpLinesAsync(app.SyslogPort, lines);
                await app.WaitForEventCountAsync(lines.Count);

                var (status, report) = await Post(app, "/api/v1/import/assets?source=cmdb", assets, "text/csv");
                Assert.Equal(HttpStatusCode.OK, status);
                Assert.Equal(2, report.GetProperty("accepted").GetInt32());
                var error = Assert.Single(report.GetProperty("errors").EnumerateArray());
                Assert.Equal(3, error.GetProperty("line").GetInt32());
                Assert.Equal("bad_host", error.GetProperty("error").GetString());

                Assert.Equal(HttpStatusCode.OK, (await Post(app, "/api/v1/import/datastores", stores, "text/csv")).Status);
                (status, report) = await Post(app, "/api/v1/import/vulnerabilities", vulns, "application/json");
                Assert.Equal(HttpStatusCode.OK, status);
                Assert.Equal("bad_cve", report.GetProperty("errors")[0].GetProperty("error").GetString());

                // The real CLI, with a token file and the appliance's pinned certificate.
                var reachFile = Path.Combine(dir, "reach.csv");
                await File.WriteAllTextAsync(reachFile, reach);
                var tokenFile = Path.Combine(dir, "token");
                await File.WriteAllTextAsync(tokenFile, app.Token);
                var (code, stdout, stderr) = await ApplianceProcess.RunCliAsync(dir, "import", "reachability", reachFile, "--token-file", tokenFile, "--url", app.BaseAddress.ToString(), "--data", dir);
                Assert.True(code == 0, stdout + stderr);
                Assert.Contains("1 rows stored, 0 refused", stdout);
                (code, stdout, stderr) = await ApplianceProcess.RunCliAsync(dir, "import", "assets", Path.Combine(dir, "missing.csv"), "--token-file", tokenFile, "--url", app.BaseAddress.ToString(), "--data", dir);
                Assert.Equal(1, code);
                Assert.Contains("cannot read", stderr);

                // Nothing usable: 400 with the reasons; an unknown kind: 404.
                Assert.Equal(HttpStatusCode.BadRequest, (await Post(app, "/api/v1/import/assets", "host\n\"unterminated\n", "text/csv")).Status);
                var (unknownStatus, unknown) = await Post(app, "/api/v1/import/printers", "a\n", "text/csv");
                Assert.Equal(HttpStatusCode.NotFound, unknownStatus);
                Assert.Equal("unknown_kind", unknown.GetProperty("error").GetString());

                await app.WaitGraphCaughtUpAsync();
                var labsz = await app.GetJsonAsync("/api/v1/graph/nodes?kind=Host&key=labsz");
                Assert.Contains("internet_facing", labsz.GetProperty("node").GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
                Assert.Equal("high", labsz.GetProperty("node").GetProperty("criticality").GetString());
                // The imported edge's evidence is the row, stored as an event.
                var vuln = Edge(labsz, "HAS_VULNERABILITY", "Vulnerability:CVE-2018-15473");
                var rowEvent = await app.GetJsonAsync($"/api/v1/events/{vuln.GetProperty("evidence").GetProperty("events")[0].GetInt64()}");
                Assert.Equal("vulnerabilities import 'vulnerabilities' line 1: CVE-2018-15473 on host labsz", rowEvent.GetProperty("message").GetString());

                // Inventory and log meet on one node: the host the brute-forcers reached is the internet-facing asset.
                var hood = await app.GetJsonAsync("/api/v1/graph/neighbourhood?node=Host:labsz&direction=in&types=CONNECTED_TO&limit=10000");
                Assert.True(hood.GetProperty("nodes").GetArrayLength() > 10);
                var blast = await app.GetJsonAsync("/api/v1/graph/blast-radius?node=Host:db1&depth=2");
                Assert.Contains(blast.GetProperty("reached").EnumerateArray(), r => r.GetProperty("node").GetProperty("ref").GetString() == "DataStore:payroll");

                // Again, the same file: no count moves.
                var db1 = await app.GetJsonAsync("/api/v1/graph/nodes?kind=Host&key=db1");
                Assert.Equal(1, Edge(db1, "STORES", "DataStore:payroll").GetProperty("count").GetInt32());
                Assert.Equal(HttpStatusCode.OK, (await Post(app, "/api/v1/import/datastores", stores, "text/csv")).Status);
                await app.WaitGraphCaughtUpAsync();
                db1 = await app.GetJsonAsync("/api/v1/graph/nodes?kind=Host&key=db1");
                var again = Edge(db1, "STORES", "DataStore:payroll");
                Assert.Equal(1, again.GetProperty("count").GetInt32());
                Assert.Equal(2, again.GetProperty("evidence").GetProperty("events").GetArrayLength()); // both imports' rows
                payrollEdgeLastSeen = again.GetProperty("lastSeen").GetDateTimeOffset().ToUnixTimeMilliseconds();
                Assert.Equal(0, await app.StopAsync());
            }

            // Restart: everything imported is in the graph store and loaded into the in-memory graph.
            await using (var app = await ApplianceProcess.StartAsync(dir))
            {
                await app.WaitGraphCaughtUpAsync();
                var db1 = await app.GetJsonAsync("/api/v1/graph/nodes?kind=Host&key=db1");
                var stored = Edge(db1, "STORES", "DataStore:payroll");
                Assert.Equal(1, stored.GetProperty("count").GetInt32());
                Assert.Equal(payrollEdgeLastSeen, stored.GetProperty("lastSeen").GetDateTimeOffset().ToUnixTimeMilliseconds());
                Assert.Equal("critical", db1.GetProperty("node").GetProperty("criticality").GetString());
                var payroll = await app.GetJsonAsync("/api/v1/graph/nodes?kind=DataStore&key=payroll");
                Assert.Contains("crown_jewel", payroll.GetProperty("node").GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
                var network = await app.GetJsonAsync("/api/v1/graph/nodes?kind=Network&key=labsz-zone");
                Assert.Equal("Service:10.0.2.0/24:5432/tcp", Edge(network, "CAN_REACH", "Service:10.0.2.0/24:5432/tcp").GetProperty("to").GetString());
            }
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}

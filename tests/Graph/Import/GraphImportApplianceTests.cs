using System.Net;
using System.Text;
using System.Text.Json;
using Redoubt.Tests.Graph.Reference;
using Redoubt.Tests.Support;

namespace Redoubt.Tests.Graph.Import;

/// <summary>
/// The graph import document (POST /api/v1/graph/import) through the real appliance: the real
/// BloodHound CE fixture is stored as events before the answer, so it survives a kill -9 and a restart
/// (replayed from the log into the graph store), a second import changes no count, and bad items are
/// reported by position while the good ones are kept.
/// </summary>
public sealed class GraphImportApplianceTests
{
    private static async Task<(HttpStatusCode Status, JsonElement Body)> Import(ApplianceProcess app, string json)
    {
        using var response = await app.Http.PostAsync("/api/v1/graph/import", new StringContent(json, Encoding.UTF8, "application/json"));
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, JsonDocument.Parse(text).RootElement.Clone());
    }

    /// <summary>Every fixture node with its attributes, seen times and out-edges (type, target, count), and the graph's totals: what "the same graph" means here.</summary>
    private static async Task<List<string>> Snapshot(ApplianceProcess app, IEnumerable<string> refs, bool times = true)
    {
        var stats = await app.GetJsonAsync("/api/v1/graph/stats");
        var lines = new List<string> { $"nodes {stats.GetProperty("nodes")} edges {stats.GetProperty("edges")} byKind {stats.GetProperty("nodesByKind")}" };
        foreach (var r in refs)
        {
            var colon = r.IndexOf(':');
            var node = await app.GetJsonAsync($"/api/v1/graph/nodes?kind={r[..colon]}&key={Uri.EscapeDataString(r[(colon + 1)..])}");
            var n = node.GetProperty("node");
            var edges = node.GetProperty("out").EnumerateArray()
                .Select(e => $"{e.GetProperty("type").GetString()}->{e.GetProperty("to").GetString()} x{e.GetProperty("count").GetInt32()}")
                .Order(StringComparer.Ordinal);
            // Everything the node says but its id (engine ids follow load order, which a restart changes).
            var attributes = n.EnumerateObject().Where(p => p.Name != "id" && (times || p.Name is not ("firstSeen" or "lastSeen"))).Select(p => $"{p.Name}={p.Value.GetRawText()}");
            lines.Add($"{r} {string.Join(" ", attributes)} | {string.Join(", ", edges)}");
        }
        return lines;
    }

    private static async Task<List<double>> PathCosts(ApplianceProcess app)
    {
        var paths = await app.GetJsonAsync("/api/v1/graph/shortest-paths?source=" + Uri.EscapeDataString("User:DFM@TESTLAB.LOCAL")
            + "&target=" + Uri.EscapeDataString("Group:DOMAIN ADMINS@TESTLAB.LOCAL") + "&k=3");
        return paths.GetProperty("paths").EnumerateArray().Select(p => p.GetProperty("cost").GetDouble()).ToList();
    }

    [Fact]
    public async Task The_bloodhound_fixture_imported_survives_kill_and_restart_and_a_second_import_changes_no_count()
    {
        var fixture = new BloodHoundFixture();
        var document = fixture.Document.ToJsonString();
        var refs = fixture.Document["nodes"]!.AsArray().Select(n => $"{n!["kind"]}:{n["key"]}")
            .Concat(fixture.Document["edges"]!.AsArray().Select(e => (string)e!["from"]!))
            .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var distinctEdges = fixture.Document["edges"]!.AsArray().Select(e => $"{e!["from"]}|{e["type"]}|{e["to"]}".ToUpperInvariant()).Distinct().Count();
        var dir = Directory.CreateTempSubdirectory("redoubt-graph-import-").FullName;
        try
        {
            List<string> before, timeless;
            List<double> costs;
            await using (var app = await ApplianceProcess.StartAsync(dir))
            {
                // Bad items are named and skipped; the good ones are kept (and stored like the rest).
                var (partialStatus, partial) = await Import(app, """
                    {"source":"t","nodes":[{"kind":"Host","key":"spare01","criticality":"low"},{"kind":"Host","key":"x","properties":{"criticality":"high"}}],
                     "edges":[{"from":"Host:spare01","type":"CAN_REACH","to":"Host:nowhere","count":3},{"from":"Host:spare01","type":"OWNS","to":"Host:x"}]}
                    """);
                Assert.Equal(HttpStatusCode.OK, partialStatus);
                Assert.Equal((1, 1, 2), (partial.GetProperty("nodes").GetInt32(), partial.GetProperty("edges").GetInt32(), partial.GetProperty("rejected").GetInt32()));
                Assert.Equal(["nodes[1].properties.criticality:reserved_property", "edges[1].type:unknown_edge_type"],
                    partial.GetProperty("errors").EnumerateArray().Select(e => e.GetProperty("at").GetString() + ":" + e.GetProperty("error").GetString()));

                var (status, import) = await Import(app, document);
                Assert.True(status == HttpStatusCode.OK, import.ToString());
                Assert.Equal(0, import.GetProperty("rejected").GetInt32());
                Assert.True(import.GetProperty("persisted").GetBoolean());
                Assert.True(import.GetProperty("applied").GetBoolean(), import.ToString());
                var events = import.GetProperty("events");
                Assert.True(events.GetProperty("last").GetInt64() > events.GetProperty("first").GetInt64());

                before = await Snapshot(app, refs);
                costs = await PathCosts(app);
                Assert.Equal([3.1, 5.1], costs);
                var stats = await app.GetJsonAsync("/api/v1/graph/stats");
                Assert.Equal(distinctEdges + 1, stats.GetProperty("edges").GetInt32()); // the fixture's, and spare01's
                var spare = await app.GetJsonAsync("/api/v1/graph/nodes?kind=Host&key=spare01");
                Assert.Equal(3, spare.GetProperty("out")[0].GetProperty("count").GetInt32());

                // An edge's evidence opens the item that stated it.
                var dfm = await app.GetJsonAsync("/api/v1/graph/nodes?kind=User&key=" + Uri.EscapeDataString("DFM@TESTLAB.LOCAL"));
                var adminTo = dfm.GetProperty("out").EnumerateArray().First(e => e.GetProperty("type").GetString() == "ADMIN_TO");
                var item = await app.GetJsonAsync($"/api/v1/events/{adminTo.GetProperty("evidence").GetProperty("events")[0].GetInt64()}");
                Assert.Equal("bloodhound-ce-test-fixtures-v6", item.GetProperty("fields").GetProperty("import.source").GetString());
                Assert.Equal("User:DFM@TESTLAB.LOCAL", item.GetProperty("fields").GetProperty("graph.from").GetString());

                // Idempotent: the same document again changes no node, edge, attribute or count (only seen times move on).
                timeless = await Snapshot(app, refs, times: false);
                var (againStatus, again) = await Import(app, document);
                Assert.Equal(HttpStatusCode.OK, againStatus);
                Assert.True(again.GetProperty("importId").GetInt64() > import.GetProperty("importId").GetInt64());
                Assert.Equal(timeless, await Snapshot(app, refs, times: false));
                before = await Snapshot(app, refs);

                // Acked means durable: no graceful stop, no final checkpoint.
                app.Kill();
                await app.WaitForExitAsync(TimeSpan.FromSeconds(30));
            }

            await using (var app = await ApplianceProcess.StartAsync(dir))
            {
                await app.WaitGraphCaughtUpAsync();
                Assert.Equal(before, await Snapshot(app, refs));
                Assert.Equal(costs, await PathCosts(app));
                Assert.Equal(0, await app.StopAsync());
            }
            // And from the store's own checkpoint, after a graceful stop.
            await using (var app = await ApplianceProcess.StartAsync(dir))
            {
                var stats = await app.GetJsonAsync("/api/v1/graph/stats");
                Assert.Equal(distinctEdges + 1, stats.GetProperty("loadedFromStore").GetProperty("edges").GetInt32());
                // Without seen times: the live graph does not follow a node's time-only widening (GraphStore raises
                // NodeChanged on new nodes and property changes only), the store's checkpoint has it.
                Assert.Equal(timeless, await Snapshot(app, refs, times: false));
            }
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}

using System.Text.Json;
using Redoubt.Graph.Cypher;
using Redoubt.Graph.Engine;
using Redoubt.Graph.Import;
using Redoubt.Tests.Graph.Reference;

namespace Redoubt.Tests.Graph.Cypher;

/// <summary>
/// Cypher over the engine's own snapshot (SnapshotGraph), loaded with the real BloodHound CE fixture
/// (TESTLAB.LOCAL) through the graph import. Every expected answer is computed here from the import
/// document's edge list by plain joins and breadth-first search, not written down.
/// </summary>
public sealed class SnapshotCypherTests
{
    private static readonly Lazy<(SecurityGraph Graph, HashSet<(string From, string Type, string To)> Edges)> Fixture = new(() =>
    {
        var fixture = new BloodHoundFixture();
        var graph = new SecurityGraph();
        using var doc = JsonDocument.Parse(fixture.Document.ToJsonString());
        var report = GraphImport.Apply(graph, doc.RootElement, 1_700_000_000_000);
        Assert.Empty(report.Errors);
        var edges = doc.RootElement.GetProperty("edges").EnumerateArray()
            .Select(e => (e.GetProperty("from").GetString()!, e.GetProperty("type").GetString()!, e.GetProperty("to").GetString()!))
            .ToHashSet();
        return (graph, edges);
    });

    private static SecurityGraph Engine => Fixture.Value.Graph;
    private static HashSet<(string From, string Type, string To)> Edges => Fixture.Value.Edges;

    private static CypherResult Run(string query, Dictionary<string, Value>? parameters = null, CypherLimits? limits = null) =>
        CypherEngine.Run(query, new SnapshotGraph(Engine.Snapshot, Engine), parameters, limits);

    private static List<string> Column(CypherResult r, int i = 0) => r.Rows.Select(row => Values.Format(row[i])).ToList();

    private static string Key(string reference) => reference[(reference.IndexOf(':') + 1)..];

    private static string Kind(string reference) => reference[..reference.IndexOf(':')];

    [Fact]
    public void A_one_hop_pattern_with_labels_and_a_type_returns_exactly_the_imported_edges()
    {
        var r = Run("MATCH (u:User)-[:ADMIN_TO]->(h:Host) RETURN u.key AS user, h.key AS host");
        Assert.Equal(["user", "host"], r.Columns);
        var expected = Edges.Where(e => e.Type == "ADMIN_TO" && Kind(e.From) == "User" && Kind(e.To) == "Host")
            .Select(e => (Key(e.From), Key(e.To))).Order().ToList();
        Assert.NotEmpty(expected);
        Assert.Equal(expected, r.Rows.Select(row => (row[0].AsString, row[1].AsString)).Order().ToList());
    }

    [Fact]
    public void A_three_hop_pattern_equals_the_join_of_the_edge_list()
    {
        var r = Run("""
            MATCH (u:User)-[:MEMBER_OF]->(g:Group)-[:ADMIN_TO]->(h:Host)<-[:LOGGED_ON]-(v:User)
            RETURN DISTINCT u.key, h.key, v.key
            """);
        var expected = (
            from a in Edges where a.Type == "MEMBER_OF" && Kind(a.From) == "User" && Kind(a.To) == "Group"
            from b in Edges where b.Type == "ADMIN_TO" && b.From == a.To && Kind(b.To) == "Host"
            from c in Edges where c.Type == "LOGGED_ON" && c.To == b.To && Kind(c.From) == "User"
            select (Key(a.From), Key(b.To), Key(c.From))).Distinct().Order().ToList();
        Assert.NotEmpty(expected);
        Assert.Equal(expected, r.Rows.Select(row => (row[0].AsString, row[1].AsString, row[2].AsString)).Order().ToList());
    }

    [Fact]
    public void Variable_length_memberships_reach_what_a_breadth_first_search_reaches()
    {
        const string user = "User:ADMINISTRATOR@TESTLAB.LOCAL";
        var r = Run("MATCH (u:User {key: $key})-[:MEMBER_OF*1..4]->(g:Group) RETURN DISTINCT g.key ORDER BY g.key",
            new() { ["key"] = Value.Str(Key(user)) });
        var reached = new HashSet<string>();
        var frontier = new List<string> { user };
        for (var hop = 0; hop < 4; hop++)
        {
            frontier = Edges.Where(e => e.Type == "MEMBER_OF" && frontier.Contains(e.From)).Select(e => e.To).Where(reached.Add).ToList();
        }
        Assert.True(reached.Count > 1, "the fixture's administrator is in several groups");
        Assert.Equal(reached.Where(x => Kind(x) == "Group").Select(Key).Order(StringComparer.Ordinal), Column(r).Select(s => s.Trim('\'')));
    }

    [Fact]
    public void ShortestPath_has_the_breadth_first_length_and_walks_real_edges()
    {
        var r = Run("""
            MATCH (a:User {key: 'DFM@TESTLAB.LOCAL'}), (b:Group {key: 'DOMAIN ADMINS@TESTLAB.LOCAL'})
            MATCH p = shortestPath((a)-[*..8]-(b))
            RETURN length(p), [n IN nodes(p) | n.kind + ':' + n.key], [x IN relationships(p) | type(x)]
            """);
        var row = Assert.Single(r.Rows);
        // Undirected BFS over the document edges.
        var dist = new Dictionary<string, int> { ["User:DFM@TESTLAB.LOCAL"] = 0 };
        var queue = new Queue<string>(dist.Keys);
        while (queue.Count > 0)
        {
            var x = queue.Dequeue();
            foreach (var e in Edges.Where(e => e.From == x || e.To == x))
            {
                var y = e.From == x ? e.To : e.From;
                if (dist.TryAdd(y, dist[x] + 1)) queue.Enqueue(y);
            }
        }
        Assert.Equal(dist["Group:DOMAIN ADMINS@TESTLAB.LOCAL"], row[0].AsInt);
        var nodes = row[1].AsList.Select(v => v.AsString).ToList();
        var types = row[2].AsList.Select(v => v.AsString).ToList();
        for (var i = 0; i < types.Count; i++)
            Assert.True(Edges.Contains((nodes[i], types[i], nodes[i + 1])) || Edges.Contains((nodes[i + 1], types[i], nodes[i])), $"{nodes[i]} -{types[i]}- {nodes[i + 1]} is not an imported edge");
    }

    [Fact]
    public void Where_aggregation_order_skip_and_limit_agree_with_the_edge_list()
    {
        var r = Run("""
            MATCH (m)-[:MEMBER_OF]->(g:Group)
            WHERE (g.key STARTS WITH 'DOMAIN' OR g.key CONTAINS 'ADMIN' OR g.key ENDS WITH 'OPERATORS@TESTLAB.LOCAL') AND NOT g.key CONTAINS 'GUESTS' AND m.key IS NOT NULL
            RETURN g.key AS grp, count(m) AS members, collect(DISTINCT m.kind) AS kinds
            ORDER BY members DESC, grp SKIP 1 LIMIT 3
            """);
        var expected = Edges.Where(e => e.Type == "MEMBER_OF" && Kind(e.To) == "Group" && Selected(Key(e.To)))
            .GroupBy(e => Key(e.To)).Select(g => (Group: g.Key, Members: (long)g.Count()))
            .OrderByDescending(x => x.Members).ThenBy(x => x.Group, StringComparer.Ordinal).Skip(1).Take(3).ToList();
        Assert.True(expected.Count > 1, "the fixture has memberships in several of these groups");
        Assert.Equal(expected, r.Rows.Select(row => (row[0].AsString, row[1].AsInt)).ToList());

        static bool Selected(string g) =>
            (g.StartsWith("DOMAIN", StringComparison.Ordinal) || g.Contains("ADMIN", StringComparison.Ordinal) || g.EndsWith("OPERATORS@TESTLAB.LOCAL", StringComparison.Ordinal))
            && !g.Contains("GUESTS", StringComparison.Ordinal);
    }

    [Fact]
    public void Optional_match_keeps_the_row_with_null_and_IN_filters_by_a_parameter_list()
    {
        var hosts = Edges.Where(e => Kind(e.To) == "Host").Select(e => Key(e.To)).Distinct().Order(StringComparer.Ordinal).Take(2).ToList();
        var r = Run("""
            MATCH (h:Host) WHERE h.key IN $hosts
            OPTIONAL MATCH (h)-[:NO_SUCH_TYPE_HERE|RESOLVES_TO]->(x)
            RETURN h.key, x IS NULL ORDER BY h.key
            """, new() { ["hosts"] = Value.List(hosts.Select(Value.Str).ToArray()) });
        Assert.Equal(hosts.Select(h => (h, true)), r.Rows.Select(row => (row[0].AsString, row[1].AsBool)));
    }

    [Fact]
    public void Budgets_cut_rows_and_stop_runaway_work_with_a_named_limit()
    {
        var cut = Run("MATCH (n) RETURN n.key", limits: CypherLimits.Default with { MaxRows = 3 });
        Assert.Equal(3, cut.Rows.Count);
        Assert.True(cut.Truncated);

        var e = Assert.Throws<CypherException>(() => Run("MATCH (a), (b), (c) RETURN count(*)", limits: CypherLimits.Default with { MaxExpansions = 1_000, ComplexityFactor = 1e12 }));
        Assert.Equal(CypherErrorKind.Budget, e.Kind);
        Assert.Equal("expansions", e.Code);

        var precheck = Assert.Throws<CypherException>(() => Run("MATCH (a), (b), (c), (d) RETURN count(*)", limits: CypherLimits.Default with { MaxExpansions = 1_000, ComplexityFactor = 10 }));
        Assert.Equal(CypherErrorKind.TooComplex, precheck.Kind);
        Assert.False(precheck.AtRuntime);

        var tooLong = Assert.Throws<CypherException>(() => Run("MATCH (a)-[*1..50]->(b) RETURN b"));
        Assert.Equal(CypherErrorKind.TooComplex, tooLong.Kind);
        Assert.Equal((1, 10), (tooLong.Line, tooLong.Column));
    }

    [Theory]
    [InlineData("MATCH (n) RETURN n ORDER n.key", CypherErrorKind.Syntax, 1, 20)]
    [InlineData("MATCH (n)\nWHERE n.key = RETURN n", CypherErrorKind.Syntax, 2, 15)]
    [InlineData("MATCH (n) CREATE (m) RETURN m", CypherErrorKind.ReadOnly, 1, 11)]
    [InlineData("MATCH (n) WHERE n.key = $missing RETURN n", CypherErrorKind.ParameterMissing, 1, 25)]
    [InlineData("CALL db.labels()", CypherErrorKind.Unsupported, 1, 1)]
    [InlineData("RETURN date('2024-01-01')", CypherErrorKind.Unsupported, 1, 8)]
    [InlineData("MATCH (n) RETURN m", CypherErrorKind.Syntax, 1, 18)]
    public void Refused_queries_say_what_and_where(string query, CypherErrorKind kind, int line, int column)
    {
        var e = Assert.Throws<CypherException>(() => Run(query));
        Assert.True((kind, line, column) == (e.Kind, e.Line, e.Column), $"{query}: {e.Kind} {e.Code} at {e.Line}:{e.Column}: {e.PlainMessage}");
        Assert.False(string.IsNullOrWhiteSpace(e.PlainMessage));
    }
}

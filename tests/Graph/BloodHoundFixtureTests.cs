using System.Text.Json;
using Redoubt.Graph.Algorithms;
using Redoubt.Graph.Engine;
using Redoubt.Graph.Import;
using Redoubt.Storage.Graph;
using Redoubt.Tests.Graph.Reference;

namespace Redoubt.Tests.Graph;

/// <summary>
/// The real BloodHound CE test fixture (TESTLAB.LOCAL), imported through the graph import and
/// queried: the memberships, local admin rights and sessions it was built with, and the classic
/// derivative path from a local admin to Domain Admins through a session on the same machine.
/// </summary>
public sealed class BloodHoundFixtureTests
{
    private const string Domain = "@TESTLAB.LOCAL";

    private static (SecurityGraph Graph, ImportReport Report) Load()
    {
        var fixture = new BloodHoundFixture();
        var graph = new SecurityGraph();
        using var doc = JsonDocument.Parse(fixture.Document.ToJsonString());
        var report = GraphImport.Apply(graph, doc.RootElement, 1_700_000_000_000);
        return (graph, report);
    }

    private static int Id(GraphSnapshot g, NodeKind kind, string key)
    {
        Assert.True(g.TryFind(kind, key, out var id), $"{kind}:{key} not in the graph");
        return id;
    }

    private static bool Has(GraphSnapshot g, NodeKind fromKind, string from, EdgeType type, NodeKind toKind, string to) =>
        g.FindEdge(Id(g, fromKind, from), type, Id(g, toKind, to)) >= 0;

    [Fact]
    public void The_fixture_imports_without_rejections()
    {
        var (graph, report) = Load();
        Assert.Empty(report.Errors);
        var g = graph.Snapshot;
        Assert.True(graph.CountOf(NodeKind.User) >= 17);
        Assert.True(graph.CountOf(NodeKind.Group) >= 30);
        Assert.Equal(4, graph.CountOf(NodeKind.Host) - UnresolvedComputers(g));
        Assert.Equal(1, graph.CountOf(NodeKind.Domain));
        // Repeats (DFM's two sessions on WIN10) merge into one edge.
        var distinct = new BloodHoundFixture().Document["edges"]!.AsArray().Select(e => $"{e!["from"]}|{e["type"]}|{e["to"]}".ToUpperInvariant()).Distinct().Count();
        Assert.Equal(distinct, g.EdgeCount);
        Assert.True(report.Edges > distinct);
    }

    private static int UnresolvedComputers(GraphSnapshot g) =>
        Enumerable.Range(0, g.NodeCount).Count(v => g.Kind(v) == NodeKind.Host && g.Key(v).StartsWith("S-1-5-", StringComparison.Ordinal));

    [Fact]
    public void Memberships_admin_rights_and_sessions_are_the_fixtures()
    {
        var g = Load().Graph.Snapshot;
        Assert.True(Has(g, NodeKind.User, "ADMIN" + Domain, EdgeType.MemberOf, NodeKind.Group, "DOMAIN ADMINS" + Domain));
        Assert.True(Has(g, NodeKind.User, "ADMINISTRATOR" + Domain, EdgeType.MemberOf, NodeKind.Group, "ENTERPRISE ADMINS" + Domain));
        Assert.True(Has(g, NodeKind.Group, "SYSADMINS" + Domain, EdgeType.MemberOf, NodeKind.Group, "DOMAIN ADMINS" + Domain));
        Assert.True(Has(g, NodeKind.Group, "DOMAIN ADMINS" + Domain, EdgeType.MemberOf, NodeKind.Group, "ADMINISTRATORS" + Domain));
        Assert.True(Has(g, NodeKind.User, "DCSYNCDELEGATIONTEST" + Domain, EdgeType.MemberOf, NodeKind.Group, "GETCHANGESALLGROUP" + Domain));

        Assert.True(Has(g, NodeKind.User, "DFM" + Domain, EdgeType.AdminTo, NodeKind.Host, "WIN10.TESTLAB.LOCAL"));
        Assert.True(Has(g, NodeKind.Group, "DOMAIN ADMINS" + Domain, EdgeType.AdminTo, NodeKind.Host, "WIN10.TESTLAB.LOCAL"));
        Assert.True(Has(g, NodeKind.User, "DFM" + Domain, EdgeType.AdminTo, NodeKind.Host, "UCCOMP.TESTLAB.LOCAL")); // GenericAll
        Assert.True(Has(g, NodeKind.User, "ADDALLOWEDTOACTTEST" + Domain, EdgeType.AdminTo, NodeKind.Host, "PRIMARY.TESTLAB.LOCAL")); // AddAllowedToAct

        var win10 = Id(g, NodeKind.Host, "WIN10.TESTLAB.LOCAL");
        var loggedOn = new List<string>();
        foreach (var a in g.In(win10)) if (a.Type == EdgeType.LoggedOn) loggedOn.Add(g.Key(a.Peer));
        Assert.Equal(
            new[] { "ADMINISTRATOR" + Domain, "DFM" + Domain, "S-1-5-21-3130019616-2776909439-2417379446-1107", "S-1-5-21-3130019616-2776909439-2417379446-1108", "WRITEDACLTEST" + Domain }.Order(),
            loggedOn.Order());
    }

    [Fact]
    public void A_local_admin_reaches_domain_admins_through_a_session_on_its_machine()
    {
        var g = Load().Graph.Snapshot;
        var dfm = Id(g, NodeKind.User, "DFM" + Domain);
        var domainAdmins = Id(g, NodeKind.Group, "DOMAIN ADMINS" + Domain);
        var r = ShortestPaths.Find(g, PathEnds.Between(dfm, domainAdmins), 3, null, EdgeFilter.All, QueryBudget.Unlimited());
        // Two ways onto WIN10 (local admin; or DFM's own session plus a privilege escalation), then ADMINISTRATOR's session there.
        Assert.Equal(2, r.Paths.Count);
        Assert.All(r.Paths, p => Assert.Equal(["DFM" + Domain, "WIN10.TESTLAB.LOCAL", "ADMINISTRATOR" + Domain, "DOMAIN ADMINS" + Domain], p.Nodes.Select(g.Key)));
        Assert.Equal([(EdgeType.AdminTo, false), (EdgeType.LoggedOn, true), (EdgeType.MemberOf, false)],
            r.Paths[0].Steps.Select(s => (g.EdgeTypeOf(Step.Edge(s)), Step.IsReverse(s))));
        Assert.Equal(3_100, r.Paths[0].Cost); // admin 1 + credential theft 2 + membership 0.1
        Assert.Equal(EdgeType.LoggedOn, g.EdgeTypeOf(Step.Edge(r.Paths[1].Steps[0])));
        Assert.Equal(5_100, r.Paths[1].Cost); // foothold 3 instead of admin 1

        var blast = BlastRadius.Run(g, [dfm], 6, null, EdgeFilter.All, QueryBudget.Unlimited());
        var reached = blast.Reached.Select(n => g.Key(n.Node)).ToHashSet();
        foreach (var key in (string[])["WIN10.TESTLAB.LOCAL", "UCCOMP.TESTLAB.LOCAL", "ADMINISTRATOR" + Domain, "WRITEDACLTEST" + Domain,
                     "DOMAIN ADMINS" + Domain, "ENTERPRISE ADMINS" + Domain, "SCHEMA ADMINS" + Domain, "ADMINISTRATORS" + Domain])
            Assert.Contains(key, reached);
        // The domain controller falls too: the admin groups ADMINISTRATOR belongs to control its computer object.
        var dc = blast.Reached.Single(n => g.Key(n.Node) == "PRIMARY.TESTLAB.LOCAL");
        var toDc = blast.Tree.PathTo(dc.TreeIndex).Nodes.Select(g.Key).ToList();
        Assert.Equal(["DFM" + Domain, "WIN10.TESTLAB.LOCAL", "ADMINISTRATOR" + Domain], toDc.Take(3));
        Assert.Contains(toDc[3], new[] { "DOMAIN ADMINS", "ENTERPRISE ADMINS", "ADMINISTRATORS" }.Select(x => x + Domain));
    }

    [Fact]
    public void With_domain_admins_as_crown_jewel_the_session_host_is_the_choke_point()
    {
        var (graph, _) = Load();
        graph.Write(w => w.Update(w.Node(NodeKind.Group, "DOMAIN ADMINS" + Domain), new NodeUpdate { SetFlags = NodeFlags.CrownJewel }));
        var g = graph.Snapshot;
        var sources = new[] { "DFM", "WRITEDACLTEST", "ADDALLOWEDTOACTTEST" }.Select(u => (Id(g, NodeKind.User, u + Domain), 0L)).ToList();
        var ends = new PathEnds(sources, AttackPaths.CrownJewels(g));
        var paths = AttackPaths.Run(g, ends, 5, null, EdgeFilter.All, QueryBudget.Unlimited());
        // DFM as local admin, then DFM and WRITEDACLTEST each by their session on WIN10; PRIMARY (ADDALLOWEDTOACTTEST's) holds no session.
        Assert.Equal([3_100L, 5_100, 5_100], paths.Paths.Select(p => p.Cost));
        Assert.Equal(["DFM" + Domain, "DFM" + Domain, "WRITEDACLTEST" + Domain], paths.Paths.Select(p => g.Key(p.Source)).Order(StringComparer.Ordinal));
        var choke = ChokePoints.Run(g, ends, 3, EdgeFilter.All, QueryBudget.Unlimited());
        Assert.Equal(2, choke.Pairs);
        Assert.Equal([("ADMINISTRATOR" + Domain, 2.0), ("WIN10.TESTLAB.LOCAL", 2.0)], choke.Nodes.Select(c => (g.Key(c.Id), c.Paths)).Order());
    }
}

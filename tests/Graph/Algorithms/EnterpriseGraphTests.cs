using Redoubt.Graph.Algorithms;
using Redoubt.Graph.Engine;
using Redoubt.Storage.Graph;

namespace Redoubt.Tests.Graph.Algorithms;

/// <summary>
/// A small enterprise whose attack paths were worked out by hand with the default costs
/// (docs/graph.md): an internet-facing web server with Log4Shell in front of an app server whose
/// service account administers the payroll database; a VPN appliance and a mail relay in front of
/// a helpdesk workstation; a domain admin who logged on to a helpdesk-managed workstation and to
/// the database server. Every expected path and cost below is written out, not computed.
/// </summary>
public sealed class EnterpriseGraphTests
{
    private static readonly DateTimeOffset Old = new(2024, 1, 10, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Recent = new(2024, 9, 1, 0, 0, 0, TimeSpan.Zero);

    private sealed class Acme
    {
        public readonly SecurityGraph Graph = new();
        public GraphSnapshot Snapshot => Graph.Snapshot;

        public Acme()
        {
            Graph.Write(w =>
            {
                var import = w.BeginImport("acme-inventory", Recent.ToUnixTimeMilliseconds());
                void Edge(string from, EdgeType type, string to, DateTimeOffset? at = null)
                {
                    var t = (at ?? Recent).ToUnixTimeMilliseconds();
                    w.AssertEdge(Id(w, from), type, Id(w, to), new EdgeAssertion(t, import));
                }
                void Tag(string node, NodeUpdate update) => w.Update(Id(w, node), update);

                Edge("Host:web1", EdgeType.ExposedToInternet, "IpAddress:203.0.113.10");
                Tag("Host:vpn1", new NodeUpdate { SetFlags = NodeFlags.InternetFacing });
                Tag("Host:mail1", new NodeUpdate { SetFlags = NodeFlags.InternetFacing });
                Tag("Vulnerability:CVE-2021-44228", new NodeUpdate { Cvss = 10, SetFlags = NodeFlags.KnownExploited });
                Tag("Vulnerability:CVE-2023-46805", new NodeUpdate { Cvss = 8.2 });
                Tag("Vulnerability:CVE-2022-22965", new NodeUpdate { Cvss = 9.8 });
                Edge("Host:web1", EdgeType.HasVulnerability, "Vulnerability:CVE-2021-44228"); // exploit 1
                Edge("Host:vpn1", EdgeType.HasVulnerability, "Vulnerability:CVE-2023-46805"); // exploit 1 + 1.8 * 0.5 = 1.9
                Edge("Host:app1", EdgeType.HasVulnerability, "Vulnerability:CVE-2022-22965"); // exploit 1 + 0.2 * 0.5 = 1.1
                Tag("DataStore:payroll", new NodeUpdate { SetFlags = NodeFlags.CrownJewel });
                Tag("DataStore:ntds", new NodeUpdate { SetFlags = NodeFlags.CrownJewel });

                Edge("Host:web1", EdgeType.ConnectedTo, "Host:app1");              // 1 + 1.1
                Edge("Host:app1", EdgeType.ConnectedTo, "Host:db1");               // 1 + 8 (no known vulnerability)
                Edge("User:svc_app", EdgeType.LoggedOn, "Host:app1");              // app1 → svc_app: 2
                Edge("User:svc_app", EdgeType.MemberOf, "Group:DBAdmins");         // 0.1
                Edge("Group:DBAdmins", EdgeType.AdminTo, "Host:db1");              // 1
                Edge("Host:db1", EdgeType.Stores, "DataStore:payroll");            // 0.5
                Edge("User:da_admin", EdgeType.LoggedOn, "Host:db1");              // db1 → da_admin: 2; da_admin → db1: 3
                Edge("User:da_admin", EdgeType.LoggedOn, "Host:ws2");              // ws2 → da_admin: 2
                Edge("User:da_admin", EdgeType.MemberOf, "Group:Domain Admins");   // 0.1
                Edge("Group:Domain Admins", EdgeType.AdminTo, "Host:dc1");         // 1
                Edge("Host:dc1", EdgeType.Stores, "DataStore:ntds");               // 0.5
                Edge("Host:vpn1", EdgeType.ConnectedTo, "Host:ws1");               // 1 + 8
                Edge("Host:mail1", EdgeType.ConnectedTo, "Host:ws1");              // 1 + 8
                Edge("User:alice", EdgeType.LoggedOn, "Host:ws1", Old);            // ws1 → alice: 2
                Edge("User:alice", EdgeType.MemberOf, "Group:Helpdesk");           // 0.1
                Edge("Group:Helpdesk", EdgeType.AdminTo, "Host:ws1");              // 1
                Edge("Group:Helpdesk", EdgeType.AdminTo, "Host:ws2");              // 1
            });
        }

        private static int Id(GraphWriter w, string reference)
        {
            var colon = reference.IndexOf(':');
            Assert.True(GraphSchema.TryParseNodeKind(reference[..colon], out var kind));
            return w.Node(kind, reference[(colon + 1)..]);
        }

        public int this[string reference]
        {
            get
            {
                var colon = reference.IndexOf(':');
                GraphSchema.TryParseNodeKind(reference[..colon], out var kind);
                Assert.True(Snapshot.TryFind(kind, reference[(colon + 1)..], out var id), reference);
                return id;
            }
        }

        public string Name(int node) => Snapshot.Key(node);

        public string Route(GraphPath p) => string.Join(" > ", p.Nodes.Select(Name));
    }

    private static double Units(long milli) => milli / 1000.0;

    [Fact]
    public void Attack_paths_from_the_internet_to_the_crown_jewels_come_cheapest_first()
    {
        var acme = new Acme();
        var g = acme.Snapshot;
        var sources = AttackPaths.DefaultSources(g, includeAlerted: false);
        Assert.Equal(new[] { ("web1", 1.0), ("vpn1", 1.9), ("mail1", 8.0) }.Order(), sources.Select(s => (acme.Name(s.Node), Units(s.EntryCost))).Order());
        var result = AttackPaths.Run(g, new PathEnds(sources, AttackPaths.CrownJewels(g)), 10, null, EdgeFilter.All, QueryBudget.Unlimited());
        Assert.Equal(BudgetHit.None, result.Truncated);
        Assert.Equal(
        [
            ("web1 > app1 > svc_app > DBAdmins > db1 > payroll", 6.7),
            ("web1 > app1 > svc_app > DBAdmins > db1 > da_admin > Domain Admins > dc1 > ntds", 9.8),
            ("web1 > app1 > db1 > payroll", 12.6),
            ("web1 > app1 > db1 > da_admin > Domain Admins > dc1 > ntds", 15.7),
            ("vpn1 > ws1 > alice > Helpdesk > ws2 > da_admin > Domain Admins > dc1 > ntds", 17.6),
            ("vpn1 > ws1 > alice > Helpdesk > ws2 > da_admin > db1 > payroll", 19.5),
            ("mail1 > ws1 > alice > Helpdesk > ws2 > da_admin > Domain Admins > dc1 > ntds", 23.7),
            ("mail1 > ws1 > alice > Helpdesk > ws2 > da_admin > db1 > payroll", 25.6),
        ], result.Paths.Select(p => (acme.Route(p), Units(p.Cost))));

        // Each step is the edge the inventory stated, traversed the way the cost model says.
        var first = result.Paths[0];
        Assert.Equal(
        [
            (EdgeType.ConnectedTo, false), (EdgeType.LoggedOn, true), (EdgeType.MemberOf, false), (EdgeType.AdminTo, false), (EdgeType.Stores, false),
        ], first.Steps.Select(s => (g.EdgeTypeOf(Step.Edge(s)), Step.IsReverse(s))));
        Assert.Equal([2.1, 2, 0.1, 1, 0.5], first.Steps.Select(s => Units(g.StepCost(s))));
        Assert.All(first.Steps, s => Assert.Equal("acme-inventory", acme.Graph.FindImport(g.EvidenceOf(Step.Edge(s)).Single().ImportId)!.Source));
    }

    [Fact]
    public void A_hop_limit_keeps_only_the_attack_paths_short_enough()
    {
        var acme = new Acme();
        var g = acme.Snapshot;
        var ends = new PathEnds(AttackPaths.DefaultSources(g, false), AttackPaths.CrownJewels(g));
        var result = AttackPaths.Run(g, ends, 10, 4, EdgeFilter.All, QueryBudget.Unlimited());
        Assert.Equal(["web1 > app1 > db1 > payroll"], result.Paths.Select(acme.Route));
    }

    [Fact]
    public void The_blast_radius_of_a_helpdesk_account_reaches_the_domain_within_six_hops()
    {
        var acme = new Acme();
        var g = acme.Snapshot;
        var result = BlastRadius.Run(g, [acme["User:alice"]], 6, null, EdgeFilter.All, QueryBudget.Unlimited());
        // ws1 is cheaper as Helpdesk's admin (0.1 + 1) than by alice's own logon there (3), though that is one hop.
        Assert.Equal(
        [
            ("Helpdesk", 0.1, 1, 1), ("ws1", 1.1, 2, 1), ("ws2", 1.1, 2, 2), ("da_admin", 3.1, 3, 3), ("Domain Admins", 3.2, 4, 4),
            ("dc1", 4.2, 5, 5), ("ntds", 4.7, 6, 6), ("db1", 6.1, 4, 4), ("payroll", 6.6, 5, 5),
        ], result.Reached.Select(n => (acme.Name(n.Node), Units(n.Cost), n.Hops, n.MinHops)).OrderBy(x => x.Item2).ThenBy(x => x.Item1, StringComparer.Ordinal));
        var ntds = result.Reached.Single(n => acme.Name(n.Node) == "ntds");
        Assert.Equal("alice > Helpdesk > ws2 > da_admin > Domain Admins > dc1 > ntds", acme.Route(result.Tree.PathTo(ntds.TreeIndex)));

        var fiveHops = BlastRadius.Run(g, [acme["User:alice"]], 5, null, EdgeFilter.All, QueryBudget.Unlimited());
        Assert.DoesNotContain("ntds", fiveHops.Reached.Select(n => acme.Name(n.Node)));
        var cheap = BlastRadius.Run(g, [acme["User:alice"]], 6, 3_150, EdgeFilter.All, QueryBudget.Unlimited());
        Assert.Equal(["Helpdesk", "da_admin", "ws1", "ws2"], cheap.Reached.Select(n => acme.Name(n.Node)).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Shortest_paths_between_two_entities_are_ranked_by_attack_cost()
    {
        var acme = new Acme();
        var g = acme.Snapshot;
        var toNtds = ShortestPaths.Find(g, PathEnds.Between(acme["Host:web1"], acme["DataStore:ntds"]), 3, null, EdgeFilter.All, QueryBudget.Unlimited());
        Assert.Equal(
        [
            ("web1 > app1 > svc_app > DBAdmins > db1 > da_admin > Domain Admins > dc1 > ntds", 8.8),
            ("web1 > app1 > db1 > da_admin > Domain Admins > dc1 > ntds", 14.7),
        ], toNtds.Paths.Select(p => (acme.Route(p), Units(p.Cost)))); // from a named node: no entry cost
        var none = ShortestPaths.Find(g, PathEnds.Between(acme["DataStore:payroll"], acme["Host:web1"]), 1, null, EdgeFilter.All, QueryBudget.Unlimited());
        Assert.Empty(none.Paths);
    }

    [Fact]
    public void The_domain_admin_is_the_choke_point_of_most_attack_paths()
    {
        var acme = new Acme();
        var g = acme.Snapshot;
        var result = ChokePoints.Run(g, new PathEnds(AttackPaths.DefaultSources(g, false), AttackPaths.CrownJewels(g)), 20, EdgeFilter.All, QueryBudget.Unlimited());
        Assert.Equal(6, result.Pairs);
        Assert.Equal((3, 3), (result.SourcesDone, result.SourcesTotal));
        // The six cheapest source→jewel paths (above): da_admin lies on all but web1→payroll.
        Assert.Equal(new Dictionary<string, double>
        {
            ["da_admin"] = 5,
            ["db1"] = 4, ["ws1"] = 4, ["alice"] = 4, ["Helpdesk"] = 4, ["ws2"] = 4,
            ["Domain Admins"] = 3, ["dc1"] = 3,
            ["app1"] = 2, ["svc_app"] = 2, ["DBAdmins"] = 2,
        }, result.Nodes.ToDictionary(c => acme.Name(c.Id), c => c.Paths));
        Assert.Equal("da_admin", acme.Name(result.Nodes[0].Id));
        var step = result.Steps[0];
        Assert.Equal((4.0, "ws2", "da_admin"), (step.Paths, acme.Name(g.StepOrigin(step.Id)), acme.Name(g.StepTarget(step.Id))));
    }

    [Fact]
    public void The_neighbourhood_filters_by_edge_type_and_time_window()
    {
        var acme = new Acme();
        var g = acme.Snapshot;
        var ws1 = acme["Host:ws1"];
        var all = Neighbourhood.Run(g, ws1, 1, Direction.Both, EdgeFilter.All, QueryBudget.Unlimited());
        Assert.Equal(["Helpdesk", "alice", "mail1", "vpn1", "ws1"], all.Nodes.Select(n => acme.Name(n.Node)).Order());
        var logons = Neighbourhood.Run(g, ws1, 1, Direction.In, EdgeFilter.Of([EdgeType.LoggedOn]), QueryBudget.Unlimited());
        Assert.Equal(["alice", "ws1"], logons.Nodes.Select(n => acme.Name(n.Node)).Order());
        var sinceJune = EdgeFilter.Of(null, new DateTimeOffset(2024, 6, 1, 0, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds());
        var recent = Neighbourhood.Run(g, ws1, 1, Direction.Both, sinceJune, QueryBudget.Unlimited());
        Assert.Equal(["Helpdesk", "mail1", "vpn1", "ws1"], recent.Nodes.Select(n => acme.Name(n.Node)).Order());
        var twoHops = Neighbourhood.Run(g, ws1, 2, Direction.Both, EdgeFilter.All, QueryBudget.Unlimited());
        Assert.Equal(2, twoHops.Nodes.Single(n => acme.Name(n.Node) == "ws2").Depth);
    }

    [Fact]
    public void A_budget_cut_returns_what_was_found_and_says_so()
    {
        var acme = new Acme();
        var g = acme.Snapshot;
        var alice = acme["User:alice"];
        var few = BlastRadius.Run(g, [alice], 6, null, EdgeFilter.All, new QueryBudget(new QueryLimits { MaxResults = 3 }));
        Assert.Equal(BudgetHit.Results, few.Truncated);
        Assert.Equal(["Helpdesk", "ws1", "ws2"], few.Reached.Select(n => acme.Name(n.Node)).Order(StringComparer.Ordinal)); // the three cheapest, costs final
        var tiny = AttackPaths.Run(g, new PathEnds(AttackPaths.DefaultSources(g, false), AttackPaths.CrownJewels(g)), 10, null, EdgeFilter.All,
            new QueryBudget(new QueryLimits { MaxVisits = 1 }));
        Assert.Equal(BudgetHit.Visits, tiny.Truncated);
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        var stopped = ChokePoints.Run(g, new PathEnds(AttackPaths.DefaultSources(g, false), AttackPaths.CrownJewels(g)), 5, EdgeFilter.All,
            new QueryBudget(QueryLimits.Default with { MaxVisits = long.MaxValue }, cancelled.Token));
        Assert.Equal(BudgetHit.Cancelled, stopped.Truncated);
    }
}

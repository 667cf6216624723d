using Redoubt.Graph.Algorithms;
using Redoubt.Graph.Engine;
using Redoubt.Storage.Graph;

namespace Redoubt.Tests.Graph;

public sealed class SecurityGraphTests
{
    [Fact]
    public void A_node_is_its_kind_and_exact_key()
    {
        var g = new SecurityGraph();
        var (a, b, c, d) = g.Write(w => (w.Node(NodeKind.Host, "web1"), w.Node(NodeKind.Host, "web1"), w.Node(NodeKind.User, "web1"), w.Node(NodeKind.Host, "WEB1")));
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
        Assert.NotEqual(a, d); // as in the graph store: writers normalise keys
        var s = g.Snapshot;
        Assert.True(s.TryFind(NodeKind.Host, "web1", out var found));
        Assert.Equal(a, found);
        Assert.False(s.TryFind(NodeKind.Group, "web1", out _));
    }

    [Fact]
    public void Observing_an_edge_again_counts_it_widens_its_times_and_keeps_bounded_evidence()
    {
        var g = new SecurityGraph();
        var (u, h) = g.Write(w => (w.Node(NodeKind.User, "alice@corp"), w.Node(NodeKind.Host, "ws1")));
        for (var i = 1; i <= 20; i++)
        {
            var t = 1_000L * (i == 5 ? 1 : i + 10); // event 5 happened earliest
            g.Write(w => w.ObserveEdge(u, EdgeType.LoggedOn, h, t, Evidence.Event(100 * i)));
        }
        var s = g.Snapshot;
        var e = s.FindEdge(u, EdgeType.LoggedOn, h);
        var v = s.Edge(e);
        Assert.Equal(1, s.EdgeCount);
        Assert.Equal(20, v.Count);
        Assert.Equal((1_000L, 30_000L), (v.FirstSeenMs, v.LastSeenMs));
        // The creating event, then the 7 most recent others, oldest first.
        Assert.Equal([100L, 1400, 1500, 1600, 1700, 1800, 1900, 2000], s.EvidenceOf(e).Select(x => x.EventId));
        Assert.Equal((1_000L, 30_000L), (s.FirstSeenMs(h), s.LastSeenMs(h)));
    }

    [Fact]
    public void Replaying_an_event_already_counted_changes_nothing()
    {
        var g = new SecurityGraph();
        var (u, h) = g.Write(w => (w.Node(NodeKind.User, "bob"), w.Node(NodeKind.Host, "ws2")));
        g.Write(w => { w.ObserveEdge(u, EdgeType.LoggedOn, h, 10, Evidence.Event(64)); w.ObserveEdge(u, EdgeType.LoggedOn, h, 20, Evidence.Event(128)); });
        g.Write(w => { w.ObserveEdge(u, EdgeType.LoggedOn, h, 30, Evidence.Event(128)); w.ObserveEdge(u, EdgeType.LoggedOn, h, 30, Evidence.Event(64)); });
        var v = g.Snapshot.Edge(0);
        Assert.Equal(2, v.Count);
        Assert.Equal(20, v.LastSeenMs);
    }

    [Fact]
    public void Asserting_an_edge_again_from_an_import_is_idempotent_but_cites_the_import()
    {
        var g = new SecurityGraph();
        var (a, b, first, second) = g.Write(w => (w.Node(NodeKind.Group, "admins"), w.Node(NodeKind.Host, "db1"), w.BeginImport("cmdb", 5), w.BeginImport("cmdb", 6)));
        g.Write(w => w.AssertEdge(a, EdgeType.AdminTo, b, new EdgeAssertion(5, first, Count: 3)));
        g.Write(w => w.AssertEdge(a, EdgeType.AdminTo, b, new EdgeAssertion(6, second, Count: 3)));
        g.Write(w => w.AssertEdge(a, EdgeType.AdminTo, b, new EdgeAssertion(6, second)));
        var s = g.Snapshot;
        var v = s.Edge(0);
        Assert.Equal(3, v.Count);
        Assert.Equal((5L, 6L), (v.FirstSeenMs, v.LastSeenMs));
        Assert.Equal([first, second], s.EvidenceOf(0).Select(x => x.ImportId));
        Assert.Equal("cmdb", g.FindImport(second)!.Source);
    }

    [Fact]
    public void A_snapshot_keeps_showing_what_existed_when_it_was_taken()
    {
        var g = new SecurityGraph(options: new GraphEngineOptions { CompactionMinDelta = 2, CompactionRatio = 1 });
        var (x, y) = g.Write(w => (w.Node(NodeKind.Host, "x"), w.Node(NodeKind.Host, "y")));
        g.Write(w => w.ObserveEdge(x, EdgeType.ConnectedTo, y, 1, Evidence.Event(1)));
        var before = g.Snapshot;
        g.Write(w =>
        {
            var z = w.Node(NodeKind.Host, "z");
            w.ObserveEdge(x, EdgeType.ConnectedTo, z, 2, Evidence.Event(2));
            w.ObserveEdge(y, EdgeType.ConnectedTo, z, 2, Evidence.Event(3));
        });
        var after = g.Snapshot;
        Assert.Equal((2, 1), (before.NodeCount, before.EdgeCount));
        Assert.Equal(1, before.OutDegree(x));
        Assert.Equal(0, before.InDegree(y) - 1);
        Assert.Equal((3, 3), (after.NodeCount, after.EdgeCount));
        Assert.Equal(2, after.OutDegree(x));
        Assert.False(before.TryFind(NodeKind.Host, "z", out _));
        Assert.Equal((3, 0), g.EdgeLayout); // compacted: min delta 2 reached
    }

    [Fact]
    public async Task Readers_querying_while_the_writer_adds_and_compacts_see_consistent_graphs()
    {
        // A chain h0 -> h1 -> ... grows by one edge per batch, compacting often; readers check that the
        // path from h0 to the last node their snapshot has is exactly the chain.
        var g = new SecurityGraph(options: new GraphEngineOptions { CompactionMinDelta = 16, CompactionRatio = 2 });
        const int length = 3_000;
        g.Write(w => w.Node(NodeKind.Host, "h0"));
        using var stop = new CancellationTokenSource();
        var failures = new List<string>();
        var checks = 0;
        var readers = Enumerable.Range(0, 2).Select(_ => Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                var s = g.Snapshot;
                var last = s.NodeCount - 1;
                if (s.EdgeCount != last) { lock (failures) failures.Add($"{s.NodeCount} nodes but {s.EdgeCount} edges"); return; }
                if (last == 0) continue;
                var r = ShortestPaths.Find(s, PathEnds.Between(0, last), 1, null, EdgeFilter.All, QueryBudget.Unlimited());
                if (r.Paths.Count != 1 || r.Paths[0].Hops != last || r.Paths[0].Cost != last * s.Costs.StepBase(EdgeType.AdminTo, false))
                { lock (failures) failures.Add($"bad path to h{last}"); return; }
                Interlocked.Increment(ref checks);
            }
        })).ToArray();
        for (var i = 1; i < length; i++)
        {
            var prev = i - 1;
            var name = "h" + i;
            g.Write(w => w.ObserveEdge(prev, EdgeType.AdminTo, w.Node(NodeKind.Host, name), i, Evidence.Event(i)));
            if (i % 250 == 0)
            {
                // Make sure readers really run between writes, however loaded the machine is.
                var before = Volatile.Read(ref checks);
                var deadline = DateTime.UtcNow.AddSeconds(60);
                while (Volatile.Read(ref checks) <= before && failures.Count == 0 && DateTime.UtcNow < deadline) await Task.Delay(1);
            }
        }
        stop.Cancel();
        await Task.WhenAll(readers);
        Assert.Empty(failures);
        Assert.True(checks >= (length - 1) / 250, $"only {checks} reader checks");
        Assert.Equal(length - 1, g.Snapshot.EdgeCount);
    }

    [Fact]
    public void Restoring_edges_from_a_store_sets_their_attributes_exactly()
    {
        var g = new SecurityGraph();
        var e = g.Write(w =>
        {
            var a = w.Node(NodeKind.User, "carol");
            var b = w.Node(NodeKind.Host, "ws3");
            w.ObserveEdge(a, EdgeType.LoggedOn, b, 5, Evidence.Event(7));
            return w.RestoreEdge(a, EdgeType.LoggedOn, b, 42, 100, 200, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
        });
        var s = g.Snapshot;
        Assert.Equal((42, 100L, 200L), (s.Edge(e).Count, s.Edge(e).FirstSeenMs, s.Edge(e).LastSeenMs));
        Assert.Equal([1L, 4, 5, 6, 7, 8, 9, 10], s.EvidenceOf(e).Select(x => x.Raw));
    }

    [Fact]
    public void Vulnerabilities_set_the_exploit_cost_of_their_host_and_follow_later_changes()
    {
        var g = new SecurityGraph();
        var costs = g.Costs;
        var (host, cve) = g.Write(w => (w.Node(NodeKind.Host, "web1"), w.Node(NodeKind.Vulnerability, "CVE-2021-44228")));
        Assert.Equal(costs.NoVulnerability, g.Snapshot.ExploitCost(host));
        g.Write(w => { w.Update(cve, new NodeUpdate { Cvss = 7.5 }); w.AssertEdge(host, EdgeType.HasVulnerability, cve, new EdgeAssertion(1, w.BeginImport("scan", 1))); });
        Assert.Equal(2_250, g.Snapshot.ExploitCost(host)); // 1 + (10 - 7.5) * 0.5
        g.Write(w => w.Update(cve, new NodeUpdate { SetFlags = NodeFlags.KnownExploited }));
        Assert.Equal(costs.KnownExploited, g.Snapshot.ExploitCost(host));
        Assert.Equal(0, g.Snapshot.ExploitCost(cve)); // only hosts and services are exploited over the network
    }

    [Fact]
    public void Exposure_and_alerts_flag_their_nodes_as_attack_path_sources()
    {
        var g = new SecurityGraph();
        g.Write(w =>
        {
            var web = w.Node(NodeKind.Host, "web1");
            w.ObserveEdge(web, EdgeType.ExposedToInternet, w.Node(NodeKind.IpAddress, "203.0.113.7"), 1, Evidence.Event(1));
            w.ObserveEdge(w.Node(NodeKind.Alert, "alert-1"), EdgeType.Raised, w.Node(NodeKind.User, "mallory"), 1, Evidence.Event(2));
        });
        var s = g.Snapshot;
        s.TryFind(NodeKind.Host, "web1", out var webId);
        s.TryFind(NodeKind.User, "mallory", out var user);
        Assert.Equal(NodeFlags.InternetFacing, s.Flags(webId));
        Assert.Equal(NodeFlags.Alerted, s.Flags(user));
        Assert.Equal([webId], AttackPaths.DefaultSources(s, includeAlerted: false).Select(x => x.Node));
        Assert.Equal([webId, user], AttackPaths.DefaultSources(s, includeAlerted: true).Select(x => x.Node).Order());
    }

    [Fact]
    public void Writes_that_name_unknown_nodes_or_types_are_refused()
    {
        var g = new SecurityGraph();
        g.Write(w => w.Node(NodeKind.Host, "a"));
        Assert.Throws<ArgumentOutOfRangeException>(() => g.Write(w => w.ObserveEdge(0, EdgeType.AdminTo, 5, 1, Evidence.None)));
        Assert.Throws<ArgumentOutOfRangeException>(() => g.Write(w => w.ObserveEdge(0, (EdgeType)99, 0, 1, Evidence.None)));
        Assert.Throws<ArgumentOutOfRangeException>(() => g.Write(w => w.Node((NodeKind)0, "x")));
        Assert.Throws<ArgumentException>(() => g.Write(w => w.Node(NodeKind.Host, " ")));
        Assert.Equal(0, g.Snapshot.EdgeCount);
    }
}

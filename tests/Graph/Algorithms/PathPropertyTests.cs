using Redoubt.Graph.Algorithms;
using Redoubt.Graph.Engine;
using Redoubt.Storage.Graph;
using Redoubt.Tests.Graph.Reference;

namespace Redoubt.Tests.Graph.Algorithms;

/// <summary>
/// Every path algorithm against brute force (all simple paths enumerated) on hundreds of random
/// small graphs, each loaded into a real engine in random batches with compactions in between, with
/// random cost models, hop limits, type filters and time windows.
/// </summary>
public sealed class PathPropertyTests
{
    private static QueryBudget Unlimited => QueryBudget.Unlimited();

    [Fact]
    public void The_engine_holds_exactly_the_edges_written_merged_by_source_type_and_target()
    {
        RandomGraphs.Check(c =>
        {
            var g = c.BuildEngine().Snapshot;
            var r = c.Graph;
            Assert.Equal(r.Nodes.Count, g.NodeCount);
            Assert.Equal(r.Edges.Count, g.EdgeCount);
            foreach (var e in r.Edges)
            {
                var id = g.FindEdge(e.Source, e.Type, e.Target);
                Assert.True(id >= 0, $"missing {e}");
                var v = g.Edge(id);
                Assert.Equal((e.FirstMs, e.LastMs), (v.FirstSeenMs, v.LastSeenMs));
                Assert.Single(g.EvidenceOf(id)); // both assertions came from the same import
            }
            for (var v = 0; v < g.NodeCount; v++)
            {
                Assert.Equal(r.Edges.Count(e => e.Source == v), g.OutDegree(v));
                Assert.Equal(r.Edges.Count(e => e.Target == v), g.InDegree(v));
                Assert.Equal(r.Exploit(v), g.ExploitCost(v));
            }
        });
    }

    [Fact]
    public void Shortest_path_is_the_cheapest_simple_path_within_the_hop_limit()
    {
        RandomGraphs.Check(c =>
        {
            var (g, r, q) = (c.BuildEngine().Snapshot, c.Graph, c.Query);
            var result = ShortestPaths.Find(g, PathEnds.Between(q.From, q.To), 1, q.MaxHops, q.Filter, Unlimited);
            var best = r.SimplePaths(q.From, q.MaxHops ?? r.Nodes.Count, q.Filter).Where(p => p.Nodes[^1] == q.To).Select(p => p.Cost).DefaultIfEmpty(-1).Min();
            if (best < 0) { Assert.Empty(result.Paths); return; }
            var path = Assert.Single(result.Paths);
            Assert.Equal(best, PathChecks.AssertValid(g, r, path, q.Filter, q.MaxHops));
            Assert.Equal((q.From, q.To), (path.Source, path.Target));
        });
    }

    [Fact]
    public void K_shortest_paths_are_the_k_cheapest_distinct_simple_paths()
    {
        RandomGraphs.Check(c =>
        {
            var (g, r, q) = (c.BuildEngine().Snapshot, c.Graph, c.Query);
            var result = ShortestPaths.Find(g, PathEnds.Between(q.From, q.To), q.K, q.MaxHops, q.Filter, Unlimited);
            var expected = r.SimplePaths(q.From, q.MaxHops ?? r.Nodes.Count, q.Filter).Where(p => p.Nodes[^1] == q.To)
                .Select(p => p.Cost).Order().Take(q.K).ToList();
            Assert.Equal(expected, result.Paths.Select(p => PathChecks.AssertValid(g, r, p, q.Filter, q.MaxHops)).ToList());
            Assert.Equal(result.Paths.Count, result.Paths.Select(p => string.Join(',', p.Steps)).Distinct().Count());
            Assert.All(result.Paths, p => Assert.Equal((q.From, q.To), (p.Source, p.Target)));
        });
    }

    [Fact]
    public void K_shortest_attack_paths_and_choke_points_are_unchanged_by_a_hub_no_path_can_use()
    {
        // Thousands of edges into the target (or a source) that no attack path can take: the backward
        // searches that guide Yen and choke points (and check Yen's spur searches) must wait at such a
        // hub, not stall or conclude anything from it. Brute force on the graph without the hub gives the answers.
        RandomGraphs.Check(c =>
        {
            var (r, q) = (c.Graph, c.Query);
            var engine = c.BuildEngine();
            var hubs = new[] { q.To, q.From }.Concat(Enumerable.Range(0, r.Nodes.Count).Where(v => (r.Nodes[v].Flags & NodeFlags.CrownJewel) != 0)).Distinct();
            foreach (var hub in hubs)
                if (!AddUnusableHub(engine, r, hub, 5000)) return;
            var g = engine.Snapshot;

            var result = ShortestPaths.Find(g, PathEnds.Between(q.From, q.To), q.K, q.MaxHops, q.Filter, Unlimited);
            var expected = r.SimplePaths(q.From, q.MaxHops ?? r.Nodes.Count, q.Filter).Where(p => p.Nodes[^1] == q.To)
                .Select(p => p.Cost).Order().Take(q.K).ToList();
            Assert.Equal(expected, result.Paths.Select(p => PathChecks.AssertValid(g, r, p, q.Filter, q.MaxHops)).ToList());

            var sources = AttackPaths.DefaultSources(g, includeAlerted: false);
            var targets = AttackPaths.CrownJewels(g);
            var attack = AttackPaths.Run(g, new PathEnds(sources, targets), q.K, q.MaxHops, q.Filter, Unlimited);
            var expectedAttack = sources.SelectMany(s => r.SimplePaths(s.Node, q.MaxHops ?? r.Nodes.Count, q.Filter, s.EntryCost))
                .Where(p => targets.Contains(p.Nodes[^1])).Select(p => p.Cost).Order().Take(q.K).ToList();
            Assert.Equal(expectedAttack, attack.Paths.Select(p => p.Cost).ToList());
            foreach (var p in attack.Paths) PathChecks.AssertValid(g, r, p, q.Filter, q.MaxHops);

            AssertChokePoints(g, r, q);
        }, cases: 120);
    }

    /// <summary>
    /// Adds <paramref name="leaves"/> new hosts with an edge into <paramref name="hub"/> of a type that
    /// is a step forward only: a step from a leaf, never into one, so no path from the graph's own
    /// nodes changes. False when the cost model has no such type.
    /// </summary>
    private static bool AddUnusableHub(SecurityGraph engine, ReferenceGraph r, int hub, int leaves)
    {
        EdgeType[] candidates = [EdgeType.MemberOf, EdgeType.AdminTo, EdgeType.LoggedOn, EdgeType.HasIp, EdgeType.ConnectedTo, EdgeType.CanReach, EdgeType.Runs, EdgeType.Stores, EdgeType.AuthenticatedFrom];
        var type = candidates.Where(t => r.Costs.StepBase(t, false) > 0 && r.Costs.StepBase(t, true) == 0).Cast<EdgeType?>().FirstOrDefault();
        if (type is null) return false;
        engine.Write(w =>
        {
            var import = w.BeginImport("hub", 1);
            for (var i = 0; i < leaves; i++)
                w.AssertEdge(w.Node(NodeKind.Host, $"leaf{hub}-{i}"), type.Value, hub, new EdgeAssertion(0, import, 0, 200_000));
            w.Compact();
        });
        return true;
    }

    [Fact]
    public void Blast_radius_reaches_exactly_what_brute_force_reaches_at_the_same_cheapest_cost()
    {
        RandomGraphs.Check(c =>
        {
            var (g, r, q) = (c.BuildEngine().Snapshot, c.Graph, c.Query);
            var hops = q.MaxHops ?? 3;
            long? maxCost = q.K % 3 == 0 ? q.K * 700 : null;
            var result = BlastRadius.Run(g, [q.From], hops, maxCost, q.Filter, Unlimited);
            var paths = r.SimplePaths(q.From, hops, q.Filter).Where(p => p.Hops > 0 && p.Cost <= (maxCost ?? long.MaxValue)).ToList();
            var expected = paths.GroupBy(p => p.Nodes[^1]).Where(x => x.Key != q.From)
                .ToDictionary(x => x.Key, x => (Cost: x.Min(p => p.Cost), MinHops: x.Min(p => p.Hops)));
            Assert.Equal(expected.Keys.Order(), result.Reached.Select(n => n.Node).Order());
            foreach (var n in result.Reached)
            {
                Assert.Equal(expected[n.Node].Cost, n.Cost);
                var path = result.Tree.PathTo(n.TreeIndex);
                Assert.Equal(n.Cost, PathChecks.AssertValid(g, r, path, q.Filter, hops));
                Assert.Equal(n.Hops, path.Hops);
                Assert.Equal((q.From, n.Node), (path.Source, path.Target));
                Assert.Equal(expected[n.Node].MinHops, n.MinHops);
            }
            Assert.True(result.Reached.Select(n => n.Cost).SequenceEqual(result.Reached.Select(n => n.Cost).Order()), "cheapest first");
        });
    }

    [Fact]
    public void Blast_radius_hops_are_the_fewest_of_the_cheapest_paths_and_a_result_limit_keeps_the_cheapest_nodes()
    {
        RandomGraphs.Check(c =>
        {
            var (g, r, q) = (c.BuildEngine().Snapshot, c.Graph, c.Query);
            var hops = q.MaxHops ?? 3;
            var full = BlastRadius.Run(g, [q.From], hops, null, q.Filter, Unlimited);
            var paths = r.SimplePaths(q.From, hops, q.Filter).Where(p => p.Hops > 0 && p.Nodes[^1] != q.From).ToList();
            foreach (var n in full.Reached)
            {
                var cheapest = paths.Where(p => p.Nodes[^1] == n.Node).Min(p => p.Cost);
                Assert.Equal(paths.Where(p => p.Nodes[^1] == n.Node && p.Cost == cheapest).Min(p => p.Hops), n.Hops);
            }

            // A result limit keeps exactly the first nodes of the full answer, each with a real cheapest path.
            var limit = q.K;
            var cut = BlastRadius.Run(g, [q.From], hops, null, q.Filter, new QueryBudget(new QueryLimits { MaxMillis = int.MaxValue / 2, MaxResults = limit, MaxVisits = long.MaxValue }));
            Assert.Equal(full.Reached.Take(limit).Select(n => (n.Node, n.Cost, n.Hops, n.MinHops)), cut.Reached.Select(n => (n.Node, n.Cost, n.Hops, n.MinHops)));
            Assert.Equal(full.Reached.Count > limit ? BudgetHit.Results : BudgetHit.None, cut.Truncated);
            foreach (var n in cut.Reached)
            {
                var path = cut.Tree.PathTo(n.TreeIndex);
                Assert.Equal(n.Cost, PathChecks.AssertValid(g, r, path, q.Filter, hops));
                Assert.Equal((q.From, n.Node, n.Hops), (path.Source, path.Target, path.Hops));
            }
        });
    }

    [Fact]
    public void A_blast_radius_cut_by_its_work_budget_leaves_nothing_behind_for_the_next_query()
    {
        // The per-node slots are pooled and reset by each query; a query stopped midway must reset them too.
        RandomGraphs.Check(c =>
        {
            var (g, q) = (c.BuildEngine().Snapshot, c.Query);
            var hops = q.MaxHops ?? 3;
            var before = BlastRadius.Run(g, [q.From], hops, null, q.Filter, Unlimited);
            BlastRadius.Run(g, [q.To, q.From], hops, null, q.Filter, new QueryBudget(new QueryLimits { MaxMillis = int.MaxValue / 2, MaxResults = int.MaxValue, MaxVisits = q.K }));
            var after = BlastRadius.Run(g, [q.From], hops, null, q.Filter, Unlimited);
            Assert.Equal(before.Reached.Select(n => (n.Node, n.Cost, n.Hops, n.MinHops)), after.Reached.Select(n => (n.Node, n.Cost, n.Hops, n.MinHops)));
        });
    }

    [Fact]
    public void Attack_paths_are_the_k_cheapest_from_any_source_to_any_crown_jewel()
    {
        RandomGraphs.Check(c =>
        {
            var (g, r, q) = (c.BuildEngine().Snapshot, c.Graph, c.Query);
            var sources = AttackPaths.DefaultSources(g, includeAlerted: false);
            var targets = AttackPaths.CrownJewels(g);
            var expectedSources = Enumerable.Range(0, r.Nodes.Count)
                .Where(v => (r.Nodes[v].Flags & (NodeFlags.Compromised | NodeFlags.InternetFacing)) != 0)
                .Select(v => (v, (r.Nodes[v].Flags & NodeFlags.Compromised) != 0 ? 0 : r.Exploit(v))).ToList();
            Assert.Equal(expectedSources, sources.Select(s => (s.Node, s.EntryCost)));
            Assert.Equal(Enumerable.Range(0, r.Nodes.Count).Where(v => (r.Nodes[v].Flags & NodeFlags.CrownJewel) != 0), targets);

            var result = AttackPaths.Run(g, new PathEnds(sources, targets), q.K, q.MaxHops, q.Filter, Unlimited);
            var expected = sources.SelectMany(s => r.SimplePaths(s.Node, q.MaxHops ?? r.Nodes.Count, q.Filter, s.EntryCost))
                .Where(p => targets.Contains(p.Nodes[^1])).Select(p => p.Cost).Order().Take(q.K).ToList();
            Assert.Equal(expected, result.Paths.Select(p => p.Cost).ToList());
            foreach (var p in result.Paths)
            {
                PathChecks.AssertValid(g, r, p, q.Filter, q.MaxHops);
                Assert.Equal(sources.First(s => s.Node == p.Source).EntryCost, p.EntryCost);
                Assert.Contains(p.Target, targets);
            }
            Assert.Equal(result.Paths.Count, result.Paths.Select(p => p.Source + ":" + string.Join(',', p.Steps)).Distinct().Count());
        });
    }

    [Fact]
    public void Choke_point_counts_equal_the_share_of_cheapest_paths_through_each_node_and_step()
    {
        RandomGraphs.Check(c =>
        {
            var (g, r, q) = (c.BuildEngine().Snapshot, c.Graph, c.Query);
            AssertChokePoints(g, r, q);
        });
    }

    /// <summary>Choke points over the default sources and crown jewels against brute force: every cheapest simple path of every pair.</summary>
    private static void AssertChokePoints(GraphSnapshot g, ReferenceGraph r, RandomQuery q)
    {
        var sources = AttackPaths.DefaultSources(g, includeAlerted: false);
        var targets = AttackPaths.CrownJewels(g);
        var result = ChokePoints.Run(g, new PathEnds(sources, targets), int.MaxValue, q.Filter, Unlimited);

        var nodeShare = new Dictionary<int, double>();
        var stepShare = new Dictionary<(int, bool), double>();
        var pairs = 0;
        foreach (var s in sources.Select(x => x.Node).Distinct())
        foreach (var group in r.SimplePaths(s, r.Nodes.Count, q.Filter).Where(p => p.Hops > 0 && targets.Contains(p.Nodes[^1])).GroupBy(p => p.Nodes[^1]))
        {
            pairs++;
            var min = group.Min(p => p.Cost);
            var cheapest = group.Where(p => p.Cost == min).ToList();
            foreach (var p in cheapest)
            {
                for (var i = 1; i < p.Nodes.Length - 1; i++) nodeShare[p.Nodes[i]] = nodeShare.GetValueOrDefault(p.Nodes[i]) + 1.0 / cheapest.Count;
                foreach (var st in p.Steps) stepShare[(st.Edge, st.Reverse)] = stepShare.GetValueOrDefault((st.Edge, st.Reverse)) + 1.0 / cheapest.Count;
            }
        }
        Assert.Equal(pairs, result.Pairs);
        Assert.Equal(Rounded(nodeShare), Rounded(result.Nodes.ToDictionary(x => x.Id, x => x.Paths)));
        Assert.Equal(Rounded(stepShare), Rounded(result.Steps.ToDictionary(x => (PathChecks.RefEdgeOf(g, r, Step.Edge(x.Id)), Step.IsReverse(x.Id)), x => x.Paths)));

        static SortedDictionary<string, double> Rounded<TKey>(Dictionary<TKey, double> d) where TKey : notnull =>
            new(d.Where(x => x.Value > 1e-9).ToDictionary(x => x.Key.ToString()!, x => Math.Round(x.Value, 6)));
    }

    [Fact]
    public void Neighbourhood_is_a_breadth_first_walk_over_allowed_edges_in_the_asked_direction()
    {
        RandomGraphs.Check(c =>
        {
            var (g, r, q) = (c.BuildEngine().Snapshot, c.Graph, c.Query);
            var hops = q.MaxHops ?? 2;
            var direction = (Direction)(q.K % 3);
            var result = Neighbourhood.Run(g, q.From, hops, direction, q.Filter, Unlimited);

            var allowed = r.Edges.Select((e, i) => (e, i)).Where(x => q.Filter.AllowsType(x.e.Type) && x.e.LastMs >= q.Filter.FromMs && x.e.FirstMs <= q.Filter.ToMs).ToList();
            var depth = new Dictionary<int, int> { [q.From] = 0 };
            var usedEdges = new HashSet<int>();
            for (var d = 0; d < hops; d++)
                foreach (var v in depth.Where(x => x.Value == d).Select(x => x.Key).ToList())
                foreach (var (e, i) in allowed)
                {
                    var peer = direction != Direction.In && e.Source == v ? e.Target
                        : direction != Direction.Out && e.Target == v ? e.Source : -1;
                    if (peer < 0) continue;
                    usedEdges.Add(i);
                    depth.TryAdd(peer, d + 1);
                }
            Assert.Equal(depth.OrderBy(x => x.Key), result.Nodes.Select(n => KeyValuePair.Create(n.Node, n.Depth)).OrderBy(x => x.Key));
            Assert.Equal(usedEdges.Order(), result.Edges.Select(e => PathChecks.RefEdgeOf(g, r, e)).Order());
        });
    }
}

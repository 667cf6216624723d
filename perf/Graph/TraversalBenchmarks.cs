using BenchmarkDotNet.Attributes;
using Redoubt.Graph.Algorithms;
using Redoubt.Graph.Engine;
using Redoubt.Perf.Micro;

namespace Redoubt.Perf.Graph;

/// <summary>
/// Graph queries per query on the synthetic enterprise at graph-bench's --small size (100k nodes, ~870k
/// edges; built once per process): blast radius (6 hops), the cheapest attack path to a crown jewel, and
/// the 2- and 3-hop neighbourhood (both directions, all edge types), each from the same 5 ordinary users
/// graph-bench starts from. The algorithms rent their per-node working memory from a pool
/// (Scratch); what a query allocates is its answer. Reach counts and visits are printed at setup.
/// dotnet perf/bin/Release/net10.0/Redoubt.Perf.dll --filter '*TraversalBenchmarks*'
/// </summary>
[Config(typeof(MicroConfig))]
public class TraversalBenchmarks
{
    private const int Queries = 5;
    public const double Scale = 0.1;

    private sealed class Fixture
    {
        public readonly GraphSnapshot Graph;
        public readonly int[] Users;
        public readonly int[] Jewels;

        public Fixture()
        {
            var gen = new EnterpriseGenerator(Scale);
            Graph = gen.LoadEngine().Snapshot;
            // graph-bench's starts: five users drawn with seed 7.
            var rng = new Random(7);
            Users = Enumerable.Range(0, Queries).Select(_ => gen.Users[rng.Next(gen.Users.Length)]).ToArray();
            // Per user, the crown jewel its cheapest attack path reaches (graph-bench's shortest-path pair, for every user).
            Jewels = Users.Select(u => gen.CrownJewels
                .Select(j => (Jewel: j, Path: ShortestPaths.Find(Graph, PathEnds.Between(u, j), 1, null, EdgeFilter.All, QueryBudget.Unlimited()).Paths))
                .Where(x => x.Path.Count > 0).MinBy(x => x.Path[0].Cost).Jewel).ToArray();
        }
    }

    private static readonly Lazy<Fixture> Shared = new(() => new Fixture());
    private Fixture _f = null!;

    private static bool _warm;

    [GlobalSetup]
    public void Setup()
    {
        _f = Shared.Value;
        if (_warm) return;
        _warm = true;
        var g = _f.Graph;
        var blast = _f.Users.Select(u => BlastRadius.Run(g, [u], 6, null, EdgeFilter.All, QueryBudget.Unlimited())).ToArray();
        var paths = Enumerable.Range(0, Queries).Select(i => ShortestPaths.Find(g, PathEnds.Between(_f.Users[i], _f.Jewels[i]), 1, null, EdgeFilter.All, QueryBudget.Unlimited())).ToArray();
        var two = _f.Users.Select(u => Neighbourhood.Run(g, u, 2, Direction.Both, EdgeFilter.All, QueryBudget.Unlimited())).ToArray();
        var three = _f.Users.Select(u => Neighbourhood.Run(g, u, 3, Direction.Both, EdgeFilter.All, QueryBudget.Unlimited())).ToArray();
        System.Console.WriteLine($"# micro: graph {g.NodeCount:N0} nodes, {g.EdgeCount:N0} edges (EnterpriseGenerator scale {Scale}); per user: " +
            $"blast radius reached {string.Join("/", blast.Select(r => r.Reached.Count))} nodes in {string.Join("/", blast.Select(r => r.Visits))} visits; " +
            $"shortest path hops {string.Join("/", paths.Select(r => r.Paths[0].Hops))}; " +
            $"2-hop {string.Join("/", two.Select(r => r.Nodes.Count))} nodes {string.Join("/", two.Select(r => r.Edges.Count))} edges; " +
            $"3-hop {string.Join("/", three.Select(r => r.Nodes.Count))} nodes {string.Join("/", three.Select(r => r.Edges.Count))} edges");
        Steady.Warm(() => BlastRadius6Hops(), () => ShortestPathToCrownJewel(), () => Neighbourhood2Hops(), () => Neighbourhood3Hops());
    }

    [Benchmark(OperationsPerInvoke = Queries)]
    public int BlastRadius6Hops()
    {
        var n = 0;
        foreach (var u in _f.Users) n += BlastRadius.Run(_f.Graph, [u], 6, null, EdgeFilter.All, QueryBudget.Unlimited()).Reached.Count;
        return n;
    }

    [Benchmark(OperationsPerInvoke = Queries)]
    public long ShortestPathToCrownJewel()
    {
        long cost = 0;
        for (var i = 0; i < Queries; i++)
            cost += ShortestPaths.Find(_f.Graph, PathEnds.Between(_f.Users[i], _f.Jewels[i]), 1, null, EdgeFilter.All, QueryBudget.Unlimited()).Paths[0].Cost;
        return cost;
    }

    [Benchmark(OperationsPerInvoke = Queries)]
    public int Neighbourhood2Hops() => Around(2);

    [Benchmark(OperationsPerInvoke = Queries)]
    public int Neighbourhood3Hops() => Around(3);

    private int Around(int hops)
    {
        var n = 0;
        foreach (var u in _f.Users) n += Neighbourhood.Run(_f.Graph, u, hops, Direction.Both, EdgeFilter.All, QueryBudget.Unlimited()).Nodes.Count;
        return n;
    }
}

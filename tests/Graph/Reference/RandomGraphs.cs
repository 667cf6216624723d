using FsCheck;
using FsCheck.Fluent;
using Redoubt.Graph.Algorithms;
using Redoubt.Graph.Engine;
using Redoubt.Storage.Graph;

namespace Redoubt.Tests.Graph.Reference;

/// <summary>What a property asks of a random graph: two nodes, k, an optional hop limit, an optional type filter and time window.</summary>
public sealed record RandomQuery(int From, int To, int K, int? MaxHops, uint? TypeMask, (long From, long To)? Window)
{
    public EdgeFilter Filter => new(TypeMask ?? uint.MaxValue, Window?.From ?? long.MinValue, Window?.To ?? long.MaxValue);
}

/// <summary>A random small graph, the cost model to read it with, how to feed it to the engine (batches, compaction), and a query.</summary>
public sealed record GraphCase(ReferenceGraph Graph, int[] BatchEnds, int CompactionMinDelta, int CompactionRatio, bool CvssLast, RandomQuery Query)
{
    public override string ToString() =>
        $"{Graph}\nbatches ending at {string.Join(',', BatchEnds)}, compact at {CompactionMinDelta}/{CompactionRatio}, cvss {(CvssLast ? "after" : "before")} edges\nquery {Query}";

    /// <summary>Loads the case into a real engine the way writers do: in batches, compacting as configured. Node ids equal the reference's.</summary>
    public SecurityGraph BuildEngine()
    {
        var g = new SecurityGraph(Graph.Costs, new GraphEngineOptions { CompactionMinDelta = CompactionMinDelta, CompactionRatio = CompactionRatio });
        var nodes = Graph.Nodes;
        g.Write(w =>
        {
            for (var i = 0; i < nodes.Count; i++)
            {
                var id = w.Node(nodes[i].Kind, "n" + i);
                if (id != i) throw new InvalidOperationException("node ids are dense in insertion order");
                w.Update(id, new NodeUpdate { SetFlags = nodes[i].Flags, Cvss = CvssLast ? null : nodes[i].Cvss });
            }
        });
        var import = g.Write(w => w.BeginImport("random", 1));
        var start = 0;
        foreach (var end in BatchEnds.Append(Graph.Edges.Count))
        {
            var from = start;
            g.Write(w =>
            {
                for (var i = from; i < end && i < Graph.Edges.Count; i++)
                {
                    var e = Graph.Edges[i];
                    // Each edge twice, split in time: the engine must merge them into one spanning both.
                    var mid = (e.FirstMs + e.LastMs) / 2;
                    w.AssertEdge(e.Source, e.Type, e.Target, new EdgeAssertion(0, import, e.FirstMs, mid));
                    w.AssertEdge(e.Source, e.Type, e.Target, new EdgeAssertion(0, import, mid, e.LastMs));
                }
            });
            start = Math.Max(start, end);
        }
        if (CvssLast)
            g.Write(w =>
            {
                for (var i = 0; i < nodes.Count; i++)
                    if (nodes[i].Cvss is { } c) w.Update(i, new NodeUpdate { Cvss = c });
            });
        return g;
    }
}

public static class RandomGraphs
{
    private static readonly NodeKind[] Kinds = [NodeKind.Host, NodeKind.Host, NodeKind.User, NodeKind.Group, NodeKind.IpAddress, NodeKind.Vulnerability, NodeKind.DataStore, NodeKind.Service, NodeKind.Software];
    private static readonly EdgeType[] Types =
    [
        EdgeType.AdminTo, EdgeType.MemberOf, EdgeType.LoggedOn, EdgeType.ConnectedTo, EdgeType.CanReach, EdgeType.HasIp,
        EdgeType.HasVulnerability, EdgeType.HasVulnerability, EdgeType.Stores, EdgeType.Runs, EdgeType.AuthenticatedFrom,
    ];
    private static readonly double[] StepCosts = [0, 0.1, 0.25, 0.5, 1, 1, 1.5, 2, 3];

    private static readonly Gen<RefNode> NodeGen =
        from kind in Gen.Elements(Kinds)
        from bits in Gen.Choose(0, 63)
        from cvss in Gen.Choose(-30, 100)
        select new RefNode(kind, FlagsOf(bits), cvss < 0 ? null : cvss / 10.0);

    private static NodeFlags FlagsOf(int bits)
    {
        // Sparse: about one node in four is a crown jewel, internet-facing or compromised.
        var f = NodeFlags.None;
        if ((bits & 3) == 0) f |= NodeFlags.CrownJewel;
        if ((bits & 12) == 0) f |= NodeFlags.InternetFacing;
        if ((bits & 48) == 0) f |= NodeFlags.Compromised;
        if ((bits & 5) == 5) f |= NodeFlags.KnownExploited;
        return f;
    }

    private static Gen<RefEdge> EdgeGen(int n) =>
        from s in Gen.Choose(0, n - 1)
        from d in Gen.Choose(0, n - 1)
        where s != d
        from t in Gen.Elements(Types)
        from first in Gen.Choose(0, 100)
        from len in Gen.Choose(0, 40)
        select new RefEdge(s, t, d, first * 1000L, (first + len) * 1000L);

    private static readonly Gen<AttackCostModel> ModelGen =
        from forward in Gen.Elements(StepCosts).ArrayOf(GraphModel.EdgeTypeSlots)
        from reverse in Gen.Elements(StepCosts).ArrayOf(GraphModel.EdgeTypeSlots)
        from noVuln in Gen.Choose(1, 12)
        from kev in Gen.Choose(1, 4)
        select new AttackCostModel(new AttackCostOptions
        {
            Forward = GraphSchema.EdgeTypes.ToDictionary(t => t.Name(), t => forward[(int)t]),
            Reverse = GraphSchema.EdgeTypes.ToDictionary(t => t.Name(), t => reverse[(int)t]),
            NoVulnerability = noVuln,
            KnownExploited = kev / 2.0,
        });

    private static Gen<RandomQuery> QueryGen(int n) =>
        from a in Gen.Choose(0, n - 1)
        from b in Gen.Choose(0, n - 1)
        from k in Gen.Choose(1, 6)
        from hops in Gen.Choose(0, 6)
        from maskBits in Gen.Choose(0, (1 << 13) - 1)
        from filterTypes in Gen.Elements(false, false, true)
        from start in Gen.Choose(0, 120)
        from len in Gen.Choose(0, 60)
        from window in Gen.Elements(false, false, true)
        select new RandomQuery(a, b, k, hops == 0 ? null : hops, filterTypes ? (uint)maskBits << 1 : null, window ? (start * 1000L, (start + len) * 1000L) : null);

    public static readonly Gen<GraphCase> Cases =
        from n in Gen.Choose(2, 8)
        from nodes in NodeGen.ArrayOf(n)
        from m in Gen.Choose(0, 3 * n)
        from edges in EdgeGen(n).ArrayOf(m)
        from model in ModelGen
        from cuts in Gen.Choose(0, Math.Max(0, m)).ArrayOf(3)
        from minDelta in Gen.Choose(1, 6)
        from ratio in Gen.Choose(1, 3)
        from cvssLast in Gen.Elements(false, true)
        from query in QueryGen(n)
        select new GraphCase(new ReferenceGraph(nodes, Merge(edges), model), cuts.Order().ToArray(), minDelta, ratio, cvssLast, query);

    /// <summary>Repeats of (source, type, target) as the engine keeps them: one edge spanning all their times.</summary>
    private static List<RefEdge> Merge(RefEdge[] edges)
    {
        var merged = new List<RefEdge>();
        foreach (var e in edges)
        {
            var i = merged.FindIndex(x => x.Source == e.Source && x.Type == e.Type && x.Target == e.Target);
            if (i < 0) merged.Add(e);
            else merged[i] = merged[i] with { FirstMs = Math.Min(merged[i].FirstMs, e.FirstMs), LastMs = Math.Max(merged[i].LastMs, e.LastMs) };
        }
        return merged;
    }

    /// <summary>Checks a property on many random graphs; a failure names the case and FsCheck's replay seed.</summary>
    public static void Check(Action<GraphCase> property, int cases = 400)
    {
        var p = Prop.ForAll(Arb.From(Cases), (GraphCase c) => property(c));
        FsCheck.Check.One(Config.QuickThrowOnFailure.WithMaxTest(cases).WithQuietOnSuccess(true), p);
    }
}

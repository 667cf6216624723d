using Redoubt.Graph.Engine;

namespace Redoubt.Graph.Algorithms;

/// <summary>A path over attack steps: Nodes[i] -Steps[i]-> Nodes[i+1]. Cost (milli) includes the entry cost of Nodes[0].</summary>
public sealed record GraphPath(int[] Nodes, int[] Steps, long Cost, long EntryCost)
{
    public int Hops => Steps.Length;
    public int Source => Nodes[0];
    public int Target => Nodes[^1];
}

/// <summary>
/// The one shortest-path engine behind blast radius, shortest paths, Yen's spur searches, attack
/// paths: label-setting Dijkstra over attack steps from seeded sources. With a hop limit a node can
/// hold several Pareto labels (cost, hops) — a dearer path with fewer hops may still reach further —
/// which makes "cheapest within N hops" exact; without one it is plain Dijkstra (one label per node).
/// Labels are popped cheapest first (then fewest hops), so the first label popped for a node is its
/// answer.
/// </summary>
internal static class LabelSearch
{
    public const int MaxHopLimit = 63;

    public readonly record struct Spec
    {
        /// <summary>Hop limit (1..63), or int.MaxValue for none.</summary>
        public int MaxHops { get; init; }
        public EdgeFilter Filter { get; init; }
        /// <summary>Stop when this node is popped (-1: none).</summary>
        public int SingleTarget { get; init; }
        /// <summary>Stop when a node in the scratch's Targets set is popped.</summary>
        public bool UseTargetSet { get; init; }
        /// <summary>Stop after this many nodes are settled (the cheapest ones).</summary>
        public int MaxSettled { get; init; }
        /// <summary>Yen's spur node, whose listed steps (and finishing there) are banned; -1: none.</summary>
        public int SpurNode { get; init; }
        public int[]? BannedSpurSteps { get; init; }
        public bool SpurFinishBanned { get; init; }
        /// <summary>Labels dearer than this are neither kept nor reported.</summary>
        public long MaxCost { get; init; }
        /// <summary>Skip nodes in the scratch's Banned set.</summary>
        public bool UseBans { get; init; }
        /// <summary>A* lower bounds of the cost still to pay to reach a target (consistent: exact distances in the unbanned graph); nodes it does not know cannot reach one and are pruned.</summary>
        public long[]? Heuristic { get; init; }
        public StampSet? HeuristicKnown { get; init; }

        public static Spec For(int maxHops, in EdgeFilter filter) => new()
        {
            MaxHops = maxHops, Filter = filter, SingleTarget = -1, MaxSettled = int.MaxValue, SpurNode = -1, MaxCost = long.MaxValue,
        };
    }

    private static bool HopAware(in Spec spec) => spec.MaxHops != int.MaxValue;

    public static void Seed(Scratch s, in Spec spec, int node, long cost)
    {
        if (spec.UseBans && s.Banned.Contains(node)) return;
        Insert(s, spec, HopAware(spec), node, cost, 0, -1, -1);
    }

    /// <summary>Runs to exhaustion or the first target; returns the target's label or -1. Settled nodes are in s.ListA in order, their labels in s.NodeA.</summary>
    public static int Run(GraphSnapshot g, Scratch s, in Spec spec, QueryBudget budget)
    {
        var hopAware = HopAware(spec);
        var labels = s.Labels;
        var heap = s.Heap;
        while (heap.TryDequeue(out var l, out _))
        {
            if (labels.Dead[l]) continue;
            var v = labels.Node[l];
            if (!budget.Spend()) return -1;
            if (s.Settled.Add(v))
            {
                s.NodeA[v] = l;
                s.ListA.Add(v);
                var isTarget = v == spec.SingleTarget || (spec.UseTargetSet && s.Targets.Contains(v));
                if (isTarget && !(v == spec.SpurNode && spec.SpurFinishBanned)) return l;
                if (s.ListA.Count >= spec.MaxSettled) { budget.ResultsFull(); return -1; }
            }
            else if (!hopAware) continue;

            var hops = labels.Hops[l];
            if (hops >= spec.MaxHops) continue;
            var cost = labels.Cost[l];
            var spur = v == spec.SpurNode ? spec.BannedSpurSteps : null;
            var seen = 0;
            foreach (var step in g.AttackSteps(v, spec.Filter))
            {
                seen++;
                var peer = step.Peer;
                if (!hopAware && s.Settled.Contains(peer)) continue;
                if (spec.UseBans && s.Banned.Contains(peer)) continue;
                if (spur is not null && Array.IndexOf(spur, step.Step) >= 0) continue;
                var next = cost + step.Cost;
                if (next > spec.MaxCost) continue;
                Insert(s, spec, hopAware, peer, next, hops + 1, l, step.Step);
            }
            if (!budget.Spend(seen)) return -1;
        }
        return -1;
    }

    private static void Insert(Scratch s, in Spec spec, bool hopAware, int node, long cost, int hops, int prev, int step)
    {
        long estimate = 0;
        if (spec.Heuristic is { } h)
        {
            if (!spec.HeuristicKnown!.Contains(node)) return; // no target is reachable from there
            estimate = h[node];
        }
        var labels = s.Labels;
        var head = s.Touched.Contains(node) ? s.NodeB[node] : -1;
        if (hopAware)
        {
            for (var i = head; i >= 0; i = labels.NextOfNode[i])
                if (!labels.Dead[i] && labels.Cost[i] <= cost && labels.Hops[i] <= hops) return;
            for (var i = head; i >= 0; i = labels.NextOfNode[i])
                if (!labels.Dead[i] && cost <= labels.Cost[i] && hops <= labels.Hops[i]) labels.Dead[i] = true;
        }
        else if (head >= 0)
        {
            if (labels.Cost[head] <= cost) return;
            labels.Dead[head] = true;
            head = -1;
        }
        var l = labels.Add(node, cost, hops, prev, step, head);
        s.NodeB[node] = l;
        s.Touched.Add(node);
        s.Heap.Enqueue(l, (cost + estimate) * 64 + Math.Min(hops, MaxHopLimit));
    }

    /// <summary>The path a label stands for, source first.</summary>
    public static GraphPath PathOf(Scratch s, int label, long entryCost)
    {
        var labels = s.Labels;
        var hops = 0;
        for (var i = label; labels.Prev[i] >= 0; i = labels.Prev[i]) hops++;
        var nodes = new int[hops + 1];
        var steps = new int[hops];
        var k = hops;
        for (var i = label; ; i = labels.Prev[i])
        {
            nodes[k] = labels.Node[i];
            if (labels.Prev[i] < 0) break;
            steps[--k] = labels.Step[i];
        }
        return new GraphPath(nodes, steps, labels.Cost[label], entryCost);
    }
}

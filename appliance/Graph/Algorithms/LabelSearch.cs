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
/// The shortest-path engine behind shortest paths, Yen's spur searches and attack paths:
/// label-setting Dijkstra over attack steps from seeded sources. With a hop limit a node can
/// hold several Pareto labels (cost, hops) — a dearer path with fewer hops may still reach further —
/// which makes "cheapest within N hops" exact; without one it is plain Dijkstra (one label per node).
/// Labels are popped cheapest first (then fewest hops), so the first label popped for a node is its
/// answer. With a <see cref="Guide"/> it is A*: labels are keyed by cost plus the guide's lower bound
/// of the rest; as the guide learns more a bound rises, so a label whose key has grown stale is put
/// back with the new key when it comes off the queue, and the guide is taken just far enough to tell
/// whether the label still comes first.
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
        /// <summary>Yen's spur node, whose listed steps (and finishing there) are banned; -1: none.</summary>
        public int SpurNode { get; init; }
        public int[]? BannedSpurSteps { get; init; }
        public bool SpurFinishBanned { get; init; }
        /// <summary>Labels dearer than this are neither kept nor reported.</summary>
        public long MaxCost { get; init; }
        /// <summary>Skip nodes in the scratch's Banned set.</summary>
        public bool UseBans { get; init; }
        /// <summary>A* lower bounds of the cost still to pay to reach a target (consistent); nodes it knows cannot reach one are pruned.</summary>
        public Guide? Guide { get; init; }
        /// <summary>A spur search's existence check, run in step with it: the search stops as soon as it says there is no path.</summary>
        public SpurReach? Reach { get; init; }

        public static Spec For(int maxHops, in EdgeFilter filter) => new()
        {
            MaxHops = maxHops, Filter = filter, SingleTarget = -1, SpurNode = -1, MaxCost = long.MaxValue,
        };
    }

    private static bool HopAware(in Spec spec) => spec.MaxHops != int.MaxValue;

    public static void Seed(Scratch s, in Spec spec, int node, long cost)
    {
        if (spec.UseBans && s.Banned.Contains(node)) return;
        Insert(s, spec, HopAware(spec), node, cost, 0, -1, -1);
    }

    /// <summary>Runs to exhaustion or the first target; returns the target's label or -1.</summary>
    public static int Run(GraphSnapshot g, Scratch s, in Spec spec, QueryBudget budget)
    {
        var hopAware = HopAware(spec);
        var labels = s.Labels;
        var heap = s.Heap;
        var guide = spec.Guide;
        var reach = spec.Reach;
        var pending = 16; // edges the existence check may look at before the next label: what the search looked at
        while (heap.TryDequeue(out var l, out var key))
        {
            if (labels.Dead[l]) continue;
            var v = labels.Node[l];
            var cost = labels.Cost[l];
            var hops = labels.Hops[l];
            if (reach is not null)
            {
                var verdict = reach.Advance(pending, budget);
                if (verdict == false) return -1; // no path from the spur node: nothing more to find
                if (verdict == true) reach = null;
                pending = 0;
            }
            if (guide is not null)
            {
                var h = guide.Bound(v);
                if (h != Guide.Unreachable && !guide.IsExact(v))
                {
                    // Learn just enough to tell whether this label still comes before the next one (or passes the cost limit).
                    var next = heap.TryPeek(out _, out var nextKey) ? nextKey >> KeyHopBits : long.MaxValue;
                    guide.Extend(v, Math.Min(next, spec.MaxCost) - cost);
                    h = guide.Bound(v);
                }
                if (h == Guide.Unreachable || cost + h > spec.MaxCost) continue; // no target within reach, or only dearer than wanted
                var fresh = Key(cost + h, hops);
                if (fresh > key)
                {
                    heap.Enqueue(l, fresh);
                    continue;
                }
            }
            if (!budget.Spend()) return -1;
            if (s.Settled.Add(v))
            {
                var isTarget = v == spec.SingleTarget || (spec.UseTargetSet && s.Targets.Contains(v));
                if (isTarget && !(v == spec.SpurNode && spec.SpurFinishBanned)) return l;
            }
            else if (!hopAware) continue;

            if (hops >= spec.MaxHops) continue;
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
            pending += seen + 1;
            guide?.Earn(seen + 1);
            if (!budget.Spend(seen)) return -1;
        }
        return -1;
    }

    /// <summary>Queue keys: the label's estimated total cost, then its hops (below 64) as the tie-break.</summary>
    private const int KeyHopBits = 6;

    private static long Key(long estimate, int hops) => (estimate << KeyHopBits) + Math.Min(hops, MaxHopLimit);

    private static void Insert(Scratch s, in Spec spec, bool hopAware, int node, long cost, int hops, int prev, int step)
    {
        long estimate = 0;
        if (spec.Guide is { } guide)
        {
            estimate = guide.Bound(node);
            if (estimate == Guide.Unreachable || cost + estimate > spec.MaxCost) return; // no target is reachable from there, or only dearer than wanted
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
        s.Heap.Enqueue(l, Key(cost + estimate, hops));
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

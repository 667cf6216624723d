using Redoubt.Graph.Algorithms;
using Redoubt.Graph.Engine;

namespace Redoubt.Perf.Graph;

// The engine's k shortest paths (Yen) and its label search as it was at commit 62a139c (before the branch graphspeed), kept so the
// bench times before and after in the same run on the same snapshot and checks they answer alike.
// Do not use elsewhere.

/// <summary>
/// Cheapest and k cheapest loopless paths over attack steps (Yen's algorithm). Several sources act as
/// one virtual start joined to each by its entry cost; several targets as one virtual end, so the k
/// cheapest attack paths from any source to any target come out of one run. With a hop limit every
/// path has at most that many steps.
/// </summary>
public static class ShortestPathsBefore
{
    public static PathsResult Find(GraphSnapshot g, PathEnds ends, int k, int? maxHops, in EdgeFilter filter, QueryBudget budget)
    {
        if (k < 1) throw new ArgumentOutOfRangeException(nameof(k));
        if (maxHops is < 0 or > LabelSearchBefore.MaxHopLimit) throw new ArgumentOutOfRangeException(nameof(maxHops), $"a hop limit is 0..{LabelSearchBefore.MaxHopLimit}");
        k = Math.Min(k, budget.MaxResults);
        var hopLimit = maxHops ?? int.MaxValue;
        using var s = Scratch.Rent(g.NodeCount);
        foreach (var t in ends.Targets) s.Targets.Add(t);
        var single = ends.Targets.Count == 1 ? ends.Targets[0] : -1;
        var baseSpec = LabelSearchBefore.Spec.For(hopLimit, filter) with { SingleTarget = single, UseTargetSet = single < 0 };
        // Yen runs a search per spur node: guide them all by the exact cost to the targets, computed
        // once backwards. Not worth it for one path.
        using var toTargets = k > 1 ? Scratch.Rent(g.NodeCount) : null;
        if (toTargets is not null)
        {
            DistanceToTargets(g, ends.Targets, filter, toTargets, budget);
            baseSpec = baseSpec with { Heuristic = toTargets.Dist, HeuristicKnown = toTargets.Settled };
        }
        var entry = new Dictionary<int, long>();
        foreach (var (node, cost) in ends.Sources) entry[node] = entry.TryGetValue(node, out var c) ? Math.Min(c, cost) : cost;

        var found = new List<GraphPath>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var candidates = new PriorityQueue<GraphPath, (long, int, string)>();

        var first = Search(g, s, baseSpec, entry, banned: null, budget);
        if (first is null) return new PathsResult(found, budget.Hit, budget.Visits);
        found.Add(first);
        seen.Add(Signature(first));

        while (found.Count < k && !budget.Exhausted)
        {
            var prev = found[^1];
            // Spur at the virtual start: every path found so far shares the empty root, so their sources are used up.
            if (ends.Sources.Count > 1)
            {
                var usedSources = new HashSet<int>();
                foreach (var p in found) usedSources.Add(p.Source);
                Offer(Search(g, s, baseSpec, entry, usedSources, budget));
            }
            var rootCost = prev.EntryCost;
            for (var i = 0; i < prev.Nodes.Length && !budget.Exhausted; i++)
            {
                if (i > 0) rootCost += g.StepCost(prev.Steps[i - 1]);
                var spur = prev.Nodes[i];
                var bannedSteps = new List<int>();
                var finishBanned = false;
                foreach (var p in found)
                {
                    if (!SharesRoot(p, prev, i)) continue;
                    if (p.Steps.Length > i) bannedSteps.Add(p.Steps[i]);
                    else finishBanned = true;
                }
                s.NextSearch(g.NodeCount);
                s.Banned.Clear();
                for (var j = 0; j < i; j++) s.Banned.Add(prev.Nodes[j]);
                var spec = baseSpec with
                {
                    MaxHops = maxHops is { } h ? h - i : int.MaxValue,
                    SpurNode = spur,
                    BannedSpurSteps = bannedSteps.ToArray(),
                    SpurFinishBanned = finishBanned,
                    UseBans = i > 0,
                };
                LabelSearchBefore.Seed(s, spec, spur, rootCost);
                var label = LabelSearchBefore.Run(g, s, spec, budget);
                if (label < 0) continue;
                var tail = LabelSearchBefore.PathOf(s, label, 0);
                Offer(new GraphPath([.. prev.Nodes.AsSpan(0, i), .. tail.Nodes], [.. prev.Steps.AsSpan(0, i), .. tail.Steps], tail.Cost, prev.EntryCost));
            }
            if (!candidates.TryDequeue(out var next, out _)) break;
            found.Add(next);
        }
        return new PathsResult(found, budget.Hit, budget.Visits);

        void Offer(GraphPath? p)
        {
            if (p is null) return;
            var sig = Signature(p);
            if (seen.Add(sig)) candidates.Enqueue(p, (p.Cost, p.Hops, sig));
        }
    }

    /// <summary>Dijkstra backwards from the targets over the steps into each node: the cheapest cost from every node to a target (in s.Dist, for nodes in s.Settled).</summary>
    private static void DistanceToTargets(GraphSnapshot g, IReadOnlyList<int> targets, in EdgeFilter filter, Scratch s, QueryBudget budget)
    {
        var dist = s.Dist;
        var costs = g.Costs;
        foreach (var t in targets)
            if (s.Touched.Add(t)) { dist[t] = 0; s.Heap.Enqueue(t, 0); }
        while (s.Heap.TryDequeue(out var w, out var d))
        {
            if (d != dist[w] || !s.Settled.Add(w)) continue;
            if (!budget.Spend()) return;
            if (!costs.CanEnter(g.Kind(w))) continue; // no step leads into it (a target that is Software is unreachable)
            var seen = 0;
            foreach (var a in g.In(w)) // u -a-> w taken forward
            {
                seen++;
                var c = costs.Forward[(int)a.Type];
                if (c == 0 || !filter.Allows(g, a)) continue;
                if (costs.ForwardExploit[(int)a.Type]) c += g.ExploitCost(w);
                Relax(a.Peer, d + c);
            }
            foreach (var a in g.Out(w)) // w -a-> u taken in reverse, from u to w
            {
                seen++;
                var c = costs.Reverse[(int)a.Type];
                if (c == 0 || !filter.Allows(g, a)) continue;
                if (costs.ReverseExploit[(int)a.Type]) c += g.ExploitCost(w);
                Relax(a.Peer, d + c);
            }
            if (!budget.Spend(seen)) return;
        }

        void Relax(int u, long nd)
        {
            if (s.Settled.Contains(u)) return;
            if (s.Touched.Add(u) || nd < dist[u]) { dist[u] = nd; s.Heap.Enqueue(u, nd); }
        }
    }

    private static GraphPath? Search(GraphSnapshot g, Scratch s, in LabelSearchBefore.Spec spec, Dictionary<int, long> entry, HashSet<int>? banned, QueryBudget budget)
    {
        s.NextSearch(g.NodeCount);
        foreach (var (node, cost) in entry)
            if (banned is null || !banned.Contains(node)) LabelSearchBefore.Seed(s, spec, node, cost);
        var label = LabelSearchBefore.Run(g, s, spec, budget);
        if (label < 0) return null;
        var path = LabelSearchBefore.PathOf(s, label, 0);
        return path with { EntryCost = entry[path.Source] };
    }

    /// <summary>Same source and the same first <paramref name="i"/> steps.</summary>
    private static bool SharesRoot(GraphPath p, GraphPath root, int i)
    {
        if (p.Nodes.Length <= i || p.Source != root.Source) return false;
        for (var j = 0; j < i; j++) if (p.Steps[j] != root.Steps[j]) return false;
        return true;
    }

    private static string Signature(GraphPath p) => p.Source + ":" + string.Join(',', p.Steps);
}

/// <summary>
/// The one shortest-path engine behind blast radius, shortest paths, Yen's spur searches, attack
/// paths: label-setting Dijkstra over attack steps from seeded sources. With a hop limit a node can
/// hold several Pareto labels (cost, hops) — a dearer path with fewer hops may still reach further —
/// which makes "cheapest within N hops" exact; without one it is plain Dijkstra (one label per node).
/// Labels are popped cheapest first (then fewest hops), so the first label popped for a node is its
/// answer.
/// </summary>
internal static class LabelSearchBefore
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

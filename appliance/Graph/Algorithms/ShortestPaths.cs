namespace Redoubt.Graph.Algorithms;

using Redoubt.Graph.Engine;

/// <summary>Paths found, cheapest first, and whether a budget cut the search short.</summary>
public sealed record PathsResult(IReadOnlyList<GraphPath> Paths, BudgetHit Truncated, long Visits);

/// <summary>Where paths may start (with the cost of getting a foothold there) and where they count as arrived.</summary>
public sealed record PathEnds(IReadOnlyList<(int Node, long EntryCost)> Sources, IReadOnlyList<int> Targets)
{
    public static PathEnds Between(int from, int to) => new([(from, 0)], [to]);
}

/// <summary>
/// Cheapest and k cheapest loopless paths over attack steps (Yen's algorithm). Several sources act as
/// one virtual start joined to each by its entry cost; several targets as one virtual end, so the k
/// cheapest attack paths from any source to any target come out of one run. With a hop limit every
/// path has at most that many steps.
/// </summary>
public static class ShortestPaths
{
    public static PathsResult Find(GraphSnapshot g, PathEnds ends, int k, int? maxHops, in EdgeFilter filter, QueryBudget budget)
    {
        if (k < 1) throw new ArgumentOutOfRangeException(nameof(k));
        if (maxHops is < 0 or > LabelSearch.MaxHopLimit) throw new ArgumentOutOfRangeException(nameof(maxHops), $"a hop limit is 0..{LabelSearch.MaxHopLimit}");
        k = Math.Min(k, budget.MaxResults);
        var hopLimit = maxHops ?? int.MaxValue;
        using var s = Scratch.Rent(g.NodeCount);
        foreach (var t in ends.Targets) s.Targets.Add(t);
        var single = ends.Targets.Count == 1 ? ends.Targets[0] : -1;
        var baseSpec = LabelSearch.Spec.For(hopLimit, filter) with { SingleTarget = single, UseTargetSet = single < 0 };
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
                LabelSearch.Seed(s, spec, spur, rootCost);
                var label = LabelSearch.Run(g, s, spec, budget);
                if (label < 0) continue;
                var tail = LabelSearch.PathOf(s, label, 0);
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

    private static GraphPath? Search(GraphSnapshot g, Scratch s, in LabelSearch.Spec spec, Dictionary<int, long> entry, HashSet<int>? banned, QueryBudget budget)
    {
        s.NextSearch(g.NodeCount);
        foreach (var (node, cost) in entry)
            if (banned is null || !banned.Contains(node)) LabelSearch.Seed(s, spec, node, cost);
        var label = LabelSearch.Run(g, s, spec, budget);
        if (label < 0) return null;
        var path = LabelSearch.PathOf(s, label, 0);
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

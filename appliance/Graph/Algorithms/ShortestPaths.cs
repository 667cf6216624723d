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
/// For k &gt; 1 the searches are A*, guided by a backward search from the targets that goes only as
/// far as they need (<see cref="Guide"/>); a spur search stops once it could only find paths dearer
/// than the candidates already enough to fill the answer, and once a backward check in step with it
/// (<see cref="SpurReach"/>) finds that the spur node has no way to a target at all.
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
        // Yen runs a search per spur node: guide them all by the cost to the targets, learnt backwards
        // as they need it. Not worth it for one path.
        using var guide = k > 1 ? new Guide(g, ends.Targets, filter, budget) : null;
        baseSpec = baseSpec with { Guide = guide };
        var entry = new Dictionary<int, long>();
        foreach (var (node, cost) in ends.Sources) entry[node] = entry.TryGetValue(node, out var c) ? Math.Min(c, cost) : cost;

        var found = new List<GraphPath>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var candidates = new PriorityQueue<GraphPath, (long, int, string)>();
        var candidateCosts = new List<long>(); // the candidates' costs, ascending

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
                Offer(Search(g, s, baseSpec with { MaxCost = Enough() }, entry, usedSources, budget));
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
                var spurHops = maxHops is { } h ? h - i : int.MaxValue;
                s.Reached.Clear();
                var banned = bannedSteps.ToArray();
                var reach = new SpurReach(g, filter, ends.Targets, s.Banned, s.Reached, s.ListB, spur, banned, finishBanned, spurHops);
                if (reach.Verdict == false) continue;
                var spec = baseSpec with
                {
                    MaxHops = spurHops,
                    SpurNode = spur,
                    BannedSpurSteps = banned,
                    SpurFinishBanned = finishBanned,
                    UseBans = i > 0,
                    MaxCost = Enough(),
                    Reach = reach,
                };
                LabelSearch.Seed(s, spec, spur, rootCost);
                var label = LabelSearch.Run(g, s, spec, budget);
                if (label < 0) continue;
                var tail = LabelSearch.PathOf(s, label, 0);
                Offer(new GraphPath([.. prev.Nodes.AsSpan(0, i), .. tail.Nodes], [.. prev.Steps.AsSpan(0, i), .. tail.Steps], tail.Cost, prev.EntryCost));
            }
            if (!candidates.TryDequeue(out var next, out _)) break;
            candidateCosts.RemoveAt(0); // the cheapest, which is the one dequeued
            found.Add(next);
        }
        return new PathsResult(found, budget.Hit, budget.Visits);

        void Offer(GraphPath? p)
        {
            if (p is null) return;
            var sig = Signature(p);
            if (!seen.Add(sig)) return;
            candidates.Enqueue(p, (p.Cost, p.Hops, sig));
            var at = candidateCosts.BinarySearch(p.Cost);
            candidateCosts.Insert(at < 0 ? ~at : at, p.Cost);
        }

        // The dearest a new path may cost and still be among the k: once the candidates alone fill
        // the places left, a path dearer than the last of them cannot (one as dear may, on hops or order).
        long Enough()
        {
            var left = k - found.Count;
            return candidateCosts.Count >= left ? candidateCosts[left - 1] : long.MaxValue;
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

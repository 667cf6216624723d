using Redoubt.Graph.Engine;

namespace Redoubt.Graph.Algorithms;

/// <summary>
/// Attack paths: from where an attacker starts (nodes tagged compromised, at no cost; internet-facing
/// nodes, at the cost of exploiting them) to crown jewels, the k cheapest, by Yen over the attack
/// steps. Callers may name the sources (treated as compromised) or the targets instead.
/// </summary>
public static class AttackPaths
{
    /// <summary>Default sources: compromised nodes (entry 0), alerted ones too when asked (entry 0), internet-facing ones (entry = exploit cost).</summary>
    public static List<(int Node, long EntryCost)> DefaultSources(GraphSnapshot g, bool includeAlerted)
    {
        var sources = new List<(int, long)>();
        var zero = NodeFlags.Compromised | (includeAlerted ? NodeFlags.Alerted : 0);
        for (var v = 0; v < g.NodeCount; v++)
        {
            var f = g.Flags(v);
            if ((f & zero) != 0) sources.Add((v, 0));
            else if ((f & NodeFlags.InternetFacing) != 0) sources.Add((v, g.ExploitCost(v)));
        }
        return sources;
    }

    public static List<int> CrownJewels(GraphSnapshot g)
    {
        var targets = new List<int>();
        for (var v = 0; v < g.NodeCount; v++)
            if ((g.Flags(v) & NodeFlags.CrownJewel) != 0) targets.Add(v);
        return targets;
    }

    public static PathsResult Run(GraphSnapshot g, PathEnds ends, int k, int? maxHops, in EdgeFilter filter, QueryBudget budget) =>
        ends.Sources.Count == 0 || ends.Targets.Count == 0
            ? new PathsResult([], BudgetHit.None, 0)
            : ShortestPaths.Find(g, ends, k, maxHops, filter, budget);
}

using Redoubt.Graph.Engine;

namespace Redoubt.Graph.Algorithms;

public enum Direction { Out, In, Both }

public readonly record struct NeighbourNode(int Node, int Depth);

public sealed record NeighbourhoodResult(IReadOnlyList<NeighbourNode> Nodes, IReadOnlyList<int> Edges, BudgetHit Truncated, long Visits);

/// <summary>
/// The k-hop neighbourhood of a node: breadth-first over edges of the allowed types and time
/// window, following them out, in or both ways (all edges, not only attack steps). Returns each
/// node with its hop distance and every edge used to reach or link the nodes found, nearest first.
/// </summary>
public static class Neighbourhood
{
    public static NeighbourhoodResult Run(GraphSnapshot g, int start, int maxHops, Direction direction, in EdgeFilter filter, QueryBudget budget)
    {
        if (maxHops is < 1 or > LabelSearch.MaxHopLimit) throw new ArgumentOutOfRangeException(nameof(maxHops), $"a hop limit is 1..{LabelSearch.MaxHopLimit}");
        var allowed = filter;
        using var s = Scratch.Rent(g.NodeCount);
        var nodes = new List<NeighbourNode> { new(start, 0) };
        var edges = new List<int>();
        var edgeSeen = new HashSet<int>();
        s.Settled.Add(start);
        var frontier = s.ListA;
        var next = s.ListB;
        frontier.Add(start);
        var limit = budget.MaxResults;
        for (var depth = 0; depth < maxHops && frontier.Count > 0; depth++)
        {
            next.Clear();
            foreach (var v in frontier)
            {
                if (!budget.Spend()) goto done;
                if (direction != Direction.In && !Expand(g.Out(v))) goto done;
                if (direction != Direction.Out && !Expand(g.In(v))) goto done;
            }
            (frontier, next) = (next, frontier);

            bool Expand(AdjacencyEnumerator adjacent)
            {
                var seen = 0;
                foreach (var a in adjacent)
                {
                    seen++;
                    if (!allowed.Allows(g, a)) continue;
                    if (s.Settled.Add(a.Peer))
                    {
                        if (nodes.Count >= limit) { budget.ResultsFull(); return false; }
                        nodes.Add(new NeighbourNode(a.Peer, depth + 1));
                        next.Add(a.Peer);
                    }
                    if (edgeSeen.Add(a.Edge))
                    {
                        if (edges.Count >= limit) { budget.ResultsFull(); return false; }
                        edges.Add(a.Edge);
                    }
                }
                return budget.Spend(seen);
            }
        }
        done:
        return new NeighbourhoodResult(nodes, edges, budget.Hit, budget.Visits);
    }
}

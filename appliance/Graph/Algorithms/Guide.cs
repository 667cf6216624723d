using Redoubt.Graph.Engine;

namespace Redoubt.Graph.Algorithms;

/// <summary>
/// Lower bounds of the cost still to pay from a node to the nearest target, for the A* searches of
/// Yen's algorithm: a Dijkstra backwards from the targets (over the steps into each node), run only
/// as far as the searches it guides need, and shared by all of them. A settled node's bound is its
/// exact cost to a target; any other node's is the backward search's radius (every node cheaper than
/// that is settled), or <see cref="Unreachable"/> once the backward search has run out. At every
/// moment the bounds are consistent (for a step u→w, bound(u) ≤ cost + bound(w): a settled u is
/// within the radius), and a node's bound only rises, so a forward label keyed with an older bound is
/// simply re-keyed when it comes off the queue (see <see cref="LabelSearch"/>).
/// The backward search is paid for by the forward ones: it may look at about as many edges as they
/// have (<see cref="Earn"/>), no more. Where the targets' side is cheap (a crown jewel behind one
/// server) the bounds soon become exact and the forward searches go straight to it; where it is dear
/// (a jewel stored on a server half the network talks to: backwards, every flow into it is a step)
/// the forward searches are at worst plain Dijkstra, and the pair costs at most about twice that.
/// Before, one full backward Dijkstra ran first: over most of a large graph, for a handful of paths.
/// </summary>
internal sealed class Guide : IDisposable
{
    public const long Unreachable = long.MaxValue;

    private readonly GraphSnapshot _g;
    private readonly EdgeFilter _filter;
    private readonly QueryBudget _budget;
    private readonly Scratch _s;

    public Guide(GraphSnapshot g, IReadOnlyList<int> targets, in EdgeFilter filter, QueryBudget budget)
    {
        _g = g;
        _filter = filter;
        _budget = budget;
        _s = Scratch.Rent(g.NodeCount);
        foreach (var t in targets)
            if (_s.Touched.Add(t))
            {
                _s.Dist[t] = 0;
                _s.Heap.Enqueue(t, 0);
            }
    }

    /// <summary>Nodes settled so far (for the bench and tests: how far the guide had to go).</summary>
    public int Settled { get; private set; }

    /// <summary>Edges the backward search may still look at before the forward searches have looked at more.</summary>
    private long _credit = 4096;

    /// <summary>The forward searches looked at <paramref name="units"/> more edges: the backward search may look at as many.</summary>
    public void Earn(int units) => _credit += units;

    /// <summary>The cost to a target of every node not settled yet is at least this (<see cref="Unreachable"/> when none is left to settle).</summary>
    public long Radius
    {
        get
        {
            var heap = _s.Heap;
            while (heap.TryPeek(out var w, out var d))
            {
                if (d == _s.Dist[w] && !_s.Settled.Contains(w)) return d;
                heap.Dequeue(); // superseded or settled already
            }
            return Unreachable;
        }
    }

    /// <summary>A lower bound of the cost from <paramref name="v"/> to a target, exact once <see cref="IsExact"/>.</summary>
    public long Bound(int v) => _s.Settled.Contains(v) ? _s.Dist[v] : Radius;

    public bool IsExact(int v) => _s.Settled.Contains(v);

    /// <summary>
    /// Settles nodes (cheapest first) until <paramref name="v"/> is settled, the radius passes
    /// <paramref name="upTo"/>, the backward search runs out, or its credit or the budget does.
    /// </summary>
    public void Extend(int v, long upTo)
    {
        var s = _s;
        var costs = _g.Costs;
        while (!s.Settled.Contains(v))
        {
            var radius = Radius;
            if (radius == Unreachable || radius > upTo || !_budget.Spend()) return;
            if (_g.CompactedDegree(s.Heap.Peek()) > _credit) return; // a hub waits until the forward searches have done as much
            var w = s.Heap.Dequeue();
            s.Settled.Add(w);
            Settled++;
            if (!costs.CanEnter(_g.Kind(w))) continue; // no step leads into it (a target that is Software is unreachable)
            var seen = 0;
            foreach (var a in _g.In(w)) // a.Peer -a-> w taken forward
            {
                seen++;
                var c = costs.Forward[(int)a.Type];
                if (c == 0 || !_filter.Allows(_g, a)) continue;
                if (costs.ForwardExploit[(int)a.Type]) c += _g.ExploitCost(w);
                Relax(a.Peer, radius + c);
            }
            foreach (var a in _g.Out(w)) // w -a-> a.Peer taken in reverse, from a.Peer to w
            {
                seen++;
                var c = costs.Reverse[(int)a.Type];
                if (c == 0 || !_filter.Allows(_g, a)) continue;
                if (costs.ReverseExploit[(int)a.Type]) c += _g.ExploitCost(w);
                Relax(a.Peer, radius + c);
            }
            _credit -= seen + 1;
            if (!_budget.Spend(seen)) return;
        }
    }

    private void Relax(int u, long d)
    {
        var s = _s;
        if (s.Settled.Contains(u)) return;
        if (s.Touched.Add(u) || d < s.Dist[u])
        {
            s.Dist[u] = d;
            s.Heap.Enqueue(u, d);
        }
    }

    public void Dispose() => _s.Dispose();
}

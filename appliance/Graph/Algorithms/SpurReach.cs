using Redoubt.Graph.Engine;

namespace Redoubt.Graph.Algorithms;

/// <summary>
/// Whether one of Yen's spur searches can find anything at all: a breadth-first search backwards from
/// the targets in the graph that spur search sees (the root's nodes banned, the spur's used first
/// steps banned, its hop budget), run in step with the spur search. A spur with no way to a target
/// is Yen's costly case: the forward search would explore everything reachable before giving up
/// (typically the node before the target, when the target's only entrance is the step already used).
/// From the target's side that is often a handful of nodes, so the pair costs about twice the cheaper
/// of the two searches. Costs do not matter here, only whether a path exists.
/// </summary>
internal sealed class SpurReach
{
    private readonly GraphSnapshot _g;
    private readonly EdgeFilter _filter;
    private readonly StampSet _banned;
    private readonly StampSet _seen;
    private readonly List<int> _queue;
    private readonly int _spur;
    private readonly int[] _bannedSteps;
    private readonly int _maxDepth;
    private int _head;
    /// <summary>Edges it may look at: what the spur search has looked at since it started, less what this has.</summary>
    private long _credit;
    private int _layerEnd;
    private int _depth;

    /// <summary>Null while undecided; then whether the spur node has a path to a target.</summary>
    public bool? Verdict { get; private set; }

    /// <param name="banned">The root's nodes (the spur search's ban set, shared).</param>
    /// <param name="scratchSeen">An empty set of this query's scratch, for the nodes seen here.</param>
    /// <param name="maxDepth">Steps the spur search may still take (int.MaxValue: no hop limit).</param>
    public SpurReach(GraphSnapshot g, in EdgeFilter filter, IEnumerable<int> targets, StampSet banned, StampSet scratchSeen, List<int> queue,
        int spur, int[] bannedSteps, bool spurFinishBanned, int maxDepth)
    {
        _g = g;
        _filter = filter;
        _banned = banned;
        _seen = scratchSeen;
        _queue = queue;
        _queue.Clear();
        _spur = spur;
        _bannedSteps = bannedSteps;
        _maxDepth = maxDepth;
        foreach (var t in targets)
        {
            if (t == spur)
            {
                if (spurFinishBanned) continue;
                Verdict = true;
                return;
            }
            if (!banned.Contains(t) && _seen.Add(t)) _queue.Add(t);
        }
        _layerEnd = _queue.Count;
        if (_queue.Count == 0 || maxDepth <= 0) Verdict = false;
    }

    /// <summary>
    /// The spur search looked at <paramref name="units"/> more edges: looks at about as many, a whole
    /// node at a time (a node with more edges than it may look at waits: a hub's thousands of flows
    /// are only walked when the forward search has done as much). Returns the verdict so far.
    /// </summary>
    public bool? Advance(int units, QueryBudget budget)
    {
        _credit += units;
        while (Verdict is null)
        {
            if (_head == _layerEnd)
            {
                if (_head == _queue.Count || ++_depth >= _maxDepth) { Verdict = false; break; } // nothing new within the hops left
                _layerEnd = _queue.Count;
            }
            var w = _queue[_head];
            if (_g.CompactedDegree(w) > _credit) break;
            _head++;
            var seen = Predecessors(w);
            _credit -= seen + 1;
            if (!budget.Spend(seen + 1)) break;
        }
        return Verdict;
    }

    /// <summary>Queues the nodes one step before <paramref name="w"/>; sets the verdict if that is the spur over an allowed step.</summary>
    private int Predecessors(int w)
    {
        var costs = _g.Costs;
        if (!costs.CanEnter(_g.Kind(w))) return 0;
        var seen = 0;
        foreach (var a in _g.In(w)) // a.Peer -a-> w taken forward
        {
            seen++;
            if (costs.Forward[(int)a.Type] != 0 && _filter.Allows(_g, a) && Reached(a.Peer, Step.Of(a.Edge, false))) return seen;
        }
        foreach (var a in _g.Out(w)) // w -a-> a.Peer taken in reverse
        {
            seen++;
            if (costs.Reverse[(int)a.Type] != 0 && _filter.Allows(_g, a) && Reached(a.Peer, Step.Of(a.Edge, true))) return seen;
        }
        return seen;
    }

    private bool Reached(int u, int step)
    {
        if (u == _spur)
        {
            if (Array.IndexOf(_bannedSteps, step) >= 0) return false;
            Verdict = true;
            return true;
        }
        if (!_banned.Contains(u) && _seen.Add(u)) _queue.Add(u);
        return false;
    }
}

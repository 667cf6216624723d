using Redoubt.Graph.Engine;

namespace Redoubt.Perf.Graph;

/// <summary>
/// A third opinion on a blast radius's reach set, independent of the engine's compacted step runs
/// and its step enumerator: a plain breadth-first search over every out- and in-edge, applying the
/// cost model's rules (a step exists when its type has a cost in that direction and its target's
/// kind can be entered). Costs do not matter for reach within a hop limit.
/// </summary>
public static class ReachReference
{
    /// <param name="enterAnyKind">Ignore the enterable rule: the step table the SQL baseline had before it applied it.</param>
    public static HashSet<int> Reach(GraphSnapshot g, int start, int hops, bool enterAnyKind = false)
    {
        var costs = g.Costs;
        var seen = new HashSet<int> { start };
        var frontier = new List<int> { start };
        for (var d = 0; d < hops && frontier.Count > 0; d++)
        {
            var next = new List<int>();
            foreach (var u in frontier)
            {
                foreach (var a in g.Out(u))
                    if (costs.StepBase(a.Type, false) > 0 && (enterAnyKind || costs.CanEnter(g.Kind(a.Peer))) && seen.Add(a.Peer)) next.Add(a.Peer);
                foreach (var a in g.In(u))
                    if (costs.StepBase(a.Type, true) > 0 && (enterAnyKind || costs.CanEnter(g.Kind(a.Peer))) && seen.Add(a.Peer)) next.Add(a.Peer);
            }
            frontier = next;
        }
        seen.Remove(start);
        return seen;
    }
}

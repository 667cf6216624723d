using Redoubt.Graph.Engine;
using Redoubt.Storage.Graph;

namespace Redoubt.Graph.Algorithms;

/// <summary>
/// A move an attacker can make from one node to the next: an edge taken forward or backward, packed
/// as edge id * 2 + (1 when against the edge's direction).
/// </summary>
public static class Step
{
    public static int Of(int edge, bool reverse) => (edge << 1) | (reverse ? 1 : 0);
    public static int Edge(int step) => step >> 1;
    public static bool IsReverse(int step) => (step & 1) != 0;
}

/// <summary>One attack step out of a node: where it leads, the packed step, its milli-cost.</summary>
public readonly record struct AttackStep(int Peer, int Step, int Cost);

/// <summary>
/// The attack steps out of a node under the cost model: out-edges whose type has a forward cost,
/// then in-edges whose type has a reverse cost; network steps add the exploit cost of the node
/// they enter. Allocation-free.
/// </summary>
public ref struct AttackStepEnumerator
{
    private readonly GraphSnapshot _graph;
    private readonly AttackCostModel _costs;
    private readonly EdgeFilter _filter;
    private AdjacencyEnumerator _out;
    private AdjacencyEnumerator _in;
    private bool _inPhase;
    private readonly int _baseCount;
    private AttackStep _current;

    public AttackStepEnumerator(GraphSnapshot graph, int node, in EdgeFilter filter)
    {
        _graph = graph;
        _costs = graph.Costs;
        _filter = filter;
        _out = graph.OutSteps(node);
        _in = graph.InSteps(node);
        _inPhase = false;
        _current = default;
        _baseCount = graph.Edges.Base.Count;
    }

    public readonly AttackStepEnumerator GetEnumerator() => this;
    public readonly AttackStep Current => _current;

    public bool MoveNext()
    {
        if (!_inPhase)
        {
            while (_out.MoveNext())
            {
                var a = _out.Current;
                var cost = _costs.Forward[(int)a.Type];
                if (cost == 0 || !_filter.Allows(_graph, a)) continue;
                // Compacted runs list enterable steps only; a delta edge is checked here.
                if (a.Edge >= _baseCount && !_costs.Enterable[(int)_graph.Kind(a.Peer)]) continue;
                if (_costs.ForwardExploit[(int)a.Type]) cost += _graph.ExploitCost(a.Peer);
                _current = new AttackStep(a.Peer, Step.Of(a.Edge, false), cost);
                return true;
            }
            _inPhase = true;
        }
        while (_in.MoveNext())
        {
            var a = _in.Current;
            var cost = _costs.Reverse[(int)a.Type];
            if (cost == 0 || !_filter.Allows(_graph, a)) continue;
            if (a.Edge >= _baseCount && !_costs.Enterable[(int)_graph.Kind(a.Peer)]) continue;
            if (_costs.ReverseExploit[(int)a.Type]) cost += _graph.ExploitCost(a.Peer);
            _current = new AttackStep(a.Peer, Step.Of(a.Edge, true), cost);
            return true;
        }
        return false;
    }
}

public static class AttackStepsExtensions
{
    public static AttackStepEnumerator AttackSteps(this GraphSnapshot graph, int node, in EdgeFilter filter) => new(graph, node, filter);

    /// <summary>The milli-cost of one step, as the traversals charge it.</summary>
    public static int StepCost(this GraphSnapshot graph, int step)
    {
        var e = Step.Edge(step);
        var type = graph.EdgeTypeOf(e);
        var reverse = Step.IsReverse(step);
        var to = reverse ? graph.EdgeSource(e) : graph.EdgeTarget(e);
        var cost = graph.Costs.StepBase(type, reverse);
        if (graph.Costs.StepAddsExploit(type, reverse)) cost += graph.ExploitCost(to);
        return cost;
    }

    /// <summary>Where a step taken from its start node leads.</summary>
    public static int StepTarget(this GraphSnapshot graph, int step)
    {
        var e = Step.Edge(step);
        return Step.IsReverse(step) ? graph.EdgeSource(e) : graph.EdgeTarget(e);
    }

    public static int StepOrigin(this GraphSnapshot graph, int step)
    {
        var e = Step.Edge(step);
        return Step.IsReverse(step) ? graph.EdgeTarget(e) : graph.EdgeSource(e);
    }
}

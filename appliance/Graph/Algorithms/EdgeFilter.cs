using Redoubt.Graph.Engine;
using Redoubt.Storage.Graph;

namespace Redoubt.Graph.Algorithms;

/// <summary>Which edges a traversal may use: a set of types and a time window (an edge qualifies when its first..last seen overlaps the window).</summary>
public readonly record struct EdgeFilter(uint TypeMask, long FromMs, long ToMs)
{
    public static EdgeFilter All { get; } = new(uint.MaxValue, long.MinValue, long.MaxValue);

    public static EdgeFilter Of(IEnumerable<EdgeType>? types, long? fromMs = null, long? toMs = null)
    {
        var mask = uint.MaxValue;
        if (types is not null)
        {
            mask = 0;
            foreach (var t in types) mask |= 1u << (int)t;
        }
        return new EdgeFilter(mask, fromMs ?? long.MinValue, toMs ?? long.MaxValue);
    }

    public bool HasWindow => FromMs != long.MinValue || ToMs != long.MaxValue;

    public bool AllowsType(EdgeType type) => ((TypeMask >> (int)type) & 1) != 0;

    public bool Allows(GraphSnapshot graph, in Adjacent a) =>
        ((TypeMask >> (int)a.Type) & 1) != 0
        && (!HasWindow || (graph.EdgeLastSeenMs(a.Edge) >= FromMs && graph.EdgeFirstSeenMs(a.Edge) <= ToMs));
}

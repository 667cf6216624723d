using Redoubt.Storage.Graph;

namespace Redoubt.Graph.Engine;

/// <summary>
/// What the engine needs of the schema (storage/Graph/GraphSchema.cs) beyond names: sizes of arrays
/// indexed by kind or type, and range checks. The engine stores kinds and types in one byte each
/// and edge-type sets as 32-bit masks; the static check below fails loudly if the schema outgrows that.
/// </summary>
public static class GraphModel
{
    public static readonly int NodeKindSlots = GraphSchema.NodeKinds.Max(k => (int)k) + 1;
    public static readonly int EdgeTypeSlots = GraphSchema.EdgeTypes.Max(t => (int)t) + 1;

    static GraphModel()
    {
        if (NodeKindSlots > 256 || EdgeTypeSlots > 32)
            throw new InvalidOperationException("the in-memory graph keeps node kinds in a byte and edge types in a 32-bit mask; widen them before adding more");
    }

    public static bool IsDefined(NodeKind kind) => Enum.IsDefined(kind);

    public static bool IsDefined(EdgeType type) => Enum.IsDefined(type);

    public static string Name(this NodeKind kind) => GraphSchema.Name(kind);

    public static string Name(this EdgeType type) => GraphSchema.Name(type);
}

namespace Redoubt.Graph.Cypher;

/// <summary>One relationship seen from a node: its id, the node at the other end, its type id.</summary>
public readonly record struct CypherAdjacent(int Relationship, int Peer, int Type);

/// <summary>
/// What the executor reads. Production queries run on <see cref="SnapshotGraph"/> (one engine
/// snapshot: a node has one label, its kind); tests also run the same executor on a general property
/// graph (any labels, types and properties) to check the language against the openCypher TCK.
/// Node ids are 0..NodeCount-1; labels and types are resolved to ids once, when the query is planned.
/// </summary>
public interface ICypherGraph
{
    int NodeCount { get; }
    long RelationshipCount { get; }

    /// <summary>-1 when no node can have this label (the query then matches nothing for it).</summary>
    int LabelId(string name);
    string LabelName(int label);
    int TypeId(string name);
    string TypeName(int type);

    bool NodeExists(int node);
    bool HasLabel(int node, int label);
    void LabelsOf(int node, List<int> into);
    /// <summary>Nodes with this label (an estimate is fine: the planner uses it to order work).</summary>
    long CountWithLabel(int label);
    /// <summary>Relationships of this type (an estimate is fine).</summary>
    long CountOfType(int type);

    /// <summary>
    /// An index lookup: the nodes whose <paramref name="property"/> equals <paramref name="value"/>,
    /// with this label (or any, when label is -1). False when there is no index for it (the planner
    /// then scans).
    /// </summary>
    bool TryLookup(int label, string property, in Value value, List<int> into);

    Value NodeProperty(int node, string name);
    void NodeProperties(int node, List<KeyValuePair<string, Value>> into);

    int RelationshipType(int rel);
    int StartNode(int rel);
    int EndNode(int rel);
    Value RelationshipProperty(int rel, string name);
    void RelationshipProperties(int rel, List<KeyValuePair<string, Value>> into);

    /// <summary>
    /// Relationships out of (or into) a node, appended to <paramref name="into"/>; only those whose
    /// type is in <paramref name="types"/> when it is not null. Returns how many were looked at (the work budget counts them).
    /// </summary>
    int Adjacent(int node, bool outgoing, int[]? types, List<CypherAdjacent> into);
}

/// <summary>The builder mode used to set test graphs up with CREATE; the appliance's graph is never writable through Cypher.</summary>
public interface IWritableCypherGraph : ICypherGraph
{
    int CreateNode(IReadOnlyList<string> labels, IReadOnlyList<KeyValuePair<string, Value>> properties);
    int CreateRelationship(int start, string type, int end, IReadOnlyList<KeyValuePair<string, Value>> properties);
}

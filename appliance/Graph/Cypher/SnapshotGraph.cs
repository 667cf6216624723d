using System.Globalization;
using Redoubt.Graph.Engine;
using Redoubt.Storage.Graph;

namespace Redoubt.Graph.Cypher;

/// <summary>
/// The security graph as openCypher sees it, over one engine snapshot: a node's one label is its
/// kind (Host, User...), relationship types are the edge types (LOGGED_ON...), and properties are
/// the engine's attributes (docs/graph.md, "Cypher"). kind + key is an index: MATCH (h:Host {key: 'web1'})
/// starts from one node. Node ids are the engine's; relationship ids are valid within one query only
/// (they change when the engine compacts).
/// </summary>
public sealed class SnapshotGraph(GraphSnapshot snapshot, SecurityGraph? graph = null) : ICypherGraph
{
    public GraphSnapshot Snapshot => snapshot;

    public int NodeCount => snapshot.NodeCount;
    public long RelationshipCount => snapshot.EdgeCount;

    public int LabelId(string name) => GraphSchema.TryParseNodeKind(name, out var k) ? (int)k : -1;
    public string LabelName(int label) => ((NodeKind)label).Name();
    public int TypeId(string name) => GraphSchema.TryParseEdgeType(name, out var t) ? (int)t : -1;
    public string TypeName(int type) => ((EdgeType)type).Name();

    public bool NodeExists(int node) => (uint)node < (uint)snapshot.NodeCount;
    public bool HasLabel(int node, int label) => (int)snapshot.Kind(node) == label;
    public void LabelsOf(int node, List<int> into) => into.Add((int)snapshot.Kind(node));

    public long CountWithLabel(int label) => graph?.CountOf((NodeKind)label) ?? snapshot.NodeCount / Math.Max(1, GraphSchema.NodeKinds.Count);

    public long CountOfType(int type) => graph?.EdgeCountOf((EdgeType)type) ?? snapshot.EdgeCount / Math.Max(1, GraphSchema.EdgeTypes.Count);

    public bool TryLookup(int label, string property, in Value value, List<int> into)
    {
        if (property != "key") return false;
        if (value.Kind != ValueKind.String) return true; // keys are strings: nothing equals a number
        var key = value.AsString;
        if (label >= 0)
        {
            if (snapshot.TryFind((NodeKind)label, key, out var n)) into.Add(n);
            return true;
        }
        foreach (var kind in GraphSchema.NodeKinds)
            if (snapshot.TryFind(kind, key, out var n)) into.Add(n);
        return true;
    }

    /// <summary>Times as ISO 8601 UTC with milliseconds: they sort and compare as text ('2024-06-01' &lt; '2024-06-01T10:00:00.000Z').</summary>
    public static Value Time(long ms) =>
        ms is long.MinValue or long.MaxValue ? Value.Null : Value.Str(DateTimeOffset.FromUnixTimeMilliseconds(ms).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));

    public Value NodeProperty(int node, string name)
    {
        switch (name)
        {
            case "key": return Value.Str(snapshot.Key(node));
            case "kind": return Value.Str(snapshot.Kind(node).Name());
            case "criticality": return snapshot.Criticality(node) is var c and not Criticality.Unknown ? Value.Str(c.ToString().ToLowerInvariant()) : Value.Null;
            case "tags": return Tags(node);
            case "cvss": return snapshot.Cvss(node) is { } cvss ? Value.Float(cvss) : Value.Null;
            case "knownExploited":
                return snapshot.Kind(node) == NodeKind.Vulnerability ? Value.Bool((snapshot.Flags(node) & NodeFlags.KnownExploited) != 0) : Value.Null;
            case "alerted": return Value.Bool((snapshot.Flags(node) & NodeFlags.Alerted) != 0);
            case "firstSeen": return Time(snapshot.FirstSeenMs(node));
            case "lastSeen": return Time(snapshot.LastSeenMs(node));
        }
        return snapshot.Extras(node).Properties.TryGetValue(name, out var s) ? Value.Str(s) : Value.Null;
    }

    private Value Tags(int node)
    {
        var list = new List<Value>();
        foreach (var t in NodeTags.Names(snapshot.Flags(node))) list.Add(Value.Str(t));
        foreach (var t in snapshot.Extras(node).Tags) list.Add(Value.Str(t));
        return Value.List(list.ToArray());
    }

    private static readonly string[] BuiltInNodeProperties = ["key", "kind", "criticality", "tags", "cvss", "knownExploited", "alerted", "firstSeen", "lastSeen"];

    public void NodeProperties(int node, List<KeyValuePair<string, Value>> into)
    {
        foreach (var name in BuiltInNodeProperties)
        {
            var v = NodeProperty(node, name);
            if (!v.IsNull) into.Add(new(name, v));
        }
        foreach (var (k, v) in snapshot.Extras(node).Properties.OrderBy(p => p.Key, StringComparer.Ordinal))
            if (Array.IndexOf(BuiltInNodeProperties, k) < 0) into.Add(new(k, Value.Str(v)));
    }

    public int RelationshipType(int rel) => (int)snapshot.EdgeTypeOf(rel);
    public int StartNode(int rel) => snapshot.EdgeSource(rel);
    public int EndNode(int rel) => snapshot.EdgeTarget(rel);

    public Value RelationshipProperty(int rel, string name) => name switch
    {
        "type" => Value.Str(snapshot.EdgeTypeOf(rel).Name()),
        "count" => Value.Int(snapshot.Edge(rel).Count),
        "firstSeen" => Time(snapshot.EdgeFirstSeenMs(rel)),
        "lastSeen" => Time(snapshot.EdgeLastSeenMs(rel)),
        "evidence" => Value.List(snapshot.EvidenceOf(rel).Where(e => e.IsEvent).Select(e => Value.Int(e.EventId)).ToArray()),
        _ => Value.Null,
    };

    public void RelationshipProperties(int rel, List<KeyValuePair<string, Value>> into)
    {
        foreach (var name in new[] { "type", "count", "firstSeen", "lastSeen", "evidence" })
        {
            var v = RelationshipProperty(rel, name);
            if (!v.IsNull) into.Add(new(name, v));
        }
    }

    public int Adjacent(int node, bool outgoing, int[]? types, List<CypherAdjacent> into)
    {
        var looked = 0;
        if (types is null)
        {
            foreach (var a in outgoing ? snapshot.Out(node) : snapshot.In(node))
            {
                looked++;
                into.Add(new CypherAdjacent(a.Edge, a.Peer, (int)a.Type));
            }
            return looked;
        }
        uint mask = 0;
        foreach (var t in types) mask |= 1u << t;
        foreach (var a in outgoing ? snapshot.Out(node) : snapshot.In(node))
        {
            looked++;
            if (((mask >> (int)a.Type) & 1) != 0) into.Add(new CypherAdjacent(a.Edge, a.Peer, (int)a.Type));
        }
        return looked;
    }
}

using Redoubt.Graph.Cypher;

namespace Redoubt.Tests.Graph.Cypher.Tck;

/// <summary>
/// A general property graph (any labels, types and properties), writable in Cypher's builder mode.
/// The openCypher TCK sets its graphs up with CREATE over labels like :A and properties like num:
/// the Redoubt model cannot hold those, so the TCK checks the language on this graph, through the
/// same parser, planner and executor the appliance runs on its engine snapshots.
/// </summary>
public sealed class PropertyGraph : IWritableCypherGraph
{
    private sealed record Node(List<int> Labels, List<KeyValuePair<string, Value>> Properties, List<int> Out, List<int> In);

    private sealed record Rel(int Start, int Type, int End, List<KeyValuePair<string, Value>> Properties);

    private readonly List<Node> _nodes = [];
    private readonly List<Rel> _rels = [];
    private readonly Dictionary<string, int> _labels = new(StringComparer.Ordinal);
    private readonly List<string> _labelNames = [];
    private readonly Dictionary<string, int> _types = new(StringComparer.Ordinal);
    private readonly List<string> _typeNames = [];

    public int NodeCount => _nodes.Count;
    public long RelationshipCount => _rels.Count;

    public int LabelId(string name) => _labels.TryGetValue(name, out var id) ? id : -1;
    public string LabelName(int label) => _labelNames[label];
    public int TypeId(string name) => _types.TryGetValue(name, out var id) ? id : -1;
    public string TypeName(int type) => _typeNames[type];

    public bool NodeExists(int node) => (uint)node < (uint)_nodes.Count;
    public bool HasLabel(int node, int label) => _nodes[node].Labels.Contains(label);
    public void LabelsOf(int node, List<int> into) => into.AddRange(_nodes[node].Labels);
    public long CountWithLabel(int label) => _nodes.Count(n => n.Labels.Contains(label));
    public long CountOfType(int type) => _rels.Count(r => r.Type == type);

    public bool TryLookup(int label, string property, in Value value, List<int> into) => false;

    public Value NodeProperty(int node, string name)
    {
        foreach (var (k, v) in _nodes[node].Properties) if (k == name) return v;
        return Value.Null;
    }

    public void NodeProperties(int node, List<KeyValuePair<string, Value>> into) => into.AddRange(_nodes[node].Properties);

    public int RelationshipType(int rel) => _rels[rel].Type;
    public int StartNode(int rel) => _rels[rel].Start;
    public int EndNode(int rel) => _rels[rel].End;

    public Value RelationshipProperty(int rel, string name)
    {
        foreach (var (k, v) in _rels[rel].Properties) if (k == name) return v;
        return Value.Null;
    }

    public void RelationshipProperties(int rel, List<KeyValuePair<string, Value>> into) => into.AddRange(_rels[rel].Properties);

    public int Adjacent(int node, bool outgoing, int[]? types, List<CypherAdjacent> into)
    {
        var list = outgoing ? _nodes[node].Out : _nodes[node].In;
        foreach (var r in list)
        {
            var rel = _rels[r];
            if (types is not null && Array.IndexOf(types, rel.Type) < 0) continue;
            into.Add(new CypherAdjacent(r, outgoing ? rel.End : rel.Start, rel.Type));
        }
        return list.Count;
    }

    public int CreateNode(IReadOnlyList<string> labels, IReadOnlyList<KeyValuePair<string, Value>> properties)
    {
        var ids = new List<int>();
        foreach (var l in labels)
        {
            var id = Intern(_labels, _labelNames, l);
            if (!ids.Contains(id)) ids.Add(id);
        }
        _nodes.Add(new Node(ids, Merge(properties), [], []));
        return _nodes.Count - 1;
    }

    public int CreateRelationship(int start, string type, int end, IReadOnlyList<KeyValuePair<string, Value>> properties)
    {
        var t = Intern(_types, _typeNames, type);
        _rels.Add(new Rel(start, t, end, Merge(properties)));
        var id = _rels.Count - 1;
        _nodes[start].Out.Add(id);
        _nodes[end].In.Add(id);
        return id;
    }

    /// <summary>The graph's labels and types, to tell whether it fits the Redoubt model (one kind per node, model types only).</summary>
    public IEnumerable<IReadOnlyList<string>> NodeLabels => _nodes.Select(n => (IReadOnlyList<string>)n.Labels.Select(l => _labelNames[l]).ToList());
    public IEnumerable<string> RelationshipTypes => _rels.Select(r => _typeNames[r.Type]);

    private static List<KeyValuePair<string, Value>> Merge(IReadOnlyList<KeyValuePair<string, Value>> properties)
    {
        // A later value for the same key wins ({a: 1, a: 2} keeps 2).
        var list = new List<KeyValuePair<string, Value>>();
        foreach (var p in properties)
        {
            var i = list.FindIndex(x => x.Key == p.Key);
            if (i >= 0) list[i] = p; else list.Add(p);
        }
        return list;
    }

    private static int Intern(Dictionary<string, int> ids, List<string> names, string name)
    {
        if (ids.TryGetValue(name, out var id)) return id;
        ids[name] = names.Count;
        names.Add(name);
        return names.Count - 1;
    }
}

using System.Globalization;
using System.Text.Json;
using Redoubt.Graph.Engine;
using Redoubt.Storage.Graph;

namespace Redoubt.Graph.Import;

/// <summary>One rejected item of an import: where it is (nodes[3], edges[12].to), a stable code, and what was wrong.</summary>
public sealed record ImportError(string At, string Code, string Message);

public sealed record ImportReport(int ImportId, string Source, int Nodes, int Edges, IReadOnlyList<ImportError> Errors, int ErrorsNotListed);

/// <summary>
/// The graph import document (docs/graph.md, "Import"): nodes with their properties and edges
/// between "Kind:key" references, applied as idempotent upserts in one write batch. Each bad item
/// is reported with its position and a reason and skipped; the good ones are kept.
/// </summary>
public static class GraphImport
{
    public const int MaxListedErrors = 1_000;

    /// <summary>Thrown when the document as a whole is unusable (not an object, no source); nothing is applied.</summary>
    public sealed class DocumentException(string code, string message) : Exception(message)
    {
        public string Code { get; } = code;
    }

    public static ImportReport Apply(SecurityGraph graph, JsonElement document, long nowMs)
    {
        if (document.ValueKind != JsonValueKind.Object) throw new DocumentException("not_an_object", "the import document is a JSON object with source, nodes and edges");
        if (!document.TryGetProperty("source", out var sourceElement) || sourceElement.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(sourceElement.GetString()))
            throw new DocumentException("missing_source", "source: a non-empty string naming where this data comes from (it becomes the edges' provenance)");
        var nodes = OptionalArray(document, "nodes");
        var edges = OptionalArray(document, "edges");
        foreach (var property in document.EnumerateObject())
            if (property.Name is not ("source" or "nodes" or "edges"))
                throw new DocumentException("unknown_field", $"unknown top-level field '{property.Name}' (expected source, nodes, edges)");
        var source = sourceElement.GetString()!.Trim();

        var errors = new List<ImportError>();
        var notListed = 0;
        void Fail(string at, string code, string message)
        {
            if (errors.Count < MaxListedErrors) errors.Add(new ImportError(at, code, message));
            else notListed++;
        }

        return graph.Write(w =>
        {
            var importId = w.BeginImport(source, nowMs);
            var nodeCount = 0;
            var edgeCount = 0;
            var i = 0;
            foreach (var n in nodes)
            {
                var at = $"nodes[{i++}]";
                try
                {
                    if (n.ValueKind != JsonValueKind.Object) throw new ItemException("not_an_object", "a node is an object with kind and key");
                    var kind = Kind(n, "kind");
                    var key = Key(n, "key");
                    var update = NodeUpdateOf(n);
                    var id = w.Node(kind, key);
                    w.Update(id, update);
                    nodeCount++;
                }
                catch (ItemException e) { Fail(at + e.Field, e.Code, e.Message); }
            }
            i = 0;
            foreach (var e in edges)
            {
                var at = $"edges[{i++}]";
                try
                {
                    if (e.ValueKind != JsonValueKind.Object) throw new ItemException("not_an_object", "an edge is an object with from, type and to");
                    foreach (var p in e.EnumerateObject())
                        if (p.Name is not ("from" or "type" or "to" or "firstSeen" or "lastSeen" or "count"))
                            throw new ItemException("unknown_field", $"unknown edge field '{p.Name}'", "." + p.Name);
                    var (fromKind, fromKey) = Reference(e, "from");
                    var (toKind, toKey) = Reference(e, "to");
                    var type = Type(e);
                    var first = Time(e, "firstSeen");
                    var last = Time(e, "lastSeen");
                    if (first is { } f && last is { } l && f > l) throw new ItemException("bad_time", "firstSeen is after lastSeen", ".firstSeen");
                    var count = Count(e);
                    w.AssertEdge(w.Node(fromKind, fromKey), type, w.Node(toKind, toKey), new EdgeAssertion(nowMs, importId, first, last, count));
                    edgeCount++;
                }
                catch (ItemException ex) { Fail(at + ex.Field, ex.Code, ex.Message); }
            }
            return new ImportReport(importId, source, nodeCount, edgeCount, errors, notListed);
        });
    }

    private sealed class ItemException(string code, string message, string field = "") : Exception(message)
    {
        public string Code { get; } = code;
        public string Field { get; } = field;
    }

    private static JsonElement.ArrayEnumerator OptionalArray(JsonElement document, string name)
    {
        if (!document.TryGetProperty(name, out var value)) return default;
        if (value.ValueKind != JsonValueKind.Array) throw new DocumentException("not_an_array", $"{name}: an array");
        return value.EnumerateArray();
    }

    private static readonly HashSet<string> NodeFields = new(StringComparer.Ordinal)
    {
        "kind", "key", "criticality", "tags", "cvss", "knownExploited", "properties", "firstSeen", "lastSeen",
    };

    private static NodeUpdate NodeUpdateOf(JsonElement n)
    {
        foreach (var p in n.EnumerateObject())
            if (!NodeFields.Contains(p.Name)) throw new ItemException("unknown_field", $"unknown node field '{p.Name}' (expected {string.Join(", ", NodeFields)})", "." + p.Name);

        var flags = NodeFlags.None;
        List<string>? tags = null;
        if (n.TryGetProperty("tags", out var tagList))
        {
            if (tagList.ValueKind != JsonValueKind.Array) throw new ItemException("bad_tags", "tags: an array of strings", ".tags");
            tags = [];
            foreach (var t in tagList.EnumerateArray())
            {
                if (t.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(t.GetString())) throw new ItemException("bad_tags", "tags: an array of non-empty strings", ".tags");
                var tag = t.GetString()!.Trim();
                var flag = NodeTags.FlagOf(tag);
                if (flag != NodeFlags.None) flags |= flag;
                else if (!tags.Contains(tag)) tags.Add(tag);
            }
        }
        double? cvss = null;
        if (n.TryGetProperty("cvss", out var c))
        {
            if (c.ValueKind != JsonValueKind.Number || !c.TryGetDouble(out var v) || v is < 0 or > 10) throw new ItemException("bad_cvss", "cvss: a number from 0 to 10", ".cvss");
            cvss = v;
        }
        var clear = NodeFlags.None;
        if (n.TryGetProperty("knownExploited", out var kev))
        {
            if (kev.ValueKind is not (JsonValueKind.True or JsonValueKind.False)) throw new ItemException("bad_known_exploited", "knownExploited: true or false", ".knownExploited");
            if (kev.GetBoolean()) flags |= NodeFlags.KnownExploited; else clear |= NodeFlags.KnownExploited;
        }
        Criticality? criticality = null;
        if (n.TryGetProperty("criticality", out var crit))
        {
            if (crit.ValueKind != JsonValueKind.String || !Enum.TryParse<Criticality>(crit.GetString(), ignoreCase: true, out var parsed) || parsed == Engine.Criticality.Unknown || !Enum.IsDefined(parsed))
                throw new ItemException("bad_criticality", "criticality: low, medium, high or critical", ".criticality");
            criticality = parsed;
        }
        Dictionary<string, string?>? properties = null;
        if (n.TryGetProperty("properties", out var props))
        {
            if (props.ValueKind != JsonValueKind.Object) throw new ItemException("bad_properties", "properties: an object of string, number or boolean values", ".properties");
            properties = [];
            foreach (var p in props.EnumerateObject())
                properties[p.Name] = p.Value.ValueKind switch
                {
                    JsonValueKind.String => p.Value.GetString(),
                    JsonValueKind.Number => p.Value.GetRawText(),
                    JsonValueKind.True => "true",
                    JsonValueKind.False => "false",
                    JsonValueKind.Null => null,
                    _ => throw new ItemException("bad_properties", $"properties.{p.Name}: a string, number, boolean or null", ".properties." + p.Name),
                };
        }
        var first = Time(n, "firstSeen");
        var last = Time(n, "lastSeen");
        return new NodeUpdate
        {
            Criticality = criticality, SetFlags = flags, ClearFlags = clear, Cvss = cvss, Tags = tags, Properties = properties,
            FirstSeenMs = first, LastSeenMs = last,
        };
    }

    private static NodeKind Kind(JsonElement item, string field)
    {
        if (!item.TryGetProperty(field, out var k) || k.ValueKind != JsonValueKind.String || !GraphSchema.TryParseNodeKind(k.GetString()!, out var kind))
            throw new ItemException("unknown_kind", $"{field}: one of {string.Join(", ", GraphSchema.NodeKinds.Select(x => x.Name()))}", "." + field);
        return kind;
    }

    private static string Key(JsonElement item, string field)
    {
        if (!item.TryGetProperty(field, out var k) || k.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(k.GetString()))
            throw new ItemException("bad_key", $"{field}: a non-empty string", "." + field);
        var key = k.GetString()!.Trim();
        if (key.Length > 1024) throw new ItemException("bad_key", $"{field}: at most 1024 characters", "." + field);
        return key;
    }

    private static EdgeType Type(JsonElement e)
    {
        if (!e.TryGetProperty("type", out var t) || t.ValueKind != JsonValueKind.String || !GraphSchema.TryParseEdgeType(t.GetString()!, out var type))
            throw new ItemException("unknown_edge_type", $"type: one of {string.Join(", ", GraphSchema.EdgeTypes.Select(x => x.Name()))}", ".type");
        return type;
    }

    /// <summary>"Kind:key" or {"kind": ..., "key": ...}.</summary>
    private static (NodeKind, string) Reference(JsonElement e, string field)
    {
        if (!e.TryGetProperty(field, out var r)) throw new ItemException("bad_reference", $"{field}: \"Kind:key\" or {{\"kind\", \"key\"}}", "." + field);
        if (r.ValueKind == JsonValueKind.Object)
        {
            try { return (Kind(r, "kind"), Key(r, "key")); }
            catch (ItemException x) { throw new ItemException(x.Code, $"{field}.{x.Message}", "." + field + x.Field); }
        }
        if (r.ValueKind == JsonValueKind.String && NodeReference.TryParse(r.GetString()!, out var kind, out var key)) return (kind, key);
        throw new ItemException("bad_reference", $"{field}: \"Kind:key\" with a known kind, or {{\"kind\", \"key\"}}", "." + field);
    }

    private static long? Time(JsonElement item, string field)
    {
        if (!item.TryGetProperty(field, out var t) || t.ValueKind == JsonValueKind.Null) return null;
        if (t.ValueKind == JsonValueKind.Number && t.TryGetInt64(out var ms)) return ms;
        if (t.ValueKind == JsonValueKind.String && DateTimeOffset.TryParse(t.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at))
            return at.ToUnixTimeMilliseconds();
        throw new ItemException("bad_time", $"{field}: an ISO 8601 time or Unix milliseconds", "." + field);
    }

    private static int? Count(JsonElement e)
    {
        if (!e.TryGetProperty("count", out var c)) return null;
        if (c.ValueKind == JsonValueKind.Number && c.TryGetInt32(out var n) && n >= 1) return n;
        throw new ItemException("bad_count", "count: a whole number >= 1", ".count");
    }
}

/// <summary>"Kind:key" references: the kind name, a colon, the key (which may itself hold colons, as IPv6 addresses do).</summary>
public static class NodeReference
{
    public static bool TryParse(string text, out NodeKind kind, out string key)
    {
        var colon = text.IndexOf(':');
        key = colon < 0 ? "" : text[(colon + 1)..].Trim();
        kind = default;
        return colon > 0 && key.Length > 0 && GraphSchema.TryParseNodeKind(text[..colon].Trim(), out kind);
    }

    public static string Format(NodeKind kind, string key) => kind.Name() + ":" + key;
}

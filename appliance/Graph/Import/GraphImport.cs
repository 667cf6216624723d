using System.Globalization;
using System.Text.Json;
using Redoubt.Graph.Engine;
using Redoubt.Storage.Graph;

namespace Redoubt.Graph.Import;

/// <summary>One rejected item of an import: where it is (nodes[3], edges[12].to), a stable code, and what was wrong.</summary>
public sealed record ImportError(string At, string Code, string Message);

public sealed record ImportReport(int ImportId, string Source, int Nodes, int Edges, IReadOnlyList<ImportError> Errors, int ErrorsNotListed);

/// <summary>A node of an import document, checked: its properties in the graph store's form (tags as a comma list; criticality, cvss, knownExploited by name).</summary>
public sealed record NodeItem(string At, NodeKind Kind, string Key, IReadOnlyDictionary<string, string> Properties, long? FirstSeenMs, long? LastSeenMs);

/// <summary>An edge of an import document, checked.</summary>
public sealed record EdgeItem(string At, NodeKind FromKind, string FromKey, EdgeType Type, NodeKind ToKind, string ToKey, long? FirstSeenMs, long? LastSeenMs, int Count);

/// <summary>A read import document: the items that passed, and each one that did not, with where and why.</summary>
public sealed record GraphDocument(string Source, IReadOnlyList<NodeItem> Nodes, IReadOnlyList<EdgeItem> Edges, IReadOnlyList<ImportError> Errors, int ErrorsNotListed);

/// <summary>
/// The graph import document (docs/graph.md, "Import"): nodes with their properties and edges
/// between "Kind:key" references. <see cref="Read"/> checks every item: each bad one is reported with
/// its position and a reason and skipped, the good ones kept. The endpoint stores the good ones as
/// events (<see cref="GraphImportEvents"/>), which the graph sink applies as idempotent upserts.
/// </summary>
public static class GraphImport
{
    public const int MaxListedErrors = 1_000;
    /// <summary>Names and values of one node's properties, in characters: well inside the store's 64 KiB node record, in UTF-8.</summary>
    public const int MaxPropertyChars = 16_384;

    /// <summary>Node properties the graph reads as attributes; a document sets them by their own fields, not in properties.</summary>
    public static readonly IReadOnlySet<string> AttributeNames = new HashSet<string>(StringComparer.Ordinal) { "tags", "criticality", "cvss", "knownExploited" };

    /// <summary>Thrown when the document as a whole is unusable (not an object, no source); nothing is applied.</summary>
    public sealed class DocumentException(string code, string message) : Exception(message)
    {
        public string Code { get; } = code;
    }

    public static GraphDocument Read(JsonElement document)
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
        if (source.Length > 200) throw new DocumentException("bad_source", "source: at most 200 characters");

        var errors = new List<ImportError>();
        var notListed = 0;
        void Fail(string at, string code, string message)
        {
            if (errors.Count < MaxListedErrors) errors.Add(new ImportError(at, code, message));
            else notListed++;
        }

        var nodeItems = new List<NodeItem>();
        var i = 0;
        foreach (var n in nodes)
        {
            var at = $"nodes[{i++}]";
            try
            {
                if (n.ValueKind != JsonValueKind.Object) throw new ItemException("not_an_object", "a node is an object with kind and key");
                nodeItems.Add(NodeOf(at, n));
            }
            catch (ItemException e) { Fail(at + e.Field, e.Code, e.Message); }
        }
        var edgeItems = new List<EdgeItem>();
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
                edgeItems.Add(new EdgeItem(at, fromKind, fromKey, type, toKind, toKey, first, last, Count(e) ?? 1));
            }
            catch (ItemException ex) { Fail(at + ex.Field, ex.Code, ex.Message); }
        }
        return new GraphDocument(source, nodeItems, edgeItems, errors, notListed);
    }

    /// <summary>
    /// Applies a document straight to an in-memory graph, as the graph store would have it applied
    /// (tests and tools that want a graph without an appliance; the endpoint stores it instead).
    /// </summary>
    public static ImportReport Apply(SecurityGraph graph, JsonElement document, long nowMs)
    {
        var doc = Read(document);
        return graph.Write(w =>
        {
            var importId = w.BeginImport(doc.Source, nowMs);
            foreach (var n in doc.Nodes)
            {
                var id = w.Node(n.Kind, n.Key);
                var first = n.FirstSeenMs ?? n.LastSeenMs ?? nowMs;
                w.Update(id, GraphStoreMirror.UpdateOf(new NodeRecord(0, n.Kind, n.Key, n.Properties, first, n.LastSeenMs ?? first)));
            }
            foreach (var e in doc.Edges)
            {
                var seen = e.FirstSeenMs ?? nowMs;
                w.AssertEdge(w.Node(e.FromKind, e.FromKey, seen), e.Type, w.Node(e.ToKind, e.ToKey, seen), new EdgeAssertion(nowMs, importId, e.FirstSeenMs, e.LastSeenMs, e.Count));
            }
            return new ImportReport(importId, doc.Source, doc.Nodes.Count, doc.Edges.Count, doc.Errors, doc.ErrorsNotListed);
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

    private static NodeItem NodeOf(string at, JsonElement n)
    {
        foreach (var p in n.EnumerateObject())
            if (!NodeFields.Contains(p.Name)) throw new ItemException("unknown_field", $"unknown node field '{p.Name}' (expected {string.Join(", ", NodeFields)})", "." + p.Name);
        var kind = Kind(n, "kind");
        var key = Key(n, "key");
        var properties = new Dictionary<string, string>(StringComparer.Ordinal);
        if (n.TryGetProperty("properties", out var props))
        {
            if (props.ValueKind != JsonValueKind.Object) throw new ItemException("bad_properties", "properties: an object of string, number or boolean values", ".properties");
            foreach (var p in props.EnumerateObject())
            {
                // The store keeps attributes as properties by these names: one spelling each, or a property would turn into an attribute.
                if (AttributeNames.Contains(p.Name))
                    throw new ItemException("reserved_property", $"properties.{p.Name}: set it with the node's own {p.Name} field", ".properties." + p.Name);
                properties[p.Name] = p.Value.ValueKind switch
                {
                    JsonValueKind.String => p.Value.GetString()!,
                    JsonValueKind.Number => p.Value.GetRawText(),
                    JsonValueKind.True => "true",
                    JsonValueKind.False => "false",
                    // The durable graph merges properties and never removes one: a null would be silently ignored.
                    JsonValueKind.Null => throw new ItemException("bad_properties", $"properties.{p.Name}: null cannot remove a property (the graph merges properties)", ".properties." + p.Name),
                    _ => throw new ItemException("bad_properties", $"properties.{p.Name}: a string, number or boolean", ".properties." + p.Name),
                };
            }
        }
        if (n.TryGetProperty("tags", out var tagList))
        {
            if (tagList.ValueKind != JsonValueKind.Array) throw new ItemException("bad_tags", "tags: an array of strings", ".tags");
            var tags = new List<string>();
            foreach (var t in tagList.EnumerateArray())
            {
                if (t.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(t.GetString())) throw new ItemException("bad_tags", "tags: an array of non-empty strings", ".tags");
                var tag = t.GetString()!.Trim();
                if (tag.Contains(',')) throw new ItemException("bad_tags", $"tags: '{tag}' holds a comma (the graph keeps tags as a comma list)", ".tags");
                if (!tags.Contains(tag)) tags.Add(tag);
            }
            properties["tags"] = string.Join(',', tags);
        }
        if (n.TryGetProperty("cvss", out var c))
        {
            if (c.ValueKind != JsonValueKind.Number || !c.TryGetDouble(out var v) || v is < 0 or > 10) throw new ItemException("bad_cvss", "cvss: a number from 0 to 10", ".cvss");
            properties["cvss"] = v.ToString("R", CultureInfo.InvariantCulture);
        }
        if (n.TryGetProperty("knownExploited", out var kev))
        {
            if (kev.ValueKind is not (JsonValueKind.True or JsonValueKind.False)) throw new ItemException("bad_known_exploited", "knownExploited: true or false", ".knownExploited");
            properties["knownExploited"] = kev.GetBoolean() ? "true" : "false";
        }
        if (n.TryGetProperty("criticality", out var crit))
        {
            if (crit.ValueKind != JsonValueKind.String || !Enum.TryParse<Criticality>(crit.GetString(), ignoreCase: true, out var parsed) || parsed == Engine.Criticality.Unknown || !Enum.IsDefined(parsed))
                throw new ItemException("bad_criticality", "criticality: low, medium, high or critical", ".criticality");
            properties["criticality"] = parsed.ToString().ToLowerInvariant();
        }
        var first = Time(n, "firstSeen");
        var last = Time(n, "lastSeen");
        if (first is { } f && last is { } l && f > l) throw new ItemException("bad_time", "firstSeen is after lastSeen", ".firstSeen");
        if (properties.Sum(p => p.Key.Length + p.Value.Length) > MaxPropertyChars)
            throw new ItemException("too_large", $"properties: at most {MaxPropertyChars} characters of names and values (the graph store's node record limit)", ".properties");
        return new NodeItem(at, kind, key, properties, first, last);
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

    private const long MaxTimeMs = 253402300799999; // 9999-12-31T23:59:59.999Z

    private static long? Time(JsonElement item, string field)
    {
        if (!item.TryGetProperty(field, out var t) || t.ValueKind == JsonValueKind.Null) return null;
        long? ms = null;
        if (t.ValueKind == JsonValueKind.Number && t.TryGetInt64(out var n)) ms = n;
        else if (t.ValueKind == JsonValueKind.String && DateTimeOffset.TryParse(t.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at))
            ms = at.ToUnixTimeMilliseconds();
        // 1970 to 9999: every reader turns these back into dates (a far-off value, once stored, broke the graph's reads).
        if (ms is >= 0 and <= MaxTimeMs) return ms;
        throw new ItemException("bad_time", $"{field}: an ISO 8601 time or Unix milliseconds, from 1970 to 9999", "." + field);
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

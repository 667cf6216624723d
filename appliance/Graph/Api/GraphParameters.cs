using System.Globalization;
using System.Text.Json;
using Redoubt.Graph.Algorithms;
using Redoubt.Graph.Engine;
using Redoubt.Graph.Import;
using Redoubt.Storage.Graph;

namespace Redoubt.Graph.Api;

/// <summary>A request the API refuses: a stable code for programs, a sentence for people.</summary>
internal sealed class GraphRequestException(int status, string code, string message) : Exception(message)
{
    public int Status { get; } = status;
    public string Code { get; } = code;
}

/// <summary>
/// Query parameters of a graph request, read the same way from the query string (GET) or a JSON
/// object body (POST, where lists are arrays). Every bad value is refused with the parameter's name.
/// </summary>
internal sealed class GraphParameters
{
    private readonly IQueryCollection? _query;
    private readonly JsonElement _body;
    private readonly HashSet<string> _known = new(StringComparer.Ordinal);

    private GraphParameters(IQueryCollection? query, JsonElement body)
    {
        _query = query;
        _body = body;
    }

    public static async Task<GraphParameters> ReadAsync(HttpRequest request, CancellationToken cancel)
    {
        if (!HttpMethods.IsPost(request.Method)) return new GraphParameters(request.Query, default);
        try
        {
            using var doc = await JsonDocument.ParseAsync(request.Body, new JsonDocumentOptions { MaxDepth = 16 }, cancel);
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new GraphRequestException(400, "bad_body", "the body is a JSON object of parameters");
            return new GraphParameters(null, doc.RootElement.Clone());
        }
        catch (JsonException e)
        {
            throw new GraphRequestException(400, "bad_json", $"the body is not valid JSON (line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1})");
        }
    }

    private string[] Raw(string name)
    {
        _known.Add(name);
        if (_query is not null)
            return _query.TryGetValue(name, out var values)
                ? values.Where(v => !string.IsNullOrWhiteSpace(v)).SelectMany(v => name is "types" ? v!.Split(',') : [v!]).Select(v => v.Trim()).Where(v => v.Length > 0).ToArray()
                : [];
        if (!_body.TryGetProperty(name, out var el) || el.ValueKind == JsonValueKind.Null) return [];
        if (el.ValueKind == JsonValueKind.Array)
            return el.EnumerateArray().Select(x => x.ValueKind == JsonValueKind.String ? x.GetString()! : x.GetRawText()).ToArray();
        return [el.ValueKind == JsonValueKind.String ? el.GetString()! : el.GetRawText()];
    }

    private string? One(string name)
    {
        var values = Raw(name);
        if (values.Length > 1) throw Bad(name, "give it once");
        return values.Length == 0 ? null : values[0];
    }

    private static GraphRequestException Bad(string name, string why) => new(400, "bad_parameter", $"{name}: {why}");

    /// <summary>Refuses parameters the endpoint does not know, so a typo is not silently ignored.</summary>
    public void RejectUnknown()
    {
        var given = _query?.Keys ?? (_body.ValueKind == JsonValueKind.Object ? _body.EnumerateObject().Select(p => p.Name).ToList() : []);
        foreach (var name in given)
            if (!_known.Contains(name))
                throw new GraphRequestException(400, "unknown_parameter", $"unknown parameter '{name}' (this endpoint takes {string.Join(", ", _known.Order(StringComparer.Ordinal))})");
    }

    public int Int(string name, int fallback, int min, int max)
    {
        if (One(name) is not { } v) return fallback;
        if (int.TryParse(v, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) && n >= min && n <= max) return n;
        throw Bad(name, $"a whole number from {min} to {max}");
    }

    public int? OptionalInt(string name, int min, int max) => One(name) is null ? null : Int(name, 0, min, max);

    public double? OptionalNumber(string name, double min, double max)
    {
        if (One(name) is not { } v) return null;
        if (double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && d >= min && d <= max) return d;
        throw Bad(name, $"a number from {min} to {max}");
    }

    public bool Bool(string name, bool fallback)
    {
        if (One(name) is not { } v) return fallback;
        return v.ToLowerInvariant() switch { "true" or "1" => true, "false" or "0" => false, _ => throw Bad(name, "true or false") };
    }

    public long? Time(string name)
    {
        if (One(name) is not { } v) return null;
        if (long.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out var ms)) return ms;
        if (DateTimeOffset.TryParse(v, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t)) return t.ToUnixTimeMilliseconds();
        throw Bad(name, "an ISO 8601 time or Unix milliseconds");
    }

    public Direction Direction(string name)
    {
        return (One(name)?.ToLowerInvariant()) switch
        {
            null or "both" => Algorithms.Direction.Both,
            "out" => Algorithms.Direction.Out,
            "in" => Algorithms.Direction.In,
            _ => throw Bad(name, "out, in or both"),
        };
    }

    /// <summary>Edge types (types=A,B or repeated), a window (since, until): the common edge filter.</summary>
    public EdgeFilter Filter()
    {
        List<EdgeType>? types = null;
        foreach (var t in Raw("types"))
        {
            if (!GraphSchema.TryParseEdgeType(t, out var type)) throw Bad("types", $"'{t}' is not one of {string.Join(", ", GraphSchema.EdgeTypes.Select(x => x.Name()))}");
            (types ??= []).Add(type);
        }
        var since = Time("since");
        var until = Time("until");
        if (since > until) throw Bad("since", "is after until");
        return EdgeFilter.Of(types, since, until);
    }

    /// <summary>Nodes named "Kind:key" (repeatable); each must exist in the snapshot.</summary>
    public List<int> Nodes(string name, GraphSnapshot g, bool required)
    {
        var result = new List<int>();
        foreach (var text in Raw(name))
        {
            if (!NodeReference.TryParse(text, out var kind, out var key)) throw Bad(name, $"'{text}' is not Kind:key with a known kind ({string.Join(", ", GraphSchema.NodeKinds.Select(x => x.Name()))})");
            if (!g.TryFind(kind, key, out var id)) throw new GraphRequestException(404, "unknown_node", $"{name}: no {kind.Name()} with key '{key}' in the graph");
            result.Add(id);
        }
        if (required && result.Count == 0) throw Bad(name, "required (Kind:key, for example Host:web1)");
        return result;
    }

    public int Node(string name, GraphSnapshot g)
    {
        var nodes = Nodes(name, g, required: true);
        return nodes.Count == 1 ? nodes[0] : throw Bad(name, "give exactly one node");
    }

    /// <summary>The request's budget: the configured one, lowered by budgetMs and limit where asked.</summary>
    public QueryLimits Limits(QueryLimits configured, int defaultResults)
    {
        var ms = OptionalInt("budgetMs", 1, int.MaxValue);
        var limit = OptionalInt("limit", 1, int.MaxValue);
        return configured.Lower(ms, limit ?? Math.Min(defaultResults, configured.MaxResults));
    }

    public string? String(string name) => One(name);
}

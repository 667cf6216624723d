using System.Diagnostics;
using System.Text.Json;
using Redoubt.Graph.Cypher;
using Redoubt.Graph.Engine;
using Redoubt.Storage.Graph;

namespace Redoubt.Graph.Api;

/// <summary>Queries running at once (Graph:Query:MaxConcurrent): one gate per process, so a burst of heavy queries cannot take every core.</summary>
public sealed class CypherQueryGate(int maxConcurrent)
{
    public SemaphoreSlim Slots { get; } = new(maxConcurrent, maxConcurrent);
}

/// <summary>
/// POST /api/v1/graph/query: an openCypher read query over one snapshot of the in-memory graph
/// (docs/cypher.md). Body: {"query": "...", "parameters": {...}, "timeoutMs": n, "maxRows": n};
/// the last two can only lower the configured budgets (Graph:Query). Every refusal has a stable
/// code, the TCK-style detail, and the line and column in the query text.
/// </summary>
internal static class CypherQueryEndpoint
{
    public const int MaxQueryChars = 64 * 1024;

    /// <summary>
    /// Lists and maps nested in one result value. The parser bounds nesting within one expression
    /// (Parser.MaxNesting) but clauses can wrap a value again and again (WITH [a] AS a ...); a deeper
    /// value is refused with a budget error instead of failing in the JSON writer.
    /// </summary>
    public const int MaxResultDepth = 256;

    /// <summary>Room for the reply's own nesting (object, rows, row, node/path wrappers) above the values.</summary>
    private static readonly JsonWriterOptions WriterOptions = new() { MaxDepth = MaxResultDepth + 16 };

    public static async Task Handle(HttpContext http)
    {
        var clock = Stopwatch.StartNew();
        var options = http.RequestServices.GetRequiredService<GraphQueryOptions>();
        var gate = http.RequestServices.GetRequiredService<CypherQueryGate>();
        var engine = http.RequestServices.GetRequiredService<SecurityGraph>();
        CypherRequest request;
        try { request = await CypherRequest.ReadAsync(http.Request, http.RequestAborted); }
        catch (GraphRequestException e)
        {
            await Error(http, e.Status, e.Code, e.Message);
            return;
        }
        if (!await gate.Slots.WaitAsync(TimeSpan.FromSeconds(1), http.RequestAborted))
        {
            http.Response.Headers.RetryAfter = "1";
            await Error(http, 503, "busy", $"{options.Query.MaxConcurrent} queries are running (Graph:Query:MaxConcurrent); try again shortly");
            return;
        }
        var buffer = new MemoryStream();
        try
        {
            var limits = options.Query.Lower(request.TimeoutMs, request.MaxRows);
            var snapshot = engine.Snapshot;
            var graph = new SnapshotGraph(snapshot, engine);
            // The query's work stops when the client goes away or the host stops (SIGTERM), not only at its time budget.
            var stopping = http.RequestServices.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
            using var cancel = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted, stopping);
            var result = CypherEngine.Run(request.Query, graph, request.Parameters, limits, cancel.Token);
            await using var w = new Utf8JsonWriter(buffer, WriterOptions);
            Write(w, snapshot, engine, result, clock);
            await w.FlushAsync(http.RequestAborted);
        }
        catch (CypherException e)
        {
            http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Redoubt.Graph.Cypher")
                .LogInformation("cypher query refused: {Kind} {Code} at {Line}:{Column}: {Message}", e.Kind, e.Code, e.Line, e.Column, e.PlainMessage);
            await CypherError(http, e);
            return;
        }
        finally
        {
            gate.Slots.Release();
        }
        http.Response.ContentType = "application/json";
        buffer.Position = 0;
        await buffer.CopyToAsync(http.Response.Body, http.RequestAborted);
    }

    /// <summary>The stable code for each kind of refusal; the status says whose fault it is.</summary>
    public static (int Status, string Code) Classify(CypherErrorKind kind) => kind switch
    {
        CypherErrorKind.Syntax => (400, "cypher_syntax"),
        CypherErrorKind.Unsupported => (400, "cypher_unsupported"),
        CypherErrorKind.ReadOnly => (400, "cypher_read_only"),
        CypherErrorKind.ParameterMissing => (400, "cypher_parameter_missing"),
        CypherErrorKind.Type => (400, "cypher_type_error"),
        CypherErrorKind.Argument => (400, "cypher_argument_error"),
        CypherErrorKind.Budget => (422, "cypher_budget"),
        CypherErrorKind.TooComplex => (422, "cypher_too_complex"),
        _ => (400, "cypher_error"),
    };

    private static async Task CypherError(HttpContext http, CypherException e)
    {
        var (status, code) = Classify(e.Kind);
        http.Response.StatusCode = status;
        http.Response.ContentType = "application/json";
        await using var w = new Utf8JsonWriter(http.Response.Body);
        w.WriteStartObject();
        w.WriteString("error", code);
        w.WriteString("message", e.PlainMessage);
        w.WriteString("detail", e.Code);
        if (e.Line > 0)
        {
            w.WriteNumber("line", e.Line);
            w.WriteNumber("column", e.Column);
        }
        w.WriteBoolean("atRuntime", e.AtRuntime);
        w.WriteEndObject();
        await w.FlushAsync(http.RequestAborted);
    }

    private static async Task Error(HttpContext http, int status, string code, string message)
    {
        http.Response.StatusCode = status;
        await http.Response.WriteAsJsonAsync(new { error = code, message }, http.RequestAborted);
    }

    private static void Write(Utf8JsonWriter w, GraphSnapshot g, SecurityGraph engine, CypherResult r, Stopwatch clock)
    {
        w.WriteStartObject();
        w.WriteStartArray("columns");
        foreach (var c in r.Columns) w.WriteStringValue(c);
        w.WriteEndArray();
        w.WriteStartArray("rows");
        foreach (var row in r.Rows)
        {
            w.WriteStartArray();
            foreach (var v in row) WriteValue(w, g, engine, v, 0);
            w.WriteEndArray();
        }
        w.WriteEndArray();
        w.WriteNumber("rowCount", r.Rows.Count);
        w.WriteBoolean("truncated", r.Truncated);
        w.WriteNumber("work", r.Work);
        w.WriteStartArray("warnings");
        foreach (var x in r.Warnings) w.WriteStringValue(x);
        w.WriteEndArray();
        w.WriteNumber("elapsedMs", Math.Round(clock.Elapsed.TotalMilliseconds, 3));
        w.WriteEndObject();
    }

    /// <summary>
    /// Scalars, lists and maps as JSON; a node as {"node": {...}}, a relationship as {"edge": {...}}
    /// with its evidence, a path as {"path": {"nodes": [...], "edges": [...]}} (the shapes of the other graph endpoints).
    /// </summary>
    private static void WriteValue(Utf8JsonWriter w, GraphSnapshot g, SecurityGraph engine, in Value v, int depth)
    {
        if (v.Kind is ValueKind.List or ValueKind.Map && depth >= MaxResultDepth)
            throw new CypherException(CypherErrorKind.Budget, "resultDepth", $"a value in the result nests lists or maps more than {MaxResultDepth} levels deep; the reply cannot carry it") { AtRuntime = true };
        switch (v.Kind)
        {
            case ValueKind.Null: w.WriteNullValue(); break;
            case ValueKind.Boolean: w.WriteBooleanValue(v.AsBool); break;
            case ValueKind.Integer: w.WriteNumberValue(v.AsInt); break;
            case ValueKind.Float:
                // JSON has no NaN or infinities: they go as the text openCypher prints.
                if (double.IsFinite(v.AsFloat)) w.WriteNumberValue(v.AsFloat);
                else w.WriteStringValue(Values.FormatFloat(v.AsFloat));
                break;
            case ValueKind.String: w.WriteStringValue(v.AsString); break;
            case ValueKind.List:
                w.WriteStartArray();
                foreach (var x in v.AsList) WriteValue(w, g, engine, x, depth + 1);
                w.WriteEndArray();
                break;
            case ValueKind.Map:
                w.WriteStartObject();
                foreach (var (k, x) in v.AsMap)
                {
                    w.WritePropertyName(k);
                    WriteValue(w, g, engine, x, depth + 1);
                }
                w.WriteEndObject();
                break;
            case ValueKind.Node:
                w.WriteStartObject();
                w.WritePropertyName("node");
                GraphJson.Node(w, g, v.NodeId);
                w.WriteEndObject();
                break;
            case ValueKind.Relationship:
                w.WriteStartObject();
                w.WritePropertyName("edge");
                GraphJson.Edge(w, g, engine, v.RelationshipId);
                w.WriteEndObject();
                break;
            case ValueKind.Path:
            {
                var p = v.AsPath;
                w.WriteStartObject();
                w.WriteStartObject("path");
                w.WriteNumber("length", p.Relationships.Length);
                w.WriteStartArray("nodes");
                foreach (var n in p.Nodes) GraphJson.Node(w, g, n);
                w.WriteEndArray();
                w.WriteStartArray("edges");
                foreach (var e in p.Relationships) GraphJson.Edge(w, g, engine, e);
                w.WriteEndArray();
                w.WriteEndObject();
                w.WriteEndObject();
                break;
            }
        }
    }
}

/// <summary>The body of POST /api/v1/graph/query, checked: unknown members, wrong types and oversize queries are refused by name.</summary>
internal sealed record CypherRequest(string Query, IReadOnlyDictionary<string, Value> Parameters, int? TimeoutMs, int? MaxRows)
{
    public static async Task<CypherRequest> ReadAsync(HttpRequest request, CancellationToken cancel)
    {
        JsonDocument doc;
        try { doc = await JsonDocument.ParseAsync(request.Body, new JsonDocumentOptions { MaxDepth = 32 }, cancel); }
        catch (JsonException e)
        {
            throw new GraphRequestException(400, "bad_json", $"the body is not valid JSON (line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1})");
        }
        using (doc)
        {
            try { return Read(doc.RootElement); }
            catch (Exception e) when (Redoubt.Api.JsonText.IsInvalidString(e)) { throw new GraphRequestException(400, Redoubt.Api.JsonText.Code, Redoubt.Api.JsonText.Message); }
        }
    }

    private static CypherRequest Read(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object)
            throw new GraphRequestException(400, "bad_body", "the body is a JSON object: {\"query\": \"MATCH ...\", \"parameters\": {...}}");
        string? query = null;
        var parameters = new Dictionary<string, Value>(StringComparer.Ordinal);
        int? timeout = null, maxRows = null;
        foreach (var p in root.EnumerateObject())
        {
            switch (p.Name)
            {
                case "query":
                    if (p.Value.ValueKind != JsonValueKind.String) throw Bad("query", "a string");
                    query = p.Value.GetString();
                    break;
                case "parameters":
                    if (p.Value.ValueKind == JsonValueKind.Null) break;
                    if (p.Value.ValueKind != JsonValueKind.Object) throw Bad("parameters", "an object of name → value");
                    foreach (var x in p.Value.EnumerateObject()) parameters[x.Name] = FromJson(x.Value);
                    break;
                case "timeoutMs": timeout = Positive(p); break;
                case "maxRows": maxRows = Positive(p); break;
                default:
                    throw new GraphRequestException(400, "unknown_parameter", $"unknown parameter '{p.Name}' (this endpoint takes query, parameters, timeoutMs, maxRows)");
            }
        }
        if (string.IsNullOrWhiteSpace(query)) throw new GraphRequestException(400, "missing_query", "query: the openCypher text to run is required");
        if (query.Length > CypherQueryEndpoint.MaxQueryChars)
            throw new GraphRequestException(400, "query_too_long", $"query: at most {CypherQueryEndpoint.MaxQueryChars} characters");
        return new CypherRequest(query, parameters, timeout, maxRows);
    }

    private static GraphRequestException Bad(string name, string why) => new(400, "bad_parameter", $"{name}: {why}");

    private static int Positive(JsonProperty p) =>
        p.Value.ValueKind == JsonValueKind.Number && p.Value.TryGetInt32(out var n) && n >= 1 ? n : throw Bad(p.Name, "a whole number of at least 1");

    /// <summary>JSON → Cypher value: whole numbers are integers, others floats; objects are maps.</summary>
    public static Value FromJson(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Null => Value.Null,
        JsonValueKind.True => Value.True,
        JsonValueKind.False => Value.False,
        JsonValueKind.String => Value.Str(e.GetString()),
        JsonValueKind.Number => e.TryGetInt64(out var i) ? Value.Int(i) : Value.Float(e.GetDouble()),
        JsonValueKind.Array => Value.List(e.EnumerateArray().Select(FromJson).ToArray()),
        JsonValueKind.Object => Value.Map(e.EnumerateObject().ToDictionary(p => p.Name, p => FromJson(p.Value), StringComparer.Ordinal)),
        _ => Value.Null,
    };
}

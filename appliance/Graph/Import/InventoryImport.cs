using System.Globalization;
using Microsoft.AspNetCore.Http.Features;
using Redoubt.Api.Access;
using Redoubt.Graph.Extraction;
using Redoubt.Storage.Events;
using Redoubt.Storage.Graph;

namespace Redoubt.Graph.Import;

/// <summary>
/// <c>POST /api/v1/import/{kind}</c> (imports:write): an inventory file, CSV or JSON. Every row is checked
/// (<see cref="InventoryKinds.Plan"/>); bad rows are reported by line with a reason, good rows are written
/// to the event log as one event each (transport "import"), and the answer comes once they are durable.
/// The graph sink applies them in log order like any event (<see cref="InventoryExtractor"/>): so imports
/// are in the graph store, survive a crash (replayed from the log), load into the in-memory graph at
/// start, and each imported edge's evidence opens the row that stated it.
/// </summary>
public static class InventoryImport
{
    public const string App = "redoubt-import";
    public const string KindField = "import.kind", SourceField = "import.source", IdField = "import.id", LineField = "import.line";
    public const string CellPrefix = "row.";
    public const int MaxListedErrors = 1_000;
    private const int AppendBatch = 1_000;

    private static long _lastImportId;

    public static void Map(WebApplication app) =>
        app.MapPost("/api/v1/import/{kind}", Import).RequireScope(Scopes.ImportsWrite);

    /// <summary>Import ids: Unix ms of the import, made strictly increasing (the store keeps the latest per edge).</summary>
    public static long NextImportId(long nowMs)
    {
        while (true)
        {
            var last = Interlocked.Read(ref _lastImportId);
            var next = Math.Max(nowMs, last + 1);
            if (Interlocked.CompareExchange(ref _lastImportId, next, last) == last) return next;
        }
    }

    private static async Task Import(string kind, HttpContext http, EventLog log, GraphQueryOptions options, TimeProvider clock, ILoggerFactory logs)
    {
        if (!InventoryKinds.IsKind(kind))
        {
            await Error(http, 404, "unknown_kind", $"'{kind}' is not an inventory kind (known: {string.Join(", ", InventoryKinds.Names)})");
            return;
        }
        var source = http.Request.Query["source"].ToString().Trim();
        if (source.Length == 0) source = kind;
        if (source.Length > 200) { await Error(http, 400, "bad_source", "source: at most 200 characters"); return; }
        var sizeFeature = http.Features.Get<IHttpMaxRequestBodySizeFeature>();
        if (sizeFeature is { IsReadOnly: false }) sizeFeature.MaxRequestBodySize = options.ImportMaxBytes;
        string text;
        try
        {
            using var reader = new StreamReader(http.Request.Body, System.Text.Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
            text = await reader.ReadToEndAsync(http.RequestAborted);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            await Error(http, 413, "too_large", $"an import is at most {options.ImportMaxBytes} bytes (Graph:ImportMaxBytes)");
            return;
        }
        var contentType = http.Request.ContentType ?? "";
        var json = contentType.Contains("json", StringComparison.OrdinalIgnoreCase)
            || !contentType.Contains("csv", StringComparison.OrdinalIgnoreCase) && InventoryReader.LooksLikeJson(text);

        var (rows, errors) = InventoryReader.Read(kind, text, json);
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        var importId = NextImportId(now);
        var events = new List<EventRecord>(rows.Count);
        foreach (var row in rows)
        {
            RowPlan plan;
            try { plan = InventoryKinds.Plan(kind, row.Cells); }
            catch (RowException e) { errors.Add(new InventoryError(row.Line, e.Code, e.Message)); continue; }
            events.Add(Event(kind, source, importId, row, plan, now));
        }
        long firstId = 0, lastId = 0;
        for (var i = 0; i < events.Count; i += AppendBatch)
        {
            var ids = (await log.AppendAsync(events.GetRange(i, Math.Min(AppendBatch, events.Count - i)), http.RequestAborted)).Ids;
            if (firstId == 0) firstId = ids[0];
            lastId = ids[^1];
        }
        errors.Sort((a, b) => a.Line.CompareTo(b.Line));
        logs.CreateLogger("Redoubt.Graph.Import").LogInformation("inventory import {Id} ({Kind}, source {Source}): {Accepted} rows stored, {Rejected} refused",
            importId, kind, source, events.Count, errors.Count);
        if (events.Count == 0) http.Response.StatusCode = 400;
        await http.Response.WriteAsJsonAsync(new
        {
            importId, kind, source, format = json ? "json" : "csv",
            accepted = events.Count,
            rejected = errors.Count,
            errors = errors.Take(MaxListedErrors).Select(e => new { line = e.Line, error = e.Code, message = e.Message }),
            errorsNotListed = Math.Max(0, errors.Count - MaxListedErrors),
            events = events.Count == 0 ? null : new { first = firstId, last = lastId },
        }, http.RequestAborted);
    }

    /// <summary>The event that stores one checked row (its cells under "row.", the import under "import.").</summary>
    public static EventRecord Event(string kind, string source, long importId, InventoryRow row, RowPlan plan, long now)
    {
        var fields = new Dictionary<string, string>(row.Cells.Count + 4, StringComparer.Ordinal)
        {
            [KindField] = kind,
            [SourceField] = source,
            [IdField] = importId.ToString(CultureInfo.InvariantCulture),
            [LineField] = row.Line.ToString(CultureInfo.InvariantCulture),
        };
        foreach (var (column, value) in row.Cells) fields[CellPrefix + column] = value;
        return new EventRecord
        {
            ReceivedAtMs = now, TimeMs = now, Transport = Transport.InventoryImport, Source = "import", App = App, Format = "inventory",
            Message = $"{kind} import '{source}' line {row.Line}: {plan.Summary}", Fields = fields,
        };
    }

    private static async Task Error(HttpContext http, int status, string code, string message)
    {
        http.Response.StatusCode = status;
        await http.Response.WriteAsJsonAsync(new { error = code, message }, http.RequestAborted);
    }
}

/// <summary>Applies stored inventory rows to the graph store: nodes upserted, edges asserted (idempotent), the row's event as evidence.</summary>
public sealed class InventoryExtractor(ILogger<InventoryExtractor> logger) : IGraphExtractor
{
    private readonly Dictionary<string, string> _cells = new(StringComparer.Ordinal);
    private readonly List<long> _ids = [];

    public long Applied { get; private set; }

    public void Extract(in StoredEvent stored, IGraphWrites graph)
    {
        var e = stored.Event;
        if (e.Transport != Transport.InventoryImport || e.Fields is not { } fields) return;
        if (!fields.TryGetValue(InventoryImport.KindField, out var kind) || !InventoryKinds.IsKind(kind)) return;
        _cells.Clear();
        foreach (var (name, value) in fields)
            if (name.StartsWith(InventoryImport.CellPrefix, StringComparison.Ordinal)) _cells[name[InventoryImport.CellPrefix.Length..]] = value;
        RowPlan plan;
        try { plan = InventoryKinds.Plan(kind, _cells); }
        catch (RowException ex)
        {
            // Checked before it was stored; a row refused now was stored by a version that read it differently.
            logger.LogWarning("inventory row at event {Id} no longer reads ({Code}): {Message}", stored.Id, ex.Code, ex.Message);
            return;
        }
        var importId = fields.TryGetValue(InventoryImport.IdField, out var idText) && long.TryParse(idText, CultureInfo.InvariantCulture, out var id) && id > 0 ? id : 0;
        var why = new Provenance(stored.Id, importId);
        _ids.Clear();
        foreach (var (nodeKind, key, properties) in plan.Nodes) _ids.Add(graph.UpsertNode(nodeKind, key, e.TimeMs, properties));
        foreach (var (from, type, to) in plan.Edges) graph.AssertEdge(_ids[from], type, _ids[to], e.TimeMs, e.TimeMs, why);
        Applied++;
    }
}

using System.Globalization;
using System.IO.Pipelines;
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
/// The body is streamed (<see cref="InventoryReader"/>) and stored a batch at a time, so an import's
/// memory does not grow with its file; one that stops early says which rows it stored (docs/graph.md).
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

    private static async Task Import(string kind, HttpContext http, EventLog log, ImportOptions options, TimeProvider clock, ILoggerFactory logs)
    {
        if (!InventoryKinds.IsKind(kind))
        {
            await Error(http, 404, "unknown_kind", $"'{kind}' is not an inventory kind (known: {string.Join(", ", InventoryKinds.Names)})");
            return;
        }
        var source = http.Request.Query["source"].ToString().Trim();
        if (source.Length == 0) source = kind;
        if (source.Length > 200) { await Error(http, 400, "bad_source", "source: at most 200 characters"); return; }
        if (!LimitBody(http, options.MaxBytes))
        {
            await Error(http, 413, "too_large", TooLarge(options.MaxBytes));
            return;
        }
        var contentType = http.Request.ContentType ?? "";
        bool? json = contentType.Contains("json", StringComparison.OrdinalIgnoreCase) ? true
            : contentType.Contains("csv", StringComparison.OrdinalIgnoreCase) ? false : null;

        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        var import = new StreamedImport(kind, source, NextImportId(now), now, log, options.BatchRows);
        var logger = logs.CreateLogger("Redoubt.Graph.Import");
        var status = 200;
        string? failure = null;
        var body = new WholeLinesBody(http.Request.Body);
        var pipe = PipeReader.Create(body, new StreamPipeReaderOptions(bufferSize: 64 * 1024, leaveOpen: true));
        try
        {
            json ??= await InventoryReader.StartsLikeJsonAsync(pipe, http.RequestAborted);
            await foreach (var read in InventoryReader.ReadAsync(kind, pipe, json.Value, InventoryLimits.Of(options), http.RequestAborted))
            {
                if (read.Row is { } row) await import.RowAsync(row);
                else if (read.Stop) import.Stopped = read.Error;
                else import.Refuse(read.Error!);
            }
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
            import.Stopped = new InventoryError(import.LastLine + 1, "body_broken", "the client went away");
        }
        finally { await pipe.CompleteAsync(); }
        // Cut off: the reader saw a shorter file ending on a line break (or a JSON array ending early: its stop names the row).
        if (body.Cut is { } cut)
        {
            var line = import.Stopped?.Line ?? import.LastLine + 1;
            if (cut is BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge })
            {
                (status, failure) = (413, "too_large");
                import.Stopped = new InventoryError(line, "too_large", TooLarge(options.MaxBytes) + ": this line and the rest of the body are not read");
            }
            else
            {
                import.Stopped = new InventoryError(line, "body_broken", "the request body broke off here");
                logger.LogWarning("inventory import {Id} ({Kind}, source {Source}): the body broke off at line {Line} ({Error})", import.Id, kind, source, line, cut.Message);
            }
        }
        try
        {
            await import.FlushAsync();
        }
        catch (EventLogUnavailableException e)
        {
            logger.LogError("inventory import {Id} ({Kind}, source {Source}): the rows from line {Line} on were not stored: {Error}", import.Id, kind, source, import.PendingLine, e.Message);
            import.Stopped = new InventoryError(import.PendingLine, e.Code, Redoubt.Api.ApiEndpoints.PublicReason(e.Code) + ": this row and the rest of the file are not stored");
            (status, failure) = (503, e.Code);
        }
        logger.LogInformation("inventory import {Id} ({Kind}, source {Source}): {Accepted} rows stored, {Rejected} refused{Stop}",
            import.Id, kind, source, import.Accepted, import.Rejected, import.Stopped is { } st ? $", stopped at line {st.Line} ({st.Code})" : "");
        if (http.RequestAborted.IsCancellationRequested) return;
        if (status == 200 && import.Accepted == 0 && (import.Rejected > 0 || import.Stopped is not null)) status = 400;
        http.Response.StatusCode = status;
        await http.Response.WriteAsJsonAsync(new
        {
            error = failure,
            message = failure is null ? null : import.Stopped!.Message,
            importId = import.Id, kind, source, format = json == true ? "json" : "csv",
            complete = import.Stopped is null,
            accepted = import.Accepted,
            rejected = import.Rejected,
            errors = import.Errors.Select(e => new { line = e.Line, error = e.Code, message = e.Message }),
            errorsNotListed = import.Rejected - import.Errors.Count,
            stopped = import.Stopped is { } s ? new { line = s.Line, error = s.Code, message = s.Message } : null,
            events = import.Accepted == 0 ? null : new { first = import.FirstEvent, last = import.LastEvent },
        }, http.RequestAborted);
    }

    public static string TooLarge(long maxBytes) => $"an import is at most {maxBytes} bytes (Import:MaxBytes)";

    /// <summary>Sets the request's body limit; false when its Content-Length already says it is over (answered before reading anything).</summary>
    public static bool LimitBody(HttpContext http, long maxBytes)
    {
        if (http.Request.ContentLength > maxBytes) return false;
        var sizeFeature = http.Features.Get<IHttpMaxRequestBodySizeFeature>();
        if (sizeFeature is { IsReadOnly: false }) sizeFeature.MaxRequestBodySize = maxBytes;
        return true;
    }

    /// <summary>
    /// One import as it streams: good rows are checked and appended to the log a batch at a time (the
    /// only rows held in memory), refused rows are listed (the first <see cref="MaxListedErrors"/>)
    /// and counted. An import that stops early keeps what it stored: every row before the stopping
    /// line is stored or refused, none from it on is stored.
    /// </summary>
    private sealed class StreamedImport(string kind, string source, long importId, long now, EventLog log, int batchRows)
    {
        private readonly List<EventRecord> _batch = new(batchRows);
        private readonly List<InventoryError> _errors = [];

        public long Id => importId;
        public int Accepted { get; private set; }
        public int Rejected { get; private set; }
        public long FirstEvent { get; private set; }
        public long LastEvent { get; private set; }
        public int LastLine { get; private set; }
        /// <summary>The first line of the rows not yet stored.</summary>
        public int PendingLine { get; private set; }
        public InventoryError? Stopped { get; set; }
        public IReadOnlyList<InventoryError> Errors => _errors;

        public async Task RowAsync(InventoryRow row)
        {
            LastLine = row.Line;
            RowPlan plan;
            try { plan = InventoryKinds.Plan(kind, row.Cells); }
            catch (RowException e) { Refuse(new InventoryError(row.Line, e.Code, e.Message)); return; }
            if (_batch.Count == 0) PendingLine = row.Line;
            _batch.Add(Event(kind, source, importId, row, plan, now));
            if (_batch.Count >= batchRows) await FlushAsync();
        }

        public void Refuse(InventoryError error)
        {
            LastLine = Math.Max(LastLine, error.Line);
            Rejected++;
            if (_errors.Count < MaxListedErrors) _errors.Add(error);
        }

        /// <summary>Appends the pending rows and waits until they are durable (not cancelled by the client: a batch is stored or refused, never half-known).</summary>
        public async Task FlushAsync()
        {
            if (_batch.Count == 0) return;
            var ids = (await log.AppendAsync(_batch, CancellationToken.None)).Ids;
            if (FirstEvent == 0) FirstEvent = ids[0];
            LastEvent = ids[^1];
            Accepted += _batch.Count;
            _batch.Clear();
        }
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

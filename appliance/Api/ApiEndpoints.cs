using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Redoubt.Api.Access;
using Redoubt.Commit;
using Redoubt.Configuration;
using Redoubt.Ingest;
using Redoubt.Ingest.Http;
using Redoubt.Jobs;
using Redoubt.Storage.Events;
using Redoubt.Summary;

namespace Redoubt.Api;

/// <summary>The REST API under /api/v1 and the health probe.</summary>
public static class ApiEndpoints
{
    private static readonly string[] SeverityNames = ["emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"];

    public static void Map(WebApplication app)
    {
        app.MapGet("/healthz", Health).AllowPublic();

        var api = app.MapGroup("/api/v1");
        api.MapGet("/events", QueryEvents).RequireScope(Scopes.EventsRead);
        api.MapGet("/events/{id:long}", GetEvent).RequireScope(Scopes.EventsRead);
        api.MapGet("/stats", Stats).RequireScope(Scopes.SummaryRead);
        api.MapPost("/ingest", NdjsonEndpoint.Handle).RequireScope(Scopes.IngestWrite);
        api.MapGet("/export", ExportEndpoint.Export).RequireScope(Scopes.EventsRead);
        api.MapGet("/admin/backup", BackupEndpoint.Backup).RequireScope(Scopes.Admin);
        app.MapGet("/metrics", Metrics.Write).RequireScope(Scopes.SummaryRead);
    }

    /// <summary>Public: says whether the store takes writes and, if not, why — by code, without paths or other details (those are in stats).</summary>
    private static IResult Health(EventLog log)
    {
        var h = log.Health;
        return h.IsOk
            ? Results.Text("ok\n")
            : Results.Text($"event log not accepting writes: {h.Code} ({PublicReason(h.Code)})\n", statusCode: 503);
    }

    /// <summary>What a client is told about a store that takes no writes: by code, never paths or exception text.</summary>
    internal static string PublicReason(string? code) => code switch
    {
        StoreHealth.DiskFullCode => "free disk space is below the reserve; writes resume by themselves when space is freed",
        _ => "a commit failed; the log is reopening from its last good commit",
    };

    internal static IResult Unavailable(HttpContext http, EventLogUnavailableException e)
    {
        http.Response.Headers.RetryAfter = "5";
        return Results.Json(new { error = e.Code, message = PublicReason(e.Code), accepted = 0 }, statusCode: 503);
    }

    private static async Task<IResult> QueryEvents(HttpContext http, EventLog log)
    {
        var q = http.Request.Query;
        EventQuery query;
        try
        {
            query = ParseFilters(q) with
            {
                Limit = ParseInt(q["limit"], "limit", 1, 10_000) ?? 100,
                BeforeId = ParseCursor(q["cursor"]),
            };
        }
        catch (BadRequestException e)
        {
            return Results.Json(new { error = e.Message }, statusCode: 400);
        }

        var page = await log.QueryAsync(query, http.RequestAborted);
        http.Response.ContentType = "application/json";
        await using var w = new Utf8JsonWriter(http.Response.Body);
        w.WriteStartObject();
        w.WriteStartArray("events");
        foreach (var e in page.Events) EventJson.Write(w, e.Id, e.Event);
        w.WriteEndArray();
        if (page.NextCursor is { } c) w.WriteString("nextCursor", c.ToString(CultureInfo.InvariantCulture));
        else w.WriteNull("nextCursor");
        w.WriteNumber("scanned", page.Scanned);
        w.WriteNumber("blocksRead", page.BlocksRead);
        w.WriteNumber("bytesRead", page.BytesRead);
        w.WriteEndObject();
        await w.FlushAsync(http.RequestAborted);
        return Results.Empty;
    }

    private static async Task<IResult> GetEvent(long id, HttpContext http, EventLog log)
    {
        var e = await log.GetAsync(id, http.RequestAborted);
        if (e is null) return Results.Json(new { error = $"no event with id {id}" }, statusCode: 404);
        http.Response.ContentType = "application/json";
        await using var w = new Utf8JsonWriter(http.Response.Body);
        EventJson.Write(w, id, e);
        await w.FlushAsync(http.RequestAborted);
        return Results.Empty;
    }

    /// <summary>
    /// A caller that may read summaries but neither events nor alerts (a remote SOC's token) sees what leaves
    /// the box: source names and sender addresses through the site's redaction policy (docs/summary.md).
    /// </summary>
    public static bool SummaryOnly(HttpContext http) =>
        http.Principal() is { } p && !p.Has(Scopes.EventsRead) && !p.Has(Scopes.AlertsRead);

    /// <summary>The redaction a caller gets for source names: the site policy for summary-only callers, none otherwise.</summary>
    public static Func<string, string> SourceNames(HttpContext http, RedactionPolicy policy) => SummaryOnly(http) ? policy.Host : static s => s;

    private static string? Sender(string? sender, RedactionPolicy policy) =>
        sender is null ? null : System.Net.IPEndPoint.TryParse(sender, out var ep) ? policy.Ip(ep.Address) : policy.Host(sender);

    private static async Task<IResult> Stats(HttpContext http, EventLog log, ListenerRegistry listeners, EventFanout fanout, IngestBudget budget, RetentionJob retention,
        IEnumerable<IEventSink> allSinks, RedactionPolicy policy, CancellationToken ct)
    {
        var redact = SummaryOnly(http);
        var name = SourceNames(http, policy);
        return Results.Json(new
    {
        redaction = redact ? policy.Name : null,
        committedUntil = log.CommittedUntil,
        storage = StorageStats.Of(log),
        retention = await StorageStats.RetentionOf(log, retention, ct),
        // Sinks with checkpointed stores: how far each applied and checkpointed (its retention floor).
        stores = allSinks.OfType<CheckpointedSink>().Select(s => new
        {
            name = s.Name,
            appliedUntil = s.AppliedUntil,
            checkpointedUntil = s.RetentionFloor,
            failures = s.Failures,
            counters = s.Counters,
        }),
        sinks = fanout.Progress.Select(p => new
        {
            name = p.Name,
            appliedUntil = p.AppliedUntil,
            applied = p.Applied,
            failures = p.Failures,
            lagBytes = Math.Max(0, log.CommittedUntil - p.AppliedUntil),
        }),
        events = log.Stats.Events,
        parseErrors = log.Stats.ParseErrors,
        truncated = log.Stats.Truncated,
        invalidUtf8 = log.Stats.InvalidUtf8,
        storeBytes = log.StoreBytes,
        queuedWrites = log.QueuedRequests,
        storeFailure = log.Failure,
        byTransport = log.Stats.ByTransport.ToDictionary(kv => EventJson.TransportName(kv.Key), kv => kv.Value),
        bySource = log.Stats.BySource,
        ingest = new
        {
            pendingBytes = budget.UsedBytes,
            pendingLimitBytes = budget.CapacityBytes,
            quietAfterSeconds = listeners.Sources.QuietAfter.TotalSeconds,
            sourcesOverflowed = listeners.Sources.Overflowed,
        },
        listeners = listeners.All.Select(l => new
        {
            name = l.Name,
            transport = l.Transport,
            bind = l.Bind,
            status = l.Status,
            received = l.Received,
            parsed = l.Parsed,
            parseErrors = l.ParseErrors,
            truncated = l.Truncated,
            dropped = l.Dropped,
            busy = l.Busy,
            malformed = l.Malformed,
            bytes = l.Bytes,
            lastSeen = Time(l.LastSeenMs),
            connections = l.Connections,
            openConnections = l.OpenConnections,
            connectionErrors = l.ConnectionErrors,
            rejected = l.Rejected,
            tls = l.Tls,
            allowedNetworks = l.AllowedNetworks,
            tags = l.Tags,
            refusedConnections = l.RefusedConnections,
            idleClosed = l.IdleClosed,
            authFailures = l.AuthFailures,
        }),
        sources = listeners.Sources.Snapshot().Select(v => new
        {
            source = name(v.Counters.Key),
            quiet = v.Quiet,
            received = v.Counters.Received,
            parsed = v.Counters.Parsed,
            parseErrors = v.Counters.ParseErrors,
            truncated = v.Counters.Truncated,
            dropped = v.Counters.Dropped,
            bytes = v.Counters.Bytes,
            firstSeen = Time(v.Counters.FirstSeenMs),
            lastSeen = Time(v.Counters.LastSeenMs),
            lastSender = redact ? Sender(v.Counters.LastAddress, policy) : v.Counters.LastAddress,
            lastListener = v.Counters.LastListener,
        }),
    });
    }

    private static DateTime? Time(long ms) => ms is > 0 and < 253402300800000 ? DateTimeOffset.FromUnixTimeMilliseconds(ms).UtcDateTime : null;

    private static string? Blank(string? s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim();

    /// <summary>The filters /events and /export share.</summary>
    internal static EventQuery ParseFilters(IQueryCollection q)
    {
        var query = new EventQuery
        {
            FromMs = ParseTime(q["from"], "from"),
            ToMs = ParseTime(q["to"], "to"),
            Host = Blank(q["host"]),
            App = Blank(q["app"]),
            Text = Blank(q["q"]),
            MaxSeverity = ParseSeverity(q["severity"]),
        };
        // An empty window is a mistake (swapped bounds, a local/UTC mix-up), not a question whose answer is "nothing".
        if (query.FromMs > query.ToMs)
            throw new BadRequestException($"from ({q["from"].ToString().Trim()}) is after to ({q["to"].ToString().Trim()}): no event can match");
        return query;
    }

    /// <summary>
    /// ISO 8601 only: a calendar date first (yyyy-MM-dd), then optionally a time and an offset (no
    /// offset = UTC). DateTimeOffset.TryParse alone also took "12/04/2026" or "4 Dec", whose meaning
    /// depends on who typed them.
    /// </summary>
    private static long? ParseTime(string? s, string name)
    {
        if (Blank(s) is not { } v) return null;
        if (StartsWithIsoDate(v)
            && DateTimeOffset.TryParse(v, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var t))
            return t.ToUnixTimeMilliseconds();
        throw new BadRequestException($"{name}: '{v}' is not an ISO 8601 time (e.g. 2026-12-04T09:30:00Z or 2026-12-04)");
    }

    private static bool StartsWithIsoDate(string v) =>
        v.Length >= 10 && char.IsAsciiDigit(v[0]) && char.IsAsciiDigit(v[1]) && char.IsAsciiDigit(v[2]) && char.IsAsciiDigit(v[3])
        && v[4] == '-' && char.IsAsciiDigit(v[5]) && char.IsAsciiDigit(v[6]) && v[7] == '-' && char.IsAsciiDigit(v[8]) && char.IsAsciiDigit(v[9])
        && (v.Length == 10 || v[10] is 'T' or 't' or ' ');

    private static int? ParseSeverity(string? s)
    {
        if (Blank(s) is not { } v) return null;
        if (int.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n is >= 0 and <= 7) return n;
        var i = Array.FindIndex(SeverityNames, x => string.Equals(x, v, StringComparison.OrdinalIgnoreCase));
        if (i >= 0) return i;
        throw new BadRequestException($"severity: '{v}' is not 0..7 or one of {string.Join(", ", SeverityNames)}");
    }

    private static int? ParseInt(string? s, string name, int min, int max)
    {
        if (Blank(s) is not { } v) return null;
        if (int.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= min && n <= max) return n;
        throw new BadRequestException($"{name}: '{v}' is not a whole number from {min} to {max}");
    }

    private static long? ParseCursor(string? s)
    {
        if (Blank(s) is not { } v) return null;
        if (long.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out var n)) return n;
        throw new BadRequestException($"cursor: '{v}' is not a cursor returned by this API");
    }

    internal sealed class BadRequestException(string message) : Exception(message);
}

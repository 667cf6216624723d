using System.Globalization;
using System.Text.Json;

namespace Redoubt.Api.Access;

/// <summary>The audit log (/api/v1/audit, admin only): newest first with filters and paging, or all of it as NDJSON.</summary>
public static class AuditEndpoints
{
    private static readonly JsonSerializerOptions WebJson = new(JsonSerializerDefaults.Web);

    public static void Map(IEndpointRouteBuilder app)
    {
        var audit = app.MapGroup("/api/v1");
        audit.MapGet("/audit", Query);
        audit.MapGet("/audit/export", Export).Audited("audit.export");
    }

    internal static object Json(AuditEntry e) => new
    {
        seq = e.Seq,
        time = AccessJson.Iso(e.TimeMs),
        actor = e.Actor,
        action = e.Action,
        outcome = e.Outcome,
        target = e.Target,
        address = e.Address,
        detail = e.Detail,
    };

    private static IResult Query(HttpContext http, AuditLog audit)
    {
        var q = http.Request.Query;
        AuditQuery query;
        try
        {
            query = new AuditQuery(
                FromMs: Time(q["from"], "from"),
                ToMs: Time(q["to"], "to"),
                Action: Blank(q["action"]),
                Actor: Blank(q["actor"]),
                BeforeSeq: Number(q["cursor"], "cursor", 1, long.MaxValue),
                Limit: (int)(Number(q["limit"], "limit", 1, 10_000) ?? 100));
        }
        catch (AccessException e) { return AccessJson.Error(e); }
        var entries = audit.Query(query);
        var next = entries.Count == query.Limit && entries.Count > 0 ? entries[^1].Seq.ToString(CultureInfo.InvariantCulture) : null;
        return Results.Json(new { entries = entries.Select(Json), nextCursor = next });
    }

    private static async Task Export(HttpContext http, AuditLog audit)
    {
        http.Response.ContentType = "application/x-ndjson";
        http.Response.Headers.ContentDisposition = "attachment; filename=\"redoubt-audit.ndjson\"";
        var newline = "\n"u8.ToArray();
        foreach (var e in audit.All())
        {
            await JsonSerializer.SerializeAsync(http.Response.Body, Json(e), WebJson, http.RequestAborted);
            await http.Response.Body.WriteAsync(newline, http.RequestAborted);
        }
    }

    private static string? Blank(string? s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim();

    private static long? Time(string? s, string name)
    {
        if (Blank(s) is not { } v) return null;
        if (DateTimeOffset.TryParse(v, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var t))
            return t.ToUnixTimeMilliseconds();
        throw AccessException.BadRequest("invalid_time", $"{name}: '{v}' is not an ISO 8601 time");
    }

    private static long? Number(string? s, string name, long min, long max)
    {
        if (Blank(s) is not { } v) return null;
        if (long.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= min && n <= max) return n;
        throw AccessException.BadRequest("invalid_" + name, $"{name}: '{v}' is not a whole number from {min} to {max}");
    }
}

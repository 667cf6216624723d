using System.Globalization;
using System.Text;
using System.Text.Json;
using Redoubt.Api;
using Redoubt.Api.Access;

namespace Redoubt.Summary;

/// <summary>The SOC summary API (summary:read): a summary of any window, and the stored ones as JSON or CSV.</summary>
public static class SummaryEndpoints
{
    private static readonly TimeSpan MaxWindow = TimeSpan.FromDays(31);

    public static void Map(WebApplication app)
    {
        var api = app.MapGroup("/api/v1");
        api.MapGet("/summary", Summary).RequireScope(Scopes.SummaryRead)
            .WithSummary("Summary of a window: alerts, risky entities, new attack paths, ingestion health (redacted by the site policy)")
            .WithQuery("since", "start of the window, ISO 8601 (default: 24 h before until)")
            .WithQuery("until", "end of the window, exclusive, ISO 8601 (default: now); at most 31 days after since");
        api.MapGet("/summaries", List).RequireScope(Scopes.SummaryRead)
            .WithSummary("Stored summaries, newest first")
            .WithQuery("schedule", "only this schedule's (hourly, daily, or a configured name)")
            .WithQuery("since", "only windows ending after this time, ISO 8601")
            .WithQuery("until", "only windows starting before this time, ISO 8601")
            .WithQuery("limit", "1..1000 (default 100)")
            .WithQuery("cursor", "nextCursor of the previous page");
        api.MapGet("/summaries/{file}", Download).RequireScope(Scopes.SummaryRead).Audited("summary.download")
            .WithSummary("One stored summary: {id}.json or {id}.csv");
    }

    private static IResult Bad(string code, string message, int status = 400) => Results.Json(new { error = code, message }, statusCode: status);

    private static bool TryTime(string? text, string name, out DateTimeOffset? time, out IResult? error)
    {
        time = null;
        error = null;
        if (string.IsNullOrWhiteSpace(text)) return true;
        // 1970 to 9998: the window's bounds become Unix milliseconds and day keys, and a default bound is
        // a day away (year 1 or 9999 overflowed into a 500).
        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var t)
            && t >= DateTimeOffset.UnixEpoch && t.Year <= 9998) { time = t; return true; }
        error = Bad("bad_request", $"{name}: an ISO 8601 time from 1970 to 9998");
        return false;
    }

    private static async Task<IResult> Summary(HttpContext http, SummaryBuilder builder, TimeProvider clock)
    {
        var q = http.Request.Query;
        foreach (var key in q.Keys)
            if (key is not ("since" or "until")) return Bad("unknown_parameter", $"unknown parameter '{key}' (this endpoint takes since, until)");
        if (!TryTime(q["since"], "since", out var since, out var e1)) return e1!;
        if (!TryTime(q["until"], "until", out var until, out var e2)) return e2!;
        var u = until ?? clock.GetUtcNow();
        var s = since ?? u.AddHours(-24);
        if (s >= u) return Bad("bad_request", "since must be before until");
        if (u - s > MaxWindow) return Bad("bad_request", $"a window is at most {MaxWindow.TotalDays} days");
        var doc = await builder.BuildAsync(s, u, null, null, late: false, http.RequestAborted);
        return Results.Bytes(SummaryStore.Serialize(doc), "application/json");
    }

    private static IResult List(HttpContext http, SummaryStore store)
    {
        var q = http.Request.Query;
        foreach (var key in q.Keys)
            if (key is not ("schedule" or "since" or "until" or "limit" or "cursor"))
                return Bad("unknown_parameter", $"unknown parameter '{key}' (this endpoint takes schedule, since, until, limit, cursor)");
        if (!TryTime(q["since"], "since", out var since, out var e1)) return e1!;
        if (!TryTime(q["until"], "until", out var until, out var e2)) return e2!;
        var schedule = q["schedule"].ToString() is { Length: > 0 } sc ? sc : null;
        var limit = 100;
        if (q["limit"].ToString() is { Length: > 0 } l && (!int.TryParse(l, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > 1000))
            return Bad("bad_request", "limit must be 1..1000");
        var offset = 0;
        if (q["cursor"].ToString() is { Length: > 0 } c && (!int.TryParse(c, NumberStyles.None, CultureInfo.InvariantCulture, out offset) || offset < 0))
            return Bad("bad_request", "cursor is the nextCursor of a previous page");
        var matching = store.List()
            .Where(x => (schedule is null || x.Schedule == schedule)
                && (since is null || x.UntilMs > since.Value.ToUnixTimeMilliseconds())
                && (until is null || x.SinceMs < until.Value.ToUnixTimeMilliseconds()))
            .OrderByDescending(x => x.UntilMs).ThenBy(x => x.Id, StringComparer.Ordinal).ToList();
        var page = matching.Skip(offset).Take(limit).ToList();
        return Results.Json(new
        {
            total = matching.Count,
            summaries = page.Select(x => new
            {
                id = x.Id,
                schedule = x.Schedule,
                since = Time(x.SinceMs),
                until = Time(x.UntilMs),
                generatedAt = Time(x.GeneratedAtMs),
                late = x.Late,
                gap = x.Gap,
                redaction = new { policy = x.Policy, settingsHash = x.SettingsHash },
                bytes = x.JsonBytes,
                json = $"/api/v1/summaries/{x.Id}.json",
                csv = $"/api/v1/summaries/{x.Id}.csv",
            }),
            nextCursor = offset + page.Count < matching.Count ? (offset + page.Count).ToString(CultureInfo.InvariantCulture) : null,
        });
    }

    private static DateTimeOffset Time(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);

    private static IResult Download(string file, SummaryStore store)
    {
        var dot = file.LastIndexOf('.');
        var format = dot > 0 ? file[(dot + 1)..] : "";
        if (format is not ("json" or "csv")) return Bad("bad_request", "ask for {id}.json or {id}.csv");
        var id = file[..dot];
        if (store.Get(id) is not { } stored) return Bad("not_found", $"no stored summary has id '{id}'", 404);
        var json = SummaryStore.JsonOf(stored);
        if (format == "json") return Results.File(json, "application/json", id + ".json");
        using var doc = JsonDocument.Parse(json);
        return Results.File(Encoding.UTF8.GetBytes(SummaryCsv.Write(doc.RootElement)), "text/csv; charset=utf-8", id + ".csv");
    }
}

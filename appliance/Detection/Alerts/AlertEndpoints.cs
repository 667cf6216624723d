using System.Globalization;
using System.Text.Json;
using Redoubt.Api;
using Redoubt.Api.Access;
using Redoubt.Graph.Engine;
using Redoubt.Storage.Events;

namespace Redoubt.Detection.Alerts;

/// <summary>The alert queue: list with filters, sorting and paging; detail with evidence and graph context; triage.</summary>
public static class AlertEndpoints
{
    private const int MaxEvidenceEvents = 50;

    public static void Map(WebApplication app)
    {
        var api = app.MapGroup("/api/v1");
        api.MapGet("/alerts", List).RequireScope(Scopes.AlertsRead);
        api.MapGet("/alerts/{id}", Detail).RequireScope(Scopes.AlertsRead);
        api.MapPost("/alerts/{id}/triage", Triage).RequireScope(Scopes.AlertsWrite);
    }

    private static IResult Bad(string code, string message, int status = 400) => Results.Json(new { error = code, message }, statusCode: status);

    private static IResult List(HttpContext http, AlertStore store)
    {
        var q = http.Request.Query;
        var states = q["state"].ToString() is { Length: > 0 } st ? st.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries) : [];
        if (states.FirstOrDefault(s => !AlertStates.All.Contains(s)) is { } badState)
            return Bad("bad_request", $"state '{badState}' is not one of {string.Join(", ", AlertStates.All)}");
        var minSeverity = 1;
        if (q["severity"].ToString() is { Length: > 0 } sev)
        {
            minSeverity = int.TryParse(sev, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n is >= 1 and <= 5 ? n
                : sev.ToLowerInvariant() is "informational" or "low" or "medium" or "high" or "critical" ? AlertStates.Severity(sev) : 0;
            if (minSeverity == 0) return Bad("bad_request", "severity is 1..5 or informational, low, medium, high, critical (at least this grave)");
        }
        var rule = q["rule"].ToString() is { Length: > 0 } r ? r : null;
        var kind = q["kind"].ToString() is { Length: > 0 } k ? k : null;
        var entity = q["entity"].ToString() is { Length: > 0 } e ? e : null;
        var assignee = q["assignee"].ToString() is { Length: > 0 } a ? a : null;
        long? from = null, to = null;
        if (q["from"].ToString() is { Length: > 0 } f)
        {
            if (!DateTimeOffset.TryParse(f, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t)) return Bad("bad_request", "from is an ISO 8601 time");
            from = t.ToUnixTimeMilliseconds();
        }
        if (q["to"].ToString() is { Length: > 0 } tt)
        {
            if (!DateTimeOffset.TryParse(tt, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t)) return Bad("bad_request", "to is an ISO 8601 time");
            to = t.ToUnixTimeMilliseconds();
        }
        var sort = q["sort"].ToString() is { Length: > 0 } so ? so : "time";
        if (sort is not ("time" or "risk" or "count" or "severity")) return Bad("bad_request", "sort is time, risk, severity or count");
        var limit = 100;
        if (q["limit"].ToString() is { Length: > 0 } l && (!int.TryParse(l, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > 1000))
            return Bad("bad_request", "limit must be 1..1000");
        var offset = 0;
        if (q["cursor"].ToString() is { Length: > 0 } c && (!int.TryParse(c, NumberStyles.None, CultureInfo.InvariantCulture, out offset) || offset < 0))
            return Bad("bad_request", "cursor is the nextCursor of a previous page");

        // Entity filter: a value (any entity), or entity=value (host=web1, src_ip=1.2.3.4).
        string? entityName = null, entityValue = entity;
        if (entity is not null && entity.IndexOf('=') is var eq and > 0) { entityName = entity[..eq]; entityValue = entity[(eq + 1)..]; }

        var matching = store.Query(x =>
            (states.Length == 0 || states.Contains(x.State))
            && x.Severity >= minSeverity
            && (rule is null || x.RuleId.Equals(rule, StringComparison.OrdinalIgnoreCase))
            && (kind is null || x.Kind == kind)
            && (assignee is null || x.Assignee == assignee)
            && (entityValue is null || x.Entities.Any(p => (entityName is null || p.Key == entityName) && p.Value.Equals(entityValue, StringComparison.OrdinalIgnoreCase)))
            && (from is null || x.LastSeenMs >= from)
            && (to is null || x.FirstSeenMs <= to));
        IOrderedEnumerable<Alert> ordered = sort switch
        {
            "risk" => matching.OrderByDescending(x => x.Risk).ThenByDescending(x => x.Severity).ThenByDescending(x => x.LastSeenMs),
            "severity" => matching.OrderByDescending(x => x.Severity).ThenByDescending(x => x.LastSeenMs),
            "count" => matching.OrderByDescending(x => x.Count).ThenByDescending(x => x.LastSeenMs),
            _ => matching.OrderByDescending(x => x.LastSeenMs),
        };
        ordered = ordered.ThenBy(x => x.Id, StringComparer.Ordinal);
        var page = ordered.Skip(offset).Take(limit).ToList();
        return Results.Json(new
        {
            total = matching.Count,
            alerts = page.Select(x => Summary(x)),
            nextCursor = offset + page.Count < matching.Count ? (offset + page.Count).ToString(CultureInfo.InvariantCulture) : null,
        });
    }

    private static DateTimeOffset Time(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);

    private static Dictionary<string, object?> Summary(Alert a) => new()
    {
        ["id"] = a.Id,
        ["kind"] = a.Kind,
        ["rule"] = RuleJson(a),
        ["severity"] = AlertStates.SeverityName(a.Severity),
        ["severityLevel"] = a.Severity,
        ["risk"] = a.Risk,
        ["state"] = a.State,
        ["resolution"] = a.Resolution,
        ["assignee"] = a.Assignee,
        ["entities"] = a.Entities,
        ["count"] = a.Count,
        ["eventCount"] = a.EvidenceTotal,
        ["firstSeen"] = Time(a.FirstSeenMs),
        ["lastSeen"] = Time(a.LastSeenMs),
        ["createdAt"] = Time(a.CreatedAtMs),
        ["updatedAt"] = Time(a.UpdatedAtMs),
        ["evidence"] = a.Evidence,
        ["correlationCount"] = a.CorrelationCount,
        ["ioc"] = a.Ioc is { } i ? new { list = i.List, type = i.Type, indicator = i.Indicator, @ref = i.Ref, source = i.Source, field = i.Field, observed = i.Observed, expires = i.ExpiresMs is { } x ? Time(x) : (DateTimeOffset?)null } : null,
        ["context"] = a.Context is { } c ? ContextJson(c) : null,
    };

    private static object RuleJson(Alert a) => new
    {
        id = a.RuleId,
        title = a.RuleTitle,
        level = a.Level,
        author = a.Author,
        references = a.References,
        tags = a.Tags,
        attack = new { techniques = a.Techniques, tactics = a.Tactics },
        // SigmaHQ rules are under the Detection Rule License 1.1: output based on a match keeps the author, link and notice.
        license = a.LicenceName is null && a.RuleLicenseField is null ? null : new { name = a.LicenceName ?? a.RuleLicenseField, notice = a.LicenceNotice, link = a.LicenceLink },
    };

    private static object ContextJson(AlertContext c) => new
    {
        computedAt = Time(c.ComputedAtMs),
        alertNode = c.AlertNode,
        entities = c.Entities.Select(e => new
        {
            entity = e.Entity, value = e.Value, node = e.NodeKind, inGraph = e.InGraph, blastRadius = e.BlastRadius,
            crownJewelPath = e.CrownJewelHops is not null, crownJewelHops = e.CrownJewelHops, crownJewel = e.CrownJewel,
            criticality = e.Criticality, truncated = e.Truncated,
        }),
        blastRadius = c.Entities.Count == 0 ? 0 : c.Entities.Max(e => e.BlastRadius),
        crownJewelPath = c.Entities.Any(e => e.CrownJewelHops is not null),
        crownJewelHops = c.Entities.Where(e => e.CrownJewelHops is not null).Select(e => e.CrownJewelHops).Min(),
        criticality = c.Entities.Select(e => e.Criticality).OrderByDescending(CriticalityRank).FirstOrDefault() ?? "unknown",
    };

    private static int CriticalityRank(string c) => c switch { "low" => 1, "medium" => 2, "high" => 3, "critical" => 4, _ => 0 };

    private static async Task<IResult> Detail(string id, HttpContext http, AlertStore store, EventLog log, SecurityGraph graph)
    {
        if (store.Get(id) is not { } alert) return Bad("not_found", $"no alert has id '{id}'", 404);
        // The context as the graph stands now (the stored one is from the last enrichment).
        var g = graph.Snapshot;
        var live = AlertEnricher.Context(g, alert, g.TryFind(Storage.Graph.NodeKind.Alert, alert.Id, out var node) ? node : null);
        var summary = AddHistory(Summary(alert), alert);
        summary["matched"] = alert.Matched.Select(m => new { field = m.Field, value = m.Value });
        summary["logSource"] = alert.LogSource;
        summary["context"] = ContextJson(live);
        summary["riskNow"] = AlertRisk.Score(alert.Severity, live);
        var events = new List<JsonElement>();
        foreach (var eventId in alert.Evidence.Take(MaxEvidenceEvents))
        {
            if (await log.GetAsync(eventId, http.RequestAborted) is not { } e) continue;
            var buffer = new System.Buffers.ArrayBufferWriter<byte>();
            using (var w = new Utf8JsonWriter(buffer)) EventJson.Write(w, eventId, e);
            events.Add(JsonDocument.Parse(buffer.WrittenMemory).RootElement.Clone());
        }
        return Results.Json(new { alert = summary, events });
    }

    /// <summary>A triage request: any of state, resolution (with closed), comment, assignee ("" clears it).</summary>
    private sealed record TriageRequest(string? State, string? Resolution, string? Comment, string? Assignee);

    private static async Task<IResult> Triage(string id, HttpContext http, AlertStore store)
    {
        TriageRequest? request;
        try
        {
            request = await JsonSerializer.DeserializeAsync<TriageRequest>(http.Request.Body,
                new JsonSerializerOptions { PropertyNameCaseInsensitive = true, MaxDepth = 8 }, http.RequestAborted);
        }
        catch (JsonException) { return Bad("invalid_json", "the body is a JSON object: {state, resolution, comment, assignee}"); }
        if (request is null || request is { State: null, Resolution: null, Comment: null, Assignee: null })
            return Bad("bad_request", "give at least one of state, resolution, comment, assignee");
        if (request.State is { } s && !AlertStates.All.Contains(s))
            return Bad("invalid_state", $"state '{s}' is not one of {string.Join(", ", AlertStates.All)}");
        if (request.Resolution is { } res && !AlertStates.Resolutions.Contains(res))
            return Bad("invalid_resolution", $"resolution '{res}' is not one of {string.Join(", ", AlertStates.Resolutions)}");
        if (request.Comment is { Length: > 4000 } || request.Assignee is { Length: > 200 })
            return Bad("too_large", "a comment is at most 4000 characters and an assignee at most 200");
        var current = store.Get(id);
        if (current is null) return Bad("not_found", $"no alert has id '{id}'", 404);
        var target = request.State ?? current.State;
        if (target == AlertStates.Closed && (request.Resolution ?? (current.State == AlertStates.Closed ? current.Resolution : null)) is null)
            return Bad("resolution_required", "closing an alert needs a resolution: true_positive, false_positive or benign");
        if (request.Resolution is not null && target != AlertStates.Closed)
            return Bad("invalid_resolution", "a resolution goes with state closed");

        var who = Actor.Of(http);
        var updated = await store.ChangeAsync(id, a =>
        {
            var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            var changed = false;
            void Record(string field, string? from, string? to)
            {
                a.History.Add(new TriageEntry { AtMs = now, Who = who, Field = field, From = from, To = to });
                changed = true;
            }
            if (target != a.State)
            {
                Record("state", a.State, target);
                if (a.State == AlertStates.Closed && a.Resolution is not null) { Record("resolution", a.Resolution, null); a.Resolution = null; }
                a.State = target;
            }
            if (request.Resolution is { } r && r != a.Resolution) { Record("resolution", a.Resolution, r); a.Resolution = r; }
            if (request.Assignee is { } who2)
            {
                var next = who2.Length == 0 ? null : who2;
                if (next != a.Assignee) { Record("assignee", a.Assignee, next); a.Assignee = next; }
            }
            if (request.Comment is { Length: > 0 } c) { Record("comment", a.Comment, c); a.Comment = c; }
            store.Trim(a.History);
            return changed;
        });
        return updated is null ? Bad("not_found", $"no alert has id '{id}'", 404) : Results.Json(AddHistory(Summary(updated), updated));
    }

    private static Dictionary<string, object?> AddHistory(Dictionary<string, object?> summary, Alert a)
    {
        summary["comment"] = a.Comment;
        summary["history"] = a.History.Select(h => new { at = Time(h.AtMs), who = h.Who, field = h.Field, from = h.From, to = h.To });
        return summary;
    }
}

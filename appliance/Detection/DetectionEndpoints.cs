using System.Globalization;
using System.Text;
using Redoubt.Api.Access;
using Redoubt.Commit;
using Redoubt.Detection.Engine;
using Redoubt.Detection.Rules;

namespace Redoubt.Detection;

/// <summary>
/// Detection in the API: the rule list with load errors and counters, rule upload and reload,
/// and the recent detection hits (until alerts are stored).
/// </summary>
public static class DetectionEndpoints
{
    /// <summary>Largest rule upload accepted (a YAML file of many rules is far smaller).</summary>
    private const int MaxUploadBytes = 4 * 1024 * 1024;

    public static void Map(WebApplication app)
    {
        var api = app.MapGroup("/api/v1");
        api.MapGet("/rules", ListRules).RequireScope(Scopes.AlertsRead);
        api.MapPost("/rules", UploadRule).RequireScope(Scopes.Admin);
        api.MapPost("/rules/reload", Reload).RequireScope(Scopes.Admin);
        api.MapGet("/detections", Detections).RequireScope(Scopes.AlertsRead);
    }

    private static IResult ListRules(DetectionEngine engine, DetectionSink sink, HttpContext http)
    {
        var set = engine.Current;
        var state = http.Request.Query["state"].ToString();
        var rules = state is "" or "loaded" ? set.Rules.Select(RuleJson).ToList() : [];
        var errors = state is "" or "error" ? set.Errors.Select(ErrorJson).ToList() : [];
        return Results.Json(new
        {
            loadedAt = set.LoadedAt,
            rulesFolder = engine.RulesFolder,
            logSources = new { origin = set.Map.Origin, count = set.SourceCount },
            summary = new
            {
                loaded = set.RuleCount,
                notLoaded = set.Errors.Count,
                gated = set.GatedRules,
                indexPatterns = set.IndexPatterns,
                eventsEvaluated = sink.Events,
                hits = sink.Hits,
            },
            rules,
            errors,
            filters = set.Filters.Select(f => new
            {
                id = f.Filter.Id, title = f.Filter.Title, file = f.Filter.Origin.File, line = f.Filter.Origin.Line,
                appliedTo = f.AppliedTo, notFound = f.Missing,
            }),
        });
    }

    private static object RuleJson(CompiledRule r) => new
    {
        id = r.Rule.Id,
        title = r.Rule.Title,
        state = "loaded",
        level = r.Rule.Level,
        status = r.Rule.Status,
        author = r.Rule.Author,
        tags = r.Rule.Tags,
        file = r.Rule.Origin.File,
        line = r.Rule.Origin.Line,
        logsource = new { product = r.Rule.LogSource.Product, category = r.Rule.LogSource.Category, service = r.Rule.LogSource.Service },
        filters = r.Filters,
        prefiltered = r.Gate.Count > 0,
        counters = new
        {
            evaluations = r.Counters.EvaluationCount,
            matches = r.Counters.MatchCount,
            meanEvaluationNs = Math.Round(r.Counters.MeanEvaluationNs, 1),
            regexTimeouts = r.Regexes.Sum(x => x.Timeouts),
        },
    };

    private static object ErrorJson(RuleLoadError e) => new
    {
        state = "error", file = e.File, line = e.Line, column = e.Column, code = e.Code, message = e.Message, id = e.RuleId, title = e.Title,
    };

    private static async Task<IResult> UploadRule(HttpContext http, DetectionEngine engine)
    {
        if (http.Request.ContentLength > MaxUploadBytes)
            return Results.Json(new { error = "too_large", message = $"a rule upload is at most {MaxUploadBytes} bytes" }, statusCode: 413);
        string yaml;
        try
        {
            using var reader = new StreamReader(http.Request.Body, new UTF8Encoding(false, throwOnInvalidBytes: true));
            var buffer = new char[MaxUploadBytes + 1];
            var read = await reader.ReadBlockAsync(buffer, http.RequestAborted);
            if (read > MaxUploadBytes)
                return Results.Json(new { error = "too_large", message = $"a rule upload is at most {MaxUploadBytes} bytes" }, statusCode: 413);
            yaml = new string(buffer, 0, read);
        }
        catch (DecoderFallbackException)
        {
            return Results.Json(new { error = "invalid_utf8", message = "the upload is not valid UTF-8" }, statusCode: 400);
        }
        var (loaded, errors) = await engine.UploadAsync(yaml);
        if (errors.Count > 0)
            return Results.Json(new { error = "rule_not_loaded", message = "the upload was not kept: see errors", errors = errors.Select(ErrorJson) }, statusCode: 400);
        return Results.Json(new { loaded }, statusCode: 201);
    }

    private static async Task<IResult> Reload(DetectionEngine engine)
    {
        var set = await engine.ReloadAsync();
        return Results.Json(new { loaded = set.RuleCount, notLoaded = set.Errors.Count });
    }

    private static IResult Detections(HttpContext http, RecentDetections recent)
    {
        var q = http.Request.Query;
        var limit = 100;
        if (q["limit"].ToString() is { Length: > 0 } l && (!int.TryParse(l, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > 10_000))
            return Results.Json(new { error = "bad_request", message = "limit must be 1..10000" }, statusCode: 400);
        var rule = q["rule"].ToString() is { Length: > 0 } r ? r : null;
        var hits = recent.Recent(limit, rule);
        return Results.Json(new
        {
            total = recent.Total,
            held = Math.Min(recent.Total, recent.Capacity),
            detections = hits.Select(h => new
            {
                ruleId = h.RuleId, ruleTitle = h.RuleTitle, level = h.Level, tags = h.Tags,
                eventId = h.EventId, eventTime = DateTimeOffset.FromUnixTimeMilliseconds(h.EventTimeMs),
                logSource = h.LogSource,
                matched = h.Matched.Select(m => new { field = m.Field, value = m.Value }),
                entities = h.Entities,
            }),
        });
    }
}

public static class DetectionSetup
{
    /// <summary>Registers detection: the engine (rules loaded now), the recent-hit list, and the after-commit sink.</summary>
    public static void AddDetection(this IServiceCollection services, IConfiguration configuration, string dataDir)
    {
        var options = configuration.GetSection("Detection").Get<DetectionOptions>() ?? new DetectionOptions();
        var etc = Environment.GetEnvironmentVariable("REDOUBT_CONFIG_DIR") ?? "/etc/redoubt";
        options.Rules ??= Directory.Exists(Path.Combine(etc, "rules")) ? Path.Combine(etc, "rules") : null;
        options.LogSourcesFile ??= Path.Combine(etc, "logsources.yaml");
        if (options.Rules is { } rules)
            options.Rules = string.Join(Path.PathSeparator, DetectionEngine.Folders(rules).Select(Path.GetFullPath));
        services.AddSingleton(options);
        services.AddSingleton(sp => new DetectionEngine(options, dataDir, sp.GetRequiredService<ILogger<DetectionEngine>>()));
        services.AddSingleton(new RecentDetections(options.RecentHits));
        services.AddSingleton<IDetectionHitSink>(sp => sp.GetRequiredService<RecentDetections>());
        services.AddSingleton<DetectionSink>();
        services.AddSingleton<IEventSink>(sp => sp.GetRequiredService<DetectionSink>());
    }
}

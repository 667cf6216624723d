using System.Globalization;
using System.Text;
using Redoubt.Api.Access;
using Redoubt.Commit;
using Redoubt.Detection.Engine;
using Redoubt.Detection.Alerts;
using Redoubt.Detection.Correlation;
using Redoubt.Detection.Iocs;
using Redoubt.Detection.Rules;
using Redoubt.Storage.Events;
using Redoubt.Storage.State;

namespace Redoubt.Detection;

/// <summary>
/// Detection in the API: the rule list (rules and correlations, load errors, counters, windows held),
/// rule upload, reload, enable and disable. Alerts and IOCs have their own endpoint classes.
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
        api.MapPost("/rules/{id}/enable", (string id, HttpContext http, DetectionEngine engine) => SetEnabled(id, true, http, engine)).RequireScope(Scopes.Admin);
        api.MapPost("/rules/{id}/disable", (string id, HttpContext http, DetectionEngine engine) => SetEnabled(id, false, http, engine)).RequireScope(Scopes.Admin);
    }

    private static async Task<IResult> SetEnabled(string id, bool enabled, HttpContext http, DetectionEngine engine)
    {
        if (!await engine.SetEnabledAsync(id, enabled, Actor.Of(http)))
            return Results.Json(new { error = "not_found", message = $"no loaded rule or correlation has id '{id}'" }, statusCode: 404);
        return Results.Json(new { id, enabled });
    }

    private static IResult ListRules(DetectionEngine engine, DetectionSink sink, HttpContext http)
    {
        var set = engine.Current;
        var state = http.Request.Query["state"].ToString();
        var rules = state is "" or "loaded" ? set.Rules.Select(r => RuleJson(r, engine)).ToList() : [];
        var correlations = state is "" or "loaded" ? set.Correlations.Select(c => CorrelationJson(c, engine)).ToList() : [];
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
                correlations = set.Correlations.Count,
                disabled = set.Rules.Count(r => !r.Enabled) + set.Correlations.Count(c => !c.Enabled),
                eventsEvaluated = sink.Events,
                hits = sink.Hits,
                correlationHits = sink.CorrelationHits,
                // Bounded streaming state: windows held now, against the cap; evicted to stay within it.
                correlationWindows = sink.Correlation.WindowsHeld,
                correlationWindowCap = sink.Correlation.Options.MaxWindows,
                correlationWindowsEvicted = sink.Correlation.Evicted,
                correlationWindowsExpired = sink.Correlation.Expired,
            },
            rules,
            correlations,
            errors,
            filters = set.Filters.Select(f => new
            {
                id = f.Filter.Id, title = f.Filter.Title, file = f.Filter.Origin.File, line = f.Filter.Origin.Line,
                appliedTo = f.AppliedTo, notFound = f.Missing,
            }),
        });
    }

    private static object CorrelationJson(CompiledCorrelation c, DetectionEngine engine) => new
    {
        id = c.Rule.Id,
        title = c.Rule.Title,
        name = c.Rule.Name,
        state = "loaded",
        enabled = c.Enabled,
        changedBy = engine.RuleState(c.Rule.Id)?.ChangedBy,
        type = CorrelationEngine.CorrelationTypeName(c.Rule.Type),
        level = c.Rule.Level,
        author = c.Rule.Author,
        tags = c.Rule.Tags,
        file = c.Rule.Origin.File,
        line = c.Rule.Origin.Line,
        rules = c.Inputs.Select(i => new { reference = i.Reference, id = i.RuleId, kind = i.IsCorrelation ? "correlation" : "rule", groupFields = i.GroupFields }),
        groupBy = c.Rule.GroupBy,
        timespan = c.Rule.Timespan,
        condition = new { min = c.Rule.Condition.Min, max = c.Rule.Condition.HasUpperBound ? c.Rule.Condition.Max : (long?)null, field = c.Rule.ValueFields },
        generate = c.Rule.Generate,
        raisesAlerts = c.Generates,
        counters = new
        {
            inputs = c.Counters.InputCount,
            fired = c.Counters.FiredCount,
            windows = c.Counters.WindowCount,
            late = c.Counters.LateCount,
            evicted = c.Counters.EvictedCount,
        },
    };

    private static object RuleJson(CompiledRule r, DetectionEngine engine) => new
    {
        id = r.Rule.Id,
        title = r.Rule.Title,
        state = "loaded",
        enabled = r.Enabled,
        changedBy = engine.RuleState(r.Rule.Id)?.ChangedBy,
        raisesAlerts = r.Generates,
        usedBy = r.Consumers.Select(x => engine.Current.Correlations.ElementAtOrDefault(x.Correlation)?.Rule.Id),
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
        services.AddSingleton(sp => new DetectionEngine(options, dataDir, sp.GetRequiredService<ILogger<DetectionEngine>>(), sp.GetRequiredService<StateStore>()));
        services.AddSingleton<IocService>();
        services.AddSingleton(sp =>
        {
            var log = sp.GetRequiredService<EventLog>();
            // First start: new events only, unless asked to evaluate what is stored; later starts resume from the cursor.
            return new AlertStore(sp.GetRequiredService<StateStore>(), options.Alerts, options.ReplayOnStart ? 0 : log.CommittedUntil,
                log.BeginAddress, sp.GetRequiredService<ILogger<AlertStore>>());
        });
        services.AddSingleton<DetectionSink>();
        services.AddSingleton<IEventSink>(sp => sp.GetRequiredService<DetectionSink>());
        services.AddSingleton<AlertEnricher>();
        services.AddHostedService(sp => sp.GetRequiredService<AlertEnricher>());
    }
}

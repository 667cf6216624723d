using Redoubt.Api.Access;
using Redoubt.Configuration;

namespace Redoubt.Graph.Extraction;

/// <summary>Loads the extraction rules at start and serves what loaded (GET /api/v1/graph/extraction, graph:read).</summary>
public static class ExtractionSetup
{
    public static string DefaultFolder()
    {
        var etc = Environment.GetEnvironmentVariable("REDOUBT_CONFIG_DIR") ?? "/etc/redoubt";
        return Path.Combine(etc, "extraction");
    }

    public static ExtractionRuleSet Load(GraphOptions options) => ExtractionRuleSet.Load(options.ExtractionRules ?? DefaultFolder());

    /// <summary>Logs what loaded and every rule that did not (the API lists them too).</summary>
    public static void LogLoaded(ExtractionRuleSet set, ILogger logger)
    {
        logger.LogInformation("graph extraction: {Rules} rules from {Files} files ({Origins}), {Errors} not loaded",
            set.Rules.Count, set.Files.Count, string.Join(", ", set.Files.Select(f => f.Origin == "built in" ? f.Name : f.Origin)), set.Errors.Count);
        foreach (var e in set.Errors.Take(20))
            logger.LogWarning("extraction rule not loaded: {File}:{Line}: {Rule}: {Message}", e.File, e.Line, e.Rule ?? "-", e.Message);
    }

    public static void Map(WebApplication app)
    {
        LogLoaded(app.Services.GetRequiredService<ExtractionRuleSet>(), app.Logger);
        app.MapGet("/api/v1/graph/extraction", (ExtractionRuleSet set) => Results.Json(new
        {
            files = set.Files.Select(f => new { name = f.Name, origin = f.Origin, rules = f.Rules }),
            rules = set.Rules.Select(r => new
            {
                id = r.Id, description = r.Description, file = r.File, line = r.Line,
                matched = r.Counters.Matched, unparsed = r.Counters.Unparsed, filtered = r.Counters.Filtered, extracted = r.Counters.Extracted,
                edges = r.Counters.Edges, incomplete = r.Counters.Incomplete,
            }),
            errors = set.Errors.Select(e => new { file = e.File, line = e.Line, rule = e.Rule, message = e.Message }),
        })).RequireScope(Scopes.GraphRead);
    }
}

using System.Text.Json;
using Redoubt.Detection.Engine;
using Redoubt.Detection.LogSources;
using Redoubt.Detection.Rules;
using Redoubt.Tests.Support;

namespace Redoubt.Tests.Detection;

/// <summary>The shared SigmaHQ rules and regression data, loaded once for all the tests that use them.</summary>
public static class SigmaCorpus
{
    public static readonly string[] RuleFolders = ["rules", "rules-emerging-threats", "rules-threat-hunting"];

    private static readonly Lazy<(RuleSet Set, int Files)> All = new(() =>
    {
        var files = RuleFolders.SelectMany(f => RuleFolder.Read(SharedData.PathOf("sigma", f), f)).ToList();
        return (RuleSetBuilder.Build(LogSourceMap.Embedded(), files), files.Count);
    });

    public static RuleSet RuleSet => All.Value.Set;
    public static int FileCount => All.Value.Files;

    public sealed record RegressionCase(string RuleId, string RuleTitle, string RulePath, string? JsonPath, int? MatchCount, int EventCount);

    public static IReadOnlyList<RegressionCase> RegressionCases { get; } = ReadIndex();

    private static List<RegressionCase> ReadIndex()
    {
        var cases = new List<RegressionCase>();
        foreach (var line in File.ReadLines(SharedData.PathOf("sigma", "regression-index.jsonl")))
        {
            if (string.IsNullOrWhiteSpace(line)) continue;
            var r = JsonDocument.Parse(line).RootElement;
            foreach (var t in r.GetProperty("tests").EnumerateArray())
                cases.Add(new RegressionCase(
                    r.GetProperty("rule_id").GetString()!, r.GetProperty("rule_title").GetString()!, r.GetProperty("rule_path").GetString()!,
                    t.GetProperty("json_events_path").GetString(),
                    t.GetProperty("match_count").ValueKind == JsonValueKind.Number ? t.GetProperty("match_count").GetInt32() : null,
                    t.GetProperty("json_event_count").GetInt32()));
        }
        return cases;
    }

    /// <summary>The events of a regression case: a stream of JSON objects (pretty-printed, concatenated).</summary>
    public static List<string> Events(RegressionCase c)
    {
        var bytes = File.ReadAllBytes(SharedData.PathOf("sigma", c.JsonPath!));
        var events = new List<string>();
        var reader = new Utf8JsonReader(bytes, new JsonReaderOptions { AllowMultipleValues = true });
        while (reader.Read())
        {
            using var doc = JsonDocument.ParseValue(ref reader);
            events.Add(doc.RootElement.GetRawText());
        }
        return events;
    }
}

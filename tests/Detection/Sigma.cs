using Redoubt.Detection;
using Redoubt.Detection.Engine;
using Redoubt.Detection.LogSources;
using Redoubt.Detection.Rules;
using Redoubt.Storage.Events;

namespace Redoubt.Tests.Detection;

/// <summary>Small helpers: compile rule text with the shipped log-source map and run events through it.</summary>
public static class Sigma
{
    public static RuleSet Load(params string[] ruleYaml) =>
        RuleSetBuilder.Build(LogSourceMap.Embedded(), ruleYaml.Select((y, i) => SigmaReader.Read(y, $"rule{i}.yml")));

    public static RuleSet LoadWith(IReadOnlyDictionary<string, IReadOnlyList<string>> placeholders, params string[] ruleYaml) =>
        RuleSetBuilder.Build(LogSourceMap.Embedded(), ruleYaml.Select((y, i) => SigmaReader.Read(y, $"rule{i}.yml")), placeholders);

    public static EventRecord Json(string json) => new() { Json = json, Format = "json", Source = "ingest" };

    public static EventRecord Syslog(string app, string message, sbyte facility = 1) =>
        new() { App = app, Message = message, Format = "rfc3164", Facility = facility, Host = "web1", Source = "syslog" };

    /// <summary>Ids of the rules that fire on the event.</summary>
    public static List<DetectionHit> Hits(RuleSet set, EventRecord record)
    {
        var hits = new HitList();
        new Evaluator(set).Evaluate(1, record, hits);
        return hits.Hits;
    }

    public static bool Fires(RuleSet set, EventRecord record) => Hits(set, record).Count > 0;

    /// <summary>A process_creation rule over one selection, as YAML.</summary>
    public static string ProcessRule(string selection, string condition = "selection", string id = "00000000-0000-0000-0000-000000000001") => $"""
        title: test rule
        id: {id}
        logsource:
            category: process_creation
            product: windows
        detection:
        {Indent(selection)}
            condition: {condition}
        """;

    private static string Indent(string s) => string.Join('\n', s.Split('\n').Select(l => "    " + l));

    /// <summary>A Sysmon process-creation event (flat, as the OTRF datasets carry them) with extra fields.</summary>
    public static EventRecord SysmonProcess(params (string Field, string Value)[] fields)
    {
        var all = new Dictionary<string, object> { ["Channel"] = "Microsoft-Windows-Sysmon/Operational", ["EventID"] = 1 };
        foreach (var (f, v) in fields) all[f] = v;
        return Json(System.Text.Json.JsonSerializer.Serialize(all));
    }
}

using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Redoubt.Summary;

/// <summary>
/// A summary as one long CSV table (RFC 4180): summary, since, until, section, item, metric, value —
/// one row per figure, so a SIEM or a spreadsheet can load any section without knowing the JSON shape.
/// Made from the stored JSON, so it carries exactly what the JSON does (redaction included). Values
/// that a spreadsheet would run as a formula (= + - @ and tab/CR first) get a leading apostrophe.
/// </summary>
public static class SummaryCsv
{
    public const string Header = "summary,since,until,section,item,metric,value";

    public static string Write(JsonElement doc)
    {
        var b = new StringBuilder();
        b.Append(Header).Append("\r\n");
        var id = Str(doc, "id") ?? "";
        var since = Str(doc, "since") ?? "";
        var until = Str(doc, "until") ?? "";
        void Row(string section, string item, string metric, string? value) =>
            b.Append(Cell(id)).Append(',').Append(Cell(since)).Append(',').Append(Cell(until)).Append(',')
             .Append(Cell(section)).Append(',').Append(Cell(item)).Append(',').Append(Cell(metric)).Append(',').Append(Cell(value ?? "")).Append("\r\n");

        Row("summary", "", "schedule", Str(doc, "schedule"));
        Row("summary", "", "generatedAt", Str(doc, "generatedAt"));
        Row("summary", "", "late", Raw(doc, "late"));
        var redaction = doc.GetProperty("redaction");
        Row("redaction", "", "policy", Str(redaction, "policy"));
        Row("redaction", "", "settingsHash", Str(redaction, "settingsHash"));
        Row("redaction", "", "settings", Str(redaction, "settings"));
        if (doc.TryGetProperty("gap", out var gap) && gap.ValueKind == JsonValueKind.Object)
        {
            Row("gap", "", "reason", Str(gap, "reason"));
            Row("gap", "", "missedRuns", Raw(gap, "missedRuns"));
        }
        if (doc.TryGetProperty("alerts", out var alerts) && alerts.ValueKind == JsonValueKind.Object)
        {
            var active = alerts.GetProperty("active");
            Row("alerts.active", "", "count", Raw(active, "count"));
            foreach (var s in active.GetProperty("bySeverity").EnumerateObject()) Row("alerts.active", s.Name, "count", s.Value.GetRawText());
            foreach (var r in alerts.GetProperty("byRule").EnumerateArray())
            {
                var rule = Str(r, "id") ?? "";
                Row("alerts.byRule", rule, "title", Str(r, "title"));
                Row("alerts.byRule", rule, "severity", Str(r, "severity"));
                Row("alerts.byRule", rule, "alerts", Raw(r, "alerts"));
                Row("alerts.byRule", rule, "hits", Raw(r, "hits"));
            }
            foreach (var list in new[] { "new", "open" })
            {
                var l = alerts.GetProperty(list);
                var section = "alerts." + list;
                Row(section, "", "count", Raw(l, "count"));
                foreach (var s in l.GetProperty("bySeverity").EnumerateObject()) Row(section, "severity:" + s.Name, "count", s.Value.GetRawText());
                foreach (var s in l.GetProperty("byState").EnumerateObject()) Row(section, "state:" + s.Name, "count", s.Value.GetRawText());
                foreach (var a in l.GetProperty("items").EnumerateArray())
                {
                    var alert = Str(a, "id") ?? "";
                    foreach (var metric in new[] { "ruleId", "ruleTitle", "severity", "risk", "state", "firstSeen", "lastSeen", "count", "crownJewelHops", "message" })
                        if (a.TryGetProperty(metric, out var v) && v.ValueKind != JsonValueKind.Null) Row(section, alert, metric, Text(v));
                    foreach (var e in a.GetProperty("entities").EnumerateObject()) Row(section, alert, "entity:" + e.Name, e.Value.GetString());
                }
            }
        }
        if (doc.TryGetProperty("topRiskyEntities", out var entities) && entities.ValueKind == JsonValueKind.Array)
            foreach (var e in entities.EnumerateArray())
            {
                var item = Str(e, "entity") + "=" + Str(e, "value");
                foreach (var metric in new[] { "maxRisk", "alerts", "maxSeverity", "criticality", "crownJewelHops", "blastRadius" })
                    if (e.TryGetProperty(metric, out var v) && v.ValueKind != JsonValueKind.Null) Row("topRiskyEntities", item, metric, Text(v));
            }
        if (doc.TryGetProperty("attackPaths", out var paths) && paths.ValueKind == JsonValueKind.Object)
        {
            Row("attackPaths", "", "examined", Raw(paths, "examined"));
            Row("attackPaths", "", "truncated", Str(paths, "truncated"));
            var n = 0;
            foreach (var p in paths.GetProperty("new").EnumerateArray())
            {
                var item = "path" + (++n).ToString(CultureInfo.InvariantCulture);
                Row("attackPaths.new", item, "cost", Raw(p, "cost"));
                Row("attackPaths.new", item, "hops", Raw(p, "hops"));
                Row("attackPaths.new", item, "nodes", string.Join(" > ", p.GetProperty("nodes").EnumerateArray().Select(x => x.GetString())));
                foreach (var e in p.GetProperty("newEdges").EnumerateArray())
                    Row("attackPaths.new", item, "newEdge", $"{Str(e, "from")} -{Str(e, "type")}-> {Str(e, "to")} @ {Str(e, "firstSeen")}");
            }
        }
        if (doc.TryGetProperty("ingestion", out var ingestion) && ingestion.ValueKind == JsonValueKind.Object)
        {
            foreach (var metric in new[] { "volumeFrom", "volumeUntil", "events", "parseErrors", "parseErrorRate", "truncated", "sourcesTotal", "quietSources", "sourcesWithGaps" })
                Row("ingestion", "", metric, Text(ingestion.GetProperty(metric)));
            foreach (var s in ingestion.GetProperty("sources").EnumerateArray())
            {
                var source = Str(s, "source") ?? "";
                foreach (var metric in new[] { "events", "parseErrors", "parseErrorRate", "truncated", "firstSeen", "lastSeen", "quiet" })
                    if (s.TryGetProperty(metric, out var v) && v.ValueKind != JsonValueKind.Null) Row("ingestion.sources", source, metric, Text(v));
                foreach (var g in s.GetProperty("gaps").EnumerateArray())
                    Row("ingestion.sources", source, "gap", $"{Str(g, "from")}/{Str(g, "to")} {Raw(g, "minutes")} min{(g.GetProperty("ongoing").GetBoolean() ? " ongoing" : "")}");
            }
        }
        return b.ToString();
    }

    private static string? Str(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) ? v.ValueKind switch { JsonValueKind.String => v.GetString(), JsonValueKind.Null => null, _ => v.GetRawText() } : null;

    private static string? Raw(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null ? Text(v) : null;

    private static string Text(JsonElement v) => v.ValueKind == JsonValueKind.String ? v.GetString()! : v.GetRawText();

    public static string Cell(string value)
    {
        if (value.Length > 0 && value[0] is '=' or '+' or '-' or '@' or '\t' or '\r') value = "'" + value;
        return value.IndexOfAny([',', '"', '\r', '\n']) >= 0 ? "\"" + value.Replace("\"", "\"\"") + "\"" : value;
    }
}

using System.Globalization;
using Redoubt.Detection.Compile;
using Redoubt.Detection.Rules;
using YamlDotNet.RepresentationModel;

namespace Redoubt.Detection.Correlation;

/// <summary>
/// Reads a correlation document (Sigma correlation rules specification v2): `correlation` with
/// type, rules, group-by, timespan, condition, aliases, and `generate`. Every part it does not know
/// or cannot run is a load error with its position, never a correlation that silently never fires.
/// </summary>
public static class CorrelationReader
{
    private static readonly HashSet<string> SectionKeys = ["type", "rules", "group-by", "timespan", "condition", "aliases", "generate"];

    public static CorrelationRule Read(YamlMappingNode root, YamlNode node, string file, int line)
    {
        var title = SigmaReader.Required(root, "title");
        if (node is not YamlMappingNode section)
            throw new RuleException(ErrorCodes.InvalidField, "'correlation' must be a mapping (type, rules, timespan…)").At(node.Start);
        foreach (var (k, _) in section.Children)
            if (k is YamlScalarNode { Value: { } key } && !SectionKeys.Contains(key))
                throw new RuleException(ErrorCodes.InvalidField, $"'correlation' has an unknown key '{key}' (the specification defines {string.Join(", ", SectionKeys)})").At(k.Start);

        var typeText = SigmaReader.Scalar(section, "type") ?? throw SigmaReader.Missing(section, "type", "event_count, value_count, temporal or temporal_ordered");
        var type = typeText switch
        {
            "event_count" => CorrelationType.EventCount,
            "value_count" => CorrelationType.ValueCount,
            "temporal" => CorrelationType.Temporal,
            "temporal_ordered" => CorrelationType.TemporalOrdered,
            _ => throw new RuleException(ErrorCodes.InvalidValue, $"correlation type '{typeText}' is not one of event_count, value_count, temporal, temporal_ordered").At(SigmaReader.Node(section, "type")!.Start),
        };
        var rules = SigmaReader.List(section, "rules");
        if (rules.Count == 0) throw SigmaReader.Missing(section, "rules", "the ids or names of the rules it correlates");
        if (rules.Distinct(StringComparer.Ordinal).Count() != rules.Count)
            throw new RuleException(ErrorCodes.InvalidValue, "'rules' names a rule twice").At(SigmaReader.Node(section, "rules")!.Start);
        if (type is CorrelationType.Temporal or CorrelationType.TemporalOrdered && rules.Count < 2)
            throw new RuleException(ErrorCodes.InvalidValue, $"a {typeText} correlation needs at least two rules").At(SigmaReader.Node(section, "rules")!.Start);
        var groupBy = SigmaReader.List(section, "group-by");

        var timespanText = SigmaReader.Scalar(section, "timespan") ?? throw SigmaReader.Missing(section, "timespan", "a time period such as 5m, 1h or 2d");
        var timespan = ParseTimespan(timespanText)
            ?? throw new RuleException(ErrorCodes.InvalidValue, $"timespan '{timespanText}' is not a number followed by s, m, h, d or w (e.g. 90m)").At(SigmaReader.Node(section, "timespan")!.Start);

        var (condition, fields) = ReadCondition(section, type, rules.Count);
        var aliases = ReadAliases(section);
        foreach (var g in groupBy)
            if (g.Length == 0) throw new RuleException(ErrorCodes.InvalidValue, "'group-by' holds an empty field name").At(SigmaReader.Node(section, "group-by")!.Start);

        return new CorrelationRule
        {
            Id = SigmaReader.Scalar(root, "id") ?? "file:" + file + (line > 1 ? ":" + line : ""),
            Title = title,
            Name = SigmaReader.Scalar(root, "name"),
            Status = SigmaReader.Scalar(root, "status"),
            Level = SigmaReader.Scalar(root, "level"),
            Description = SigmaReader.Scalar(root, "description"),
            Author = SigmaReader.Scalar(root, "author"),
            License = SigmaReader.Scalar(root, "license"),
            References = SigmaReader.List(root, "references"),
            Tags = SigmaReader.List(root, "tags"),
            Type = type,
            Rules = rules,
            GroupBy = groupBy,
            TimespanMs = timespan,
            Timespan = timespanText,
            Condition = condition,
            ValueFields = fields,
            Aliases = aliases,
            Generate = ReadGenerate(root, section),
            Origin = new RuleOrigin(file, line),
        };
    }

    /// <summary>Milliseconds of "30s", "5m", "1h", "2d", "1w"; null when malformed or not positive.</summary>
    public static long? ParseTimespan(string text)
    {
        if (text.Length < 2) return null;
        var unit = text[^1] switch { 's' => 1_000L, 'm' => 60_000L, 'h' => 3_600_000L, 'd' => 86_400_000L, 'w' => 604_800_000L, _ => 0L };
        if (unit == 0 || !long.TryParse(text.AsSpan(0, text.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n <= 0 || n > 3650L * 86_400_000 / unit)
            return null;
        return n * unit;
    }

    private static (CountCondition, IReadOnlyList<string>) ReadCondition(YamlMappingNode section, CorrelationType type, int ruleCount)
    {
        var node = SigmaReader.Node(section, "condition");
        if (node is null)
        {
            if (type is CorrelationType.EventCount or CorrelationType.ValueCount)
                throw SigmaReader.Missing(section, "condition", "a count criterion such as gte: 10");
            return (new CountCondition(ruleCount, long.MaxValue), []); // temporal: every rule must occur
        }
        if (node is not YamlMappingNode map || map.Children.Count == 0)
            throw new RuleException(ErrorCodes.InvalidField, "'condition' must be a mapping of gt, gte, lt, lte, eq (and field for value_count)").At(node.Start);
        long min = 0, max = long.MaxValue;
        var bounded = false;
        IReadOnlyList<string> fields = [];
        foreach (var (k, v) in map.Children)
        {
            var key = (k as YamlScalarNode)?.Value;
            if (key == "field")
            {
                if (type != CorrelationType.ValueCount)
                    throw new RuleException(ErrorCodes.InvalidField, "'field' belongs to value_count correlations only").At(k.Start);
                fields = v switch
                {
                    YamlScalarNode { Value: { Length: > 0 } f } => [f],
                    YamlSequenceNode seq when seq.Children.Count > 0 && seq.Children.All(c => c is YamlScalarNode { Value.Length: > 0 }) =>
                        seq.Children.Select(c => ((YamlScalarNode)c).Value!).ToList(),
                    _ => throw new RuleException(ErrorCodes.InvalidValue, "'field' must name a field (or a list of fields)").At(v.Start),
                };
                continue;
            }
            if (v is not YamlScalarNode { Value: { } text } || !long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) || n < 0)
                throw new RuleException(ErrorCodes.InvalidValue, $"condition '{key}' needs a whole number of at least 0").At(v.Start);
            switch (key)
            {
                case "gt": min = Math.Max(min, n + 1); break;
                case "gte": min = Math.Max(min, n); break;
                case "lt": max = Math.Min(max, n - 1); bounded = true; break;
                case "lte": max = Math.Min(max, n); bounded = true; break;
                case "eq": min = Math.Max(min, n); max = Math.Min(max, n); bounded = true; break;
                default:
                    throw new RuleException(ErrorCodes.InvalidField, $"condition has an unknown criterion '{key}' (gt, gte, lt, lte, eq)").At(k.Start);
            }
        }
        if (type == CorrelationType.ValueCount && fields.Count == 0)
            throw SigmaReader.Missing(map, "field", "the field whose distinct values are counted");
        if (min > max)
            throw new RuleException(ErrorCodes.InvalidValue, $"condition can never hold (count must be {min} and at most {max})").At(map.Start);
        if (bounded && min == 0)
            // A count of zero in a window is the absence of events: a streaming engine sees no window to close.
            throw new RuleException(ErrorCodes.Unsupported, "a condition that a count of 0 satisfies (lt/lte without a lower bound) asks for the absence of events, which Redoubt does not detect; add gte: 1").At(map.Start);
        if (type is CorrelationType.Temporal && min > ruleCount)
            throw new RuleException(ErrorCodes.InvalidValue, $"condition asks for {min} different rules but the correlation names {ruleCount}").At(map.Start);
        if (type is CorrelationType.TemporalOrdered && (min != ruleCount || bounded && max != ruleCount))
            throw new RuleException(ErrorCodes.Unsupported, "temporal_ordered runs only with every rule in order (leave out the condition, or gte: the number of rules)").At(map.Start);
        return (new CountCondition(Math.Max(1, min), max), fields);
    }

    private static IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> ReadAliases(YamlMappingNode section)
    {
        var result = new Dictionary<string, IReadOnlyDictionary<string, string>>(StringComparer.Ordinal);
        switch (SigmaReader.Node(section, "aliases"))
        {
            case null: return result;
            case YamlMappingNode map:
                foreach (var (k, v) in map.Children)
                {
                    var alias = (k as YamlScalarNode)?.Value;
                    if (string.IsNullOrEmpty(alias) || v is not YamlMappingNode perRule || perRule.Children.Count == 0)
                        throw new RuleException(ErrorCodes.InvalidField, "each alias maps rule names to field names: alias: { rule_name: field }").At(k.Start);
                    var fields = new Dictionary<string, string>(StringComparer.Ordinal);
                    foreach (var (rk, rv) in perRule.Children)
                    {
                        if (rk is not YamlScalarNode { Value: { Length: > 0 } rule } || rv is not YamlScalarNode { Value: { Length: > 0 } field })
                            throw new RuleException(ErrorCodes.InvalidField, $"alias '{alias}': each entry is rule_name: field_name").At(rk.Start);
                        fields[rule] = field;
                    }
                    result[alias] = fields;
                }
                return result;
            case var other:
                throw new RuleException(ErrorCodes.InvalidField, "'aliases' must be a mapping").At(other.Start);
        }
    }

    /// <summary>`generate` may stand at the top level (JSON schema) or inside `correlation` (pySigma); both must agree.</summary>
    private static bool ReadGenerate(YamlMappingNode root, YamlMappingNode section)
    {
        bool? top = Bool(root), inner = Bool(section);
        if (top is { } a && inner is { } b && a != b)
            throw new RuleException(ErrorCodes.InvalidValue, "'generate' is given twice with different values").At(SigmaReader.Node(section, "generate")!.Start);
        return top ?? inner ?? false;

        static bool? Bool(YamlMappingNode map) => SigmaReader.Node(map, "generate") switch
        {
            null => null,
            YamlScalarNode { Value: "true" or "True" or "yes" } => true,
            YamlScalarNode { Value: "false" or "False" or "no" } => false,
            var n => throw new RuleException(ErrorCodes.InvalidValue, "'generate' must be true or false").At(n.Start),
        };
    }
}

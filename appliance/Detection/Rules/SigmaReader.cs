using Redoubt.Detection.Compile;
using Redoubt.Detection.Correlation;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.RepresentationModel;

namespace Redoubt.Detection.Rules;

/// <summary>What one YAML file held.</summary>
public sealed class SigmaFile
{
    public List<SigmaRule> Rules { get; } = [];
    public List<SigmaFilter> Filters { get; } = [];
    public List<Correlation.CorrelationRule> Correlations { get; } = [];
    public List<RuleLoadError> Errors { get; } = [];
}

/// <summary>
/// Reads Sigma YAML (one or more documents) into rules and filters with YamlDotNet's node model,
/// which keeps line numbers for every error. Correlation rules are read by <see cref="CorrelationReader"/>;
/// v1 rule collections are reported as unsupported here rather than half-loaded.
/// </summary>
public static class SigmaReader
{
    /// <summary>
    /// Where the parse of <paramref name="text"/> broke, from YamlDotNet's event parser: the innermost
    /// flow collection still open then (the usual cause), else the last event that parsed.
    /// </summary>
    private static (Mark Where, string Message) LocateBrokenFlow(string text)
    {
        var parser = new Parser(new StringReader(text));
        var open = new Stack<(Mark Start, char? FlowBracket)>(); // every collection open at this point
        var last = Mark.Empty;
        try
        {
            while (parser.MoveNext())
            {
                var current = parser.Current!;
                last = current.Start;
                switch (current)
                {
                    case MappingStart m: open.Push((m.Start, m.Style == MappingStyle.Flow ? '{' : null)); break;
                    case SequenceStart q: open.Push((q.Start, q.Style == SequenceStyle.Flow ? '[' : null)); break;
                    case MappingEnd or SequenceEnd when open.Count > 0: open.Pop(); break;
                }
            }
        }
        catch (Exception e) when (e is InvalidOperationException or YamlException)
        {
            foreach (var (start, bracket) in open) // innermost first
            {
                if (bracket is not { } b) continue;
                return (start, $"the '{b}' opened at line {start.Line}, column {start.Column} is never closed " +
                               $"(a flow collection must close with '{(b == '{' ? '}' : ']')}' before the next block key)");
            }
            return (last, $"the file cannot be parsed after line {last.Line}, column {last.Column}");
        }
        return (last, "the file cannot be parsed");
    }

    public static SigmaFile Read(string text, string file)
    {
        var result = new SigmaFile();
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException e)
        {
            result.Errors.Add(new RuleLoadError(file, (int)e.Start.Line, (int)e.Start.Column, ErrorCodes.YamlSyntax,
                "YAML syntax: " + (e.InnerException?.Message ?? e.Message), null, null));
            return result;
        }
        catch (InvalidOperationException)
        {
            // YamlDotNet's scanner throws this, without a position, on some malformed flow collections
            // (e.g. an unclosed '{' before a block key): replay the parse to say where.
            var (where, message) = LocateBrokenFlow(text);
            result.Errors.Add(new RuleLoadError(file, (int)where.Line, (int)where.Column, ErrorCodes.YamlSyntax, "YAML syntax: " + message, null, null));
            return result;
        }

        foreach (var document in stream.Documents)
        {
            if (document.RootNode is YamlScalarNode { Value: null or "" }) continue; // empty document after ---
            var line = (int)document.RootNode.Start.Line;
            string? id = null, title = null;
            try
            {
                if (document.RootNode is not YamlMappingNode root)
                    throw new RuleException(ErrorCodes.InvalidField, "a Sigma document is a mapping (title, logsource, detection…)").At(document.RootNode.Start);
                id = Scalar(root, "id");
                title = Scalar(root, "title");
                if (Scalar(root, "action") is { } action)
                    throw new RuleException(ErrorCodes.Unsupported,
                        $"'action: {action}' is a Sigma v1 rule collection; write each rule as its own document").At(Node(root, "action")!.Start);
                if (Node(root, "correlation") is { } correlation)
                    result.Correlations.Add(CorrelationReader.Read(root, correlation, file, line));
                else if (Node(root, "filter") is { } && Node(root, "detection") is null)
                    result.Filters.Add(ReadFilter(root, file, line));
                else
                    result.Rules.Add(ReadRule(root, file, line));
            }
            catch (RuleException e)
            {
                result.Errors.Add(new RuleLoadError(file, e.Line == 0 ? line : e.Line, e.Column, e.Code, e.Message, id, title));
            }
        }
        return result;
    }

    private static SigmaRule ReadRule(YamlMappingNode root, string file, int line)
    {
        var title = Required(root, "title");
        var detection = Node(root, "detection") as YamlMappingNode
            ?? throw Missing(root, "detection", "a mapping of selections and a condition");
        return new SigmaRule
        {
            Id = Scalar(root, "id") ?? "file:" + file + (line > 1 ? ":" + line : ""),
            Title = title,
            Name = Scalar(root, "name"),
            Status = Scalar(root, "status"),
            Level = Scalar(root, "level"),
            Description = Scalar(root, "description"),
            Author = Scalar(root, "author"),
            License = Scalar(root, "license"),
            References = List(root, "references"),
            Tags = List(root, "tags"),
            LogSource = ReadLogSource(root),
            Detection = detection,
            Origin = new RuleOrigin(file, line),
        };
    }

    private static SigmaFilter ReadFilter(YamlMappingNode root, string file, int line)
    {
        var filter = (YamlMappingNode)Node(root, "filter")!;
        var rules = List(filter, "rules");
        if (rules.Count == 0) throw Missing(filter, "rules", "the ids or names of the rules the filter applies to");
        return new SigmaFilter
        {
            Id = Scalar(root, "id") ?? "file:" + file,
            Title = Required(root, "title"),
            LogSource = ReadLogSource(root),
            Rules = rules,
            Detection = filter,
            Origin = new RuleOrigin(file, line),
        };
    }

    private static LogSourceSpec ReadLogSource(YamlMappingNode root)
    {
        if (Node(root, "logsource") is not YamlMappingNode ls)
            throw Missing(root, "logsource", "a mapping with product, category and/or service");
        var spec = new LogSourceSpec(Lower(Scalar(ls, "product")), Lower(Scalar(ls, "category")), Lower(Scalar(ls, "service")));
        if (spec is { Product: null, Category: null, Service: null })
            throw new RuleException(ErrorCodes.InvalidField, "logsource names no product, category or service").At(ls.Start);
        return spec;
    }

    private static string? Lower(string? s) => s?.Trim().ToLowerInvariant();

    internal static RuleException Missing(YamlMappingNode root, string key, string what) =>
        new RuleException(ErrorCodes.MissingField, $"'{key}' is missing: it must hold {what}").At(root.Start);

    public static YamlNode? Node(YamlMappingNode map, string key)
    {
        foreach (var (k, v) in map.Children)
            if (k is YamlScalarNode { Value: { } name } && name == key) return v;
        return null;
    }

    internal static string Required(YamlMappingNode root, string key) =>
        Scalar(root, key) is { Length: > 0 } value ? value : throw Missing(root, key, "text");

    internal static string? Scalar(YamlMappingNode map, string key) => Node(map, key) switch
    {
        null => null,
        YamlScalarNode s => s.Value,
        var other => throw new RuleException(ErrorCodes.InvalidField, $"'{key}' must be a single value").At(other.Start),
    };

    internal static IReadOnlyList<string> List(YamlMappingNode map, string key) => Node(map, key) switch
    {
        null => [],
        YamlScalarNode { Value: null } => [],
        YamlScalarNode s => [s.Value!],
        YamlSequenceNode seq => seq.Children.OfType<YamlScalarNode>().Select(s => s.Value ?? "").ToList(),
        var other => throw new RuleException(ErrorCodes.InvalidField, $"'{key}' must be a list").At(other.Start),
    };
}

using Redoubt.Detection.Events;
using Redoubt.Detection.Rules;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Redoubt.Detection.LogSources;

/// <summary>One log source: which events it is (when), what Sigma logsource it provides, its field names.</summary>
public sealed class LogSourceEntry
{
    public required string Name { get; init; }
    public string? Product { get; init; }
    public string? Category { get; init; }
    public string? Service { get; init; }
    public required YamlNode When { get; init; }
    /// <summary>Sigma field name → this source's name for it.</summary>
    public IReadOnlyDictionary<string, string> Fields { get; init; } = new Dictionary<string, string>();
    public int Line { get; init; }

    /// <summary>Does this source provide what the rule's logsource asks (every part the rule names)?</summary>
    public bool Provides(LogSourceSpec spec) =>
        (spec.Product is null || spec.Product == Product)
        && (spec.Category is null || spec.Category == Category)
        && (spec.Service is null || spec.Service == Service);
}

/// <summary>
/// The log-source map (logsources.yaml): shipped embedded, replaced by an admin's copy when one
/// exists. A malformed map stops start-up with the file and line (detection cannot route rules without it).
/// </summary>
public sealed class LogSourceMap
{
    public const string EmbeddedName = "Redoubt.Detection.logsources.yaml";

    public required string Origin { get; init; }
    public required JsonFlattening Json { get; init; }
    /// <summary>Feed name → Sigma name it also fills (SourceName → Provider_Name).</summary>
    public required IReadOnlyDictionary<string, string> Aliases { get; init; }
    public required IReadOnlyList<LogSourceEntry> Sources { get; init; }

    public static string EmbeddedText()
    {
        using var stream = typeof(LogSourceMap).Assembly.GetManifestResourceStream(EmbeddedName)
            ?? throw new InvalidOperationException("logsources.yaml is not embedded in the binary");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    public static LogSourceMap Embedded() => Parse(EmbeddedText(), "(built in) logsources.yaml");

    /// <summary>The admin's file when it exists, else the shipped map.</summary>
    public static LogSourceMap Load(string? path)
    {
        if (path is null || !File.Exists(path)) return Embedded();
        return Parse(File.ReadAllText(path), path);
    }

    public static LogSourceMap Parse(string text, string origin)
    {
        var stream = new YamlStream();
        try { stream.Load(new StringReader(text)); }
        catch (YamlException e) { throw new LogSourceMapException($"{origin}:{e.Start.Line}: {e.InnerException?.Message ?? e.Message}"); }
        if (stream.Documents.Count != 1 || stream.Documents[0].RootNode is not YamlMappingNode root)
            throw new LogSourceMapException($"{origin}: expected one YAML mapping with 'json' and 'sources'");

        var json = SigmaReader.Node(root, "json") as YamlMappingNode;
        var flattening = new JsonFlattening
        {
            StripPrefixes = json is null ? [] : Strings(json, "strip_prefixes", origin),
            EmbeddedJson = json is null ? [] : Strings(json, "embedded_json", origin),
        };
        var aliases = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (json is not null && SigmaReader.Node(json, "aliases") is YamlMappingNode a)
            foreach (var (k, v) in a.Children) aliases[Text(k, origin)] = Text(v, origin);

        if (SigmaReader.Node(root, "sources") is not YamlSequenceNode sources)
            throw new LogSourceMapException($"{origin}: 'sources' must be a list");
        var entries = new List<LogSourceEntry>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var node in sources.Children)
        {
            if (node is not YamlMappingNode m) throw new LogSourceMapException($"{origin}:{node.Start.Line}: a source must be a mapping");
            string? Get(string key) => SigmaReader.Node(m, key) is YamlScalarNode s ? s.Value?.Trim().ToLowerInvariant() : null;
            var name = (SigmaReader.Node(m, "name") as YamlScalarNode)?.Value
                ?? throw new LogSourceMapException($"{origin}:{m.Start.Line}: a source needs a name");
            if (!names.Add(name)) throw new LogSourceMapException($"{origin}:{m.Start.Line}: source name '{name}' is used twice");
            var when = SigmaReader.Node(m, "when") ?? throw new LogSourceMapException($"{origin}:{m.Start.Line}: source '{name}' has no 'when'");
            var fields = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            if (SigmaReader.Node(m, "fields") is YamlMappingNode f)
                foreach (var (k, v) in f.Children) fields[Text(k, origin)] = Text(v, origin);
            var entry = new LogSourceEntry
            {
                Name = name, Product = Get("product"), Category = Get("category"), Service = Get("service"),
                When = when, Fields = fields, Line = (int)m.Start.Line,
            };
            if (entry is { Product: null, Category: null, Service: null })
                throw new LogSourceMapException($"{origin}:{m.Start.Line}: source '{name}' provides no product, category or service");
            entries.Add(entry);
        }
        return new LogSourceMap { Origin = origin, Json = flattening, Aliases = aliases, Sources = entries };
    }

    private static string Text(YamlNode node, string origin) =>
        (node as YamlScalarNode)?.Value ?? throw new LogSourceMapException($"{origin}:{node.Start.Line}: expected a name");

    private static List<string> Strings(YamlMappingNode map, string key, string origin) => SigmaReader.Node(map, key) switch
    {
        null => [],
        YamlSequenceNode seq => seq.Children.Select(c => Text(c, origin)).ToList(),
        var other => throw new LogSourceMapException($"{origin}:{other.Start.Line}: '{key}' must be a list"),
    };
}

public sealed class LogSourceMapException(string message) : Exception(message);

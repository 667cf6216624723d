using YamlDotNet.RepresentationModel;

namespace Redoubt.Detection.Rules;

/// <summary>A rule's `logsource`: which events it is meant for. Null parts match any.</summary>
public sealed record LogSourceSpec(string? Product, string? Category, string? Service)
{
    public override string ToString() =>
        string.Join(", ", new[] { ("product", Product), ("category", Category), ("service", Service) }
            .Where(p => p.Item2 is not null).Select(p => $"{p.Item1}: {p.Item2}"));
}

/// <summary>Where a rule came from: a file (relative to the rules folder) or an upload.</summary>
public sealed record RuleOrigin(string File, int Line);

/// <summary>A Sigma detection rule as read from YAML, before compilation.</summary>
public sealed class SigmaRule
{
    public required string Id { get; init; }
    public required string Title { get; init; }
    public string? Name { get; init; }
    public string? Status { get; init; }
    public string? Level { get; init; }
    public string? Description { get; init; }
    public string? Author { get; init; }
    /// <summary>The rule's own `license` field (Sigma spec), when it has one.</summary>
    public string? License { get; init; }
    public IReadOnlyList<string> References { get; init; } = [];
    public IReadOnlyList<string> Tags { get; init; } = [];
    public required LogSourceSpec LogSource { get; init; }
    public required YamlMappingNode Detection { get; init; }
    public required RuleOrigin Origin { get; init; }
    /// <summary>Attribution the rule's licence asks alerts to carry (SigmaHQ rules: DRL 1.1), set by the folder reader.</summary>
    public RuleLicence? Licence { get; set; }
}

/// <summary>
/// How a rule is licensed, for alert output. The Detection Rule License 1.1 asks that messages based
/// on matches keep the rule's author; the link and notice say where the rule and licence come from.
/// </summary>
public sealed record RuleLicence(string Name, string Notice, string? Link)
{
    public const string DrlFile = "LICENSE.Detection.Rules.md";
    public const string SigmaHqBase = "https://github.com/SigmaHQ/sigma/blob/master/";

    public static RuleLicence Drl(string? upstreamPath) => new("DRL-1.1",
        "This rule is from SigmaHQ and licensed under the Detection Rule License 1.1 (https://github.com/SigmaHQ/Detection-Rule-License); its author is credited in rule.author.",
        upstreamPath is null ? "https://github.com/SigmaHQ/sigma" : SigmaHqBase + upstreamPath.Replace('\\', '/'));

    /// <summary>The folder holding the DRL text at or above <paramref name="directory"/> (three levels at most), or null.</summary>
    public static string? FindDrlRoot(string directory)
    {
        var dir = new DirectoryInfo(Path.GetFullPath(directory));
        for (var i = 0; i < 4 && dir is not null; i++, dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, DrlFile))) return dir.FullName;
        return null;
    }
}

/// <summary>A Sigma filter (filters specification v2): extra exclusions for named rules.</summary>
public sealed class SigmaFilter
{
    public required string Id { get; init; }
    public required string Title { get; init; }
    public required LogSourceSpec LogSource { get; init; }
    /// <summary>Rule ids or names the filter applies to.</summary>
    public required IReadOnlyList<string> Rules { get; init; }
    /// <summary>The `filter` mapping: selections plus `condition` (the `rules` key is skipped when compiling).</summary>
    public required YamlMappingNode Detection { get; init; }
    public required RuleOrigin Origin { get; init; }
}

/// <summary>A rule or filter that did not load, and exactly why.</summary>
public sealed record RuleLoadError(string File, int Line, int Column, string Code, string Message, string? RuleId, string? Title);

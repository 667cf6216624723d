using Redoubt.Detection.Rules;

namespace Redoubt.Detection.Correlation;

/// <summary>The four correlation types of the Sigma correlation specification (v2).</summary>
public enum CorrelationType { EventCount, ValueCount, Temporal, TemporalOrdered }

/// <summary>
/// A count condition: the count must lie in [Min, Max] (gt/gte set Min, lt/lte set Max, eq both).
/// A condition with an upper bound can only be decided once its window has closed.
/// </summary>
public sealed record CountCondition(long Min, long Max)
{
    public static readonly CountCondition Any = new(1, long.MaxValue);
    public bool HasUpperBound => Max != long.MaxValue;
    public bool Holds(long count) => count >= Min && count <= Max;

    public override string ToString() =>
        Min == Max ? $"eq {Min}" : HasUpperBound ? $"{Min}..{Max}" : $"gte {Min}";
}

/// <summary>A Sigma correlation rule as read from YAML, before its references are resolved.</summary>
public sealed class CorrelationRule
{
    public required string Id { get; init; }
    public required string Title { get; init; }
    public string? Name { get; init; }
    public string? Status { get; init; }
    public string? Level { get; init; }
    public string? Description { get; init; }
    public string? Author { get; init; }
    public string? License { get; init; }
    public IReadOnlyList<string> References { get; init; } = [];
    public IReadOnlyList<string> Tags { get; init; } = [];
    public required CorrelationType Type { get; init; }
    /// <summary>Ids or names of the rules (or correlations) it correlates, in order (order matters for temporal_ordered).</summary>
    public required IReadOnlyList<string> Rules { get; init; }
    public IReadOnlyList<string> GroupBy { get; init; } = [];
    public required long TimespanMs { get; init; }
    public required string Timespan { get; init; }
    public required CountCondition Condition { get; init; }
    /// <summary>value_count: the field whose distinct values are counted (several: their combination).</summary>
    public IReadOnlyList<string> ValueFields { get; init; } = [];
    /// <summary>alias → (rule name → field name in that rule's events).</summary>
    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> Aliases { get; init; } =
        new Dictionary<string, IReadOnlyDictionary<string, string>>();
    /// <summary>Whether the rules it references also raise alerts of their own (Sigma default: no).</summary>
    public bool Generate { get; init; }
    public required RuleOrigin Origin { get; init; }
    public RuleLicence? Licence { get; set; }
}

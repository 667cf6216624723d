using System.Diagnostics;
using Redoubt.Detection.Matching;
using Redoubt.Detection.Rules;

namespace Redoubt.Detection.Engine;

/// <summary>Per-rule counters, written by the detection task and read by the API.</summary>
public sealed class RuleCounters
{
    internal long Evaluations, Matches, SampledEvaluations, SampledTicks;

    public long EvaluationCount => Volatile.Read(ref Evaluations);
    public long MatchCount => Volatile.Read(ref Matches);

    /// <summary>Mean cost of one evaluation, from a 1-in-16 sample (timing every call would double the cost).</summary>
    public double MeanEvaluationNs
    {
        get
        {
            var n = Volatile.Read(ref SampledEvaluations);
            return n == 0 ? 0 : Volatile.Read(ref SampledTicks) * (1e9 / Stopwatch.Frequency) / n;
        }
    }
}

/// <summary>A rule ready to run: its condition compiled, its log sources and gate resolved.</summary>
public sealed class CompiledRule
{
    public required int Index { get; init; }
    public required SigmaRule Rule { get; init; }
    public required Node Root { get; init; }
    /// <summary>Indices of the log sources that provide this rule's logsource.</summary>
    public required int[] Sources { get; init; }
    /// <summary>Filters (ids) applied to this rule.</summary>
    public IReadOnlyList<string> Filters { get; init; } = [];
    /// <summary>Literals of the pre-filter, for the rule listing; empty when the rule runs on every event of its sources.</summary>
    public IReadOnlyList<Atom> Gate { get; init; } = [];
    public RuleCounters Counters { get; } = new();
    public IReadOnlyList<RegexMatcher> Regexes { get; init; } = [];
    /// <summary>Whether a hit raises an alert of its own (false when only correlations without `generate: true` use the rule).</summary>
    public bool Generates { get; init; } = true;
    /// <summary>Correlations (and which of their inputs) fed by this rule's hits.</summary>
    public IReadOnlyList<(int Correlation, int Input)> Consumers { get; init; } = [];
    /// <summary>Fields (Sigma names and field ids) whose values correlations need from this rule's hits.</summary>
    public IReadOnlyList<(string Name, int FieldId)> CorrelationFields { get; init; } = [];
    /// <summary>An admin can disable a rule (state store); a disabled rule is not evaluated.</summary>
    public volatile bool Enabled = true;
}

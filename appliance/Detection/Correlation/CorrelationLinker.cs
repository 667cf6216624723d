using Redoubt.Detection.Compile;
using Redoubt.Detection.Rules;

namespace Redoubt.Detection.Correlation;

/// <summary>
/// Resolves correlation references (by id or name, to Sigma rules or other correlations, in any
/// loaded file), works out which field of each input's hits carries each group-by value (aliases
/// applied), and which rules still raise alerts of their own (`generate`). A correlation that names
/// a rule that is not loaded, forms a cycle, or groups by a value an input cannot carry is a load error.
/// </summary>
public static class CorrelationLinker
{
    public sealed class Links(int ruleCount)
    {
        public List<CompiledCorrelation> Correlations { get; } = [];
        public bool[] RuleGenerates { get; } = Enumerable.Repeat(true, ruleCount).ToArray();
        public List<(int, int)>[] RuleConsumers { get; } = Enumerable.Range(0, ruleCount).Select(_ => new List<(int, int)>()).ToArray();
        public List<(string Name, int FieldId)>[] RuleFields { get; } = Enumerable.Range(0, ruleCount).Select(_ => new List<(string, int)>()).ToArray();
    }

    private enum Mark { None, Visiting, Done, Failed }

    public static Links Link(IReadOnlyList<CorrelationRule> correlations, IReadOnlyList<SigmaRule> rules, FieldTable fields, List<RuleLoadError> errors)
    {
        var links = new Links(rules.Count);
        var ruleRefs = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < rules.Count; i++)
        {
            ruleRefs.TryAdd(rules[i].Id, i);
            if (rules[i].Name is { Length: > 0 } n) ruleRefs.TryAdd(n, i);
        }
        var corrRefs = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < correlations.Count; i++)
        {
            corrRefs.TryAdd(correlations[i].Id, i);
            if (correlations[i].Name is { Length: > 0 } n) corrRefs.TryAdd(n, i);
        }

        var marks = new Mark[correlations.Count];
        var compiledOf = new int[correlations.Count];
        for (var i = 0; i < correlations.Count; i++) Resolve(i);

        // generate: a rule (or correlation) used by correlations raises its own alerts only when one of them asks.
        var ruleUsed = new bool[rules.Count];
        var ruleAsked = new bool[rules.Count];
        var corrUsed = new bool[links.Correlations.Count];
        var corrAsked = new bool[links.Correlations.Count];
        foreach (var c in links.Correlations)
            foreach (var input in c.Inputs)
            {
                if (input.IsCorrelation) { corrUsed[input.Index] = true; corrAsked[input.Index] |= c.Rule.Generate; }
                else { ruleUsed[input.Index] = true; ruleAsked[input.Index] |= c.Rule.Generate; }
            }
        for (var r = 0; r < rules.Count; r++) links.RuleGenerates[r] = !ruleUsed[r] || ruleAsked[r];
        for (var c = 0; c < links.Correlations.Count; c++) links.Correlations[c].Generates = !corrUsed[c] || corrAsked[c];
        return links;

        // Depth-first so that a correlation's inputs are compiled before it (chains), cycles found on the way.
        bool Resolve(int i)
        {
            switch (marks[i])
            {
                case Mark.Done: return true;
                case Mark.Failed: return false;
                case Mark.Visiting:
                    Fail(i, ErrorCodes.InvalidField, "correlation rules refer to each other in a cycle");
                    return false;
            }
            marks[i] = Mark.Visiting;
            var c = correlations[i];
            var inputs = new List<CorrelationInput>();
            foreach (var reference in c.Rules)
            {
                if (ruleRefs.TryGetValue(reference, out var r))
                {
                    var rule = rules[r];
                    var group = c.GroupBy.Select(g => FieldFor(c, g, reference, rule.Name)).ToArray();
                    inputs.Add(new CorrelationInput(false, r, reference, rule.Id, group, c.ValueFields.ToArray()));
                    continue;
                }
                if (corrRefs.TryGetValue(reference, out var inner))
                {
                    if (inner == i) { Fail(i, ErrorCodes.InvalidField, "a correlation cannot correlate itself"); return false; }
                    if (!Resolve(inner))
                    {
                        if (marks[i] != Mark.Failed) Fail(i, ErrorCodes.UnknownRule, $"correlation '{reference}' it refers to did not load");
                        return false;
                    }
                    var innerRule = correlations[inner];
                    var carried = new HashSet<string>(innerRule.GroupBy, StringComparer.OrdinalIgnoreCase);
                    var group = c.GroupBy.Select(g => FieldFor(c, g, reference, innerRule.Name)).ToArray();
                    var missing = group.Concat(c.ValueFields).FirstOrDefault(f => !carried.Contains(f));
                    if (missing is not null)
                    {
                        Fail(i, ErrorCodes.InvalidField,
                            $"'{missing}' is not carried by the hits of correlation '{reference}', which groups by [{string.Join(", ", innerRule.GroupBy)}]");
                        return false;
                    }
                    inputs.Add(new CorrelationInput(true, compiledOf[inner], reference, innerRule.Id, group, c.ValueFields.ToArray()));
                    continue;
                }
                Fail(i, ErrorCodes.UnknownRule, $"rule '{reference}' is not loaded (no loaded rule or correlation has this id or name)");
                return false;
            }
            foreach (var (alias, perRule) in c.Aliases)
            {
                if (!c.GroupBy.Contains(alias, StringComparer.Ordinal))
                {
                    Fail(i, ErrorCodes.InvalidField, $"alias '{alias}' is not used in group-by");
                    return false;
                }
                var named = perRule.Keys.FirstOrDefault(n => !c.Rules.Contains(n, StringComparer.OrdinalIgnoreCase)
                    && !inputs.Any(x => x.RuleId.Equals(n, StringComparison.OrdinalIgnoreCase) || NameOf(x).Equals(n, StringComparison.OrdinalIgnoreCase)));
                if (named is not null)
                {
                    Fail(i, ErrorCodes.InvalidField, $"alias '{alias}' names rule '{named}', which the correlation does not use");
                    return false;
                }
            }

            var compiled = new CompiledCorrelation { Index = links.Correlations.Count, Rule = c, Inputs = inputs.ToArray() };
            compiledOf[i] = compiled.Index;
            links.Correlations.Add(compiled);
            for (var k = 0; k < compiled.Inputs.Length; k++)
            {
                var input = compiled.Inputs[k];
                if (input.IsCorrelation) links.Correlations[input.Index].Consumers.Add((compiled.Index, k));
                else
                {
                    links.RuleConsumers[input.Index].Add((compiled.Index, k));
                    var own = links.RuleFields[input.Index];
                    foreach (var f in input.GroupFields.Concat(input.ValueFields))
                        if (!own.Any(x => x.Name.Equals(f, StringComparison.OrdinalIgnoreCase))) own.Add((f, fields.Intern(f)));
                }
            }
            marks[i] = Mark.Done;
            return true;
        }

        string NameOf(CorrelationInput x) =>
            x.IsCorrelation ? links.Correlations[x.Index].Rule.Name ?? "" : rules[x.Index].Name ?? "";

        void Fail(int i, string code, string message)
        {
            marks[i] = Mark.Failed;
            var c = correlations[i];
            errors.Add(new RuleLoadError(c.Origin.File, c.Origin.Line, 0, code, message, c.Id, c.Title));
        }
    }

    /// <summary>The field of an input's hits that carries group-by entry <paramref name="group"/>: its alias for that rule, or the name itself.</summary>
    private static string FieldFor(CorrelationRule c, string group, string reference, string? name)
    {
        if (!c.Aliases.TryGetValue(group, out var perRule)) return group;
        foreach (var (rule, field) in perRule)
            if (rule.Equals(reference, StringComparison.OrdinalIgnoreCase) || (name is not null && rule.Equals(name, StringComparison.OrdinalIgnoreCase)))
                return field;
        return group;
    }
}

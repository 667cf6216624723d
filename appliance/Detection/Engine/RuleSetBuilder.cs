using Redoubt.Detection.Compile;
using Redoubt.Detection.Correlation;
using Redoubt.Detection.Events;
using Redoubt.Detection.LogSources;
using Redoubt.Detection.Matching;
using Redoubt.Detection.Rules;

namespace Redoubt.Detection.Engine;

/// <summary>
/// Compiles the log-source map and every rule and filter read into one <see cref="RuleSet"/>.
/// A rule that does not compile, or that no log source provides, is listed with its error and
/// left out; everything else loads.
/// </summary>
public static class RuleSetBuilder
{
    public static RuleSet Build(LogSourceMap map, IEnumerable<SigmaFile> files, IReadOnlyDictionary<string, IReadOnlyList<string>>? placeholders = null)
    {
        var fieldTable = new FieldTable();
        var ctx = new CompileContext(fieldTable, placeholders ?? new Dictionary<string, IReadOnlyList<string>>());
        var errors = new List<RuleLoadError>();

        // Log sources first: their conditions use the same compiler.
        var whens = new List<Node>();
        foreach (var entry in map.Sources)
        {
            try { whens.Add(RuleCompiler.Selection(entry.When, ctx)); }
            catch (RuleException e)
            {
                throw new LogSourceMapException($"{map.Origin}:{(e.Line > 0 ? e.Line : entry.Line)}: source '{entry.Name}': {e.Message}");
            }
        }

        var rules = new List<SigmaRule>();
        var filters = new List<SigmaFilter>();
        var correlations = new List<CorrelationRule>();
        var seen = new Dictionary<string, RuleOrigin>(StringComparer.OrdinalIgnoreCase);
        foreach (var file in files)
        {
            errors.AddRange(file.Errors);
            foreach (var rule in file.Rules)
            {
                if (seen.TryGetValue(rule.Id, out var first))
                {
                    errors.Add(new RuleLoadError(rule.Origin.File, rule.Origin.Line, 0, ErrorCodes.DuplicateId,
                        $"rule id {rule.Id} is already used by {first.File}:{first.Line}", rule.Id, rule.Title));
                    continue;
                }
                seen[rule.Id] = rule.Origin;
                rules.Add(rule);
            }
            filters.AddRange(file.Filters);
            foreach (var correlation in file.Correlations)
            {
                if (seen.TryGetValue(correlation.Id, out var first))
                {
                    errors.Add(new RuleLoadError(correlation.Origin.File, correlation.Origin.Line, 0, ErrorCodes.DuplicateId,
                        $"rule id {correlation.Id} is already used by {first.File}:{first.Line}", correlation.Id, correlation.Title));
                    continue;
                }
                seen[correlation.Id] = correlation.Origin;
                correlations.Add(correlation);
            }
        }

        var compiled = new List<(SigmaRule Rule, Node Root, int[] Sources, List<string> Filters)>();
        foreach (var rule in rules)
        {
            try
            {
                if (rule.Status is "unsupported")
                    throw new RuleException(ErrorCodes.Unsupported, "status 'unsupported': the rule's authors mark it as not usable as written");
                var root = RuleCompiler.CompileDetection(rule.Detection, ctx);
                var sources = Enumerable.Range(0, map.Sources.Count).Where(i => map.Sources[i].Provides(rule.LogSource)).ToArray();
                if (sources.Length == 0)
                    throw new RuleException(ErrorCodes.NoLogSource,
                        $"no log source provides logsource ({rule.LogSource}); add one to logsources.yaml (see docs/detection.md)");
                compiled.Add((rule, root, sources, []));
            }
            catch (RuleException e)
            {
                errors.Add(new RuleLoadError(rule.Origin.File, e.Line > 0 ? e.Line : rule.Origin.Line, e.Column, e.Code, e.Message, rule.Id, rule.Title));
            }
        }

        // Filters: `rule and not filter` for each rule they name, when the logsources agree.
        var filterStates = new List<FilterState>();
        foreach (var filter in filters)
        {
            Node node;
            try { node = RuleCompiler.CompileDetection(filter.Detection, ctx, "rules"); }
            catch (RuleException e)
            {
                errors.Add(new RuleLoadError(filter.Origin.File, e.Line > 0 ? e.Line : filter.Origin.Line, e.Column, e.Code, e.Message, filter.Id, filter.Title));
                continue;
            }
            var applied = new List<string>();
            var missing = new List<string>();
            foreach (var reference in filter.Rules)
            {
                var index = compiled.FindIndex(c => c.Rule.Id.Equals(reference, StringComparison.OrdinalIgnoreCase) || c.Rule.Name == reference);
                if (index < 0 || !Covers(filter.LogSource, compiled[index].Rule.LogSource)) { missing.Add(reference); continue; }
                var c = compiled[index];
                c.Filters.Add(filter.Id);
                compiled[index] = (c.Rule, new AndNode([c.Root, new NotNode(node)]), c.Sources, c.Filters);
                applied.Add(c.Rule.Id);
            }
            filterStates.Add(new FilterState(filter, applied, missing));
        }

        // Correlations: references resolved, the fields their inputs must carry interned before slots are laid out.
        var links = CorrelationLinker.Link(correlations, compiled.Select(c => c.Rule).ToList(), fieldTable, errors);

        // Slots: every name an event must be read under.
        var slots = new FieldNames();
        var identity = fieldTable.Names.Select(slots.Intern).ToArray();
        var sourceSlots = map.Sources.Select(entry => fieldTable.Names
            .Select(name => slots.Intern(entry.Fields.TryGetValue(name, out var feed) ? feed : name)).ToArray()).ToArray();
        foreach (var (feed, sigma) in map.Aliases)
            slots.SetAlias(slots.Intern(feed), slots.Intern(sigma));
        var entitySlots = RuleSet.EntityFields.SelectMany(e => e.Fields).Select(slots.Intern).ToArray();
        var iocSlots = Iocs.IocIndex.Fields.Select(f => (slots.Intern(f.Field), f.Field, f.Kind)).ToArray();

        // Gates, preferring literals few rules share.
        var gates = new GateBuilder();
        foreach (var c in compiled) gates.Count(c.Root);
        var words = (compiled.Count + 63) / 64;
        var ungatedRules = new ulong[Math.Max(1, words)];
        var ruleAtoms = new List<(int, int, AtomKind, string)>();
        var compiledRules = new List<CompiledRule>();
        for (var i = 0; i < compiled.Count; i++)
        {
            var c = compiled[i];
            var gate = gates.Derive(c.Root);
            if (gate is null) ungatedRules[i >> 6] |= 1UL << i;
            else
                foreach (var atom in gate)
                    foreach (var s in c.Sources)
                        ruleAtoms.Add((i, atom.FieldId < 0 ? FieldNames.Keywords : sourceSlots[s][atom.FieldId], atom.Kind, atom.Text));
            compiledRules.Add(new CompiledRule
            {
                Index = i, Rule = c.Rule, Root = c.Root, Sources = c.Sources, Filters = c.Filters,
                Gate = gate ?? [], Regexes = Regexes(c.Root).ToList(),
                Generates = links.RuleGenerates[i],
                Consumers = links.RuleConsumers[i],
                CorrelationFields = links.RuleFields[i],
            });
        }

        var sourceGates = new GateBuilder();
        foreach (var w in whens) sourceGates.Count(w);
        var ungatedSources = new ulong[(map.Sources.Count + 63) / 64 + 1];
        var sourceAtoms = new List<(int, int, AtomKind, string)>();
        var compiledSources = new RuleSet.Source[map.Sources.Count];
        for (var s = 0; s < map.Sources.Count; s++)
        {
            var gate = sourceGates.Derive(whens[s]);
            if (gate is null) ungatedSources[s >> 6] |= 1UL << s;
            else sourceAtoms.AddRange(gate.Select(a => (s, a.FieldId < 0 ? FieldNames.Keywords : identity[a.FieldId], a.Kind, a.Text)));
            var applicable = new ulong[Math.Max(1, words)];
            foreach (var r in compiledRules)
                if (r.Sources.Contains(s)) applicable[r.Index >> 6] |= 1UL << r.Index;
            compiledSources[s] = new RuleSet.Source
            {
                Entry = map.Sources[s], When = whens[s], SlotOf = sourceSlots[s], Rules = applicable,
                KeywordRules = compiledRules.Any(r => r.Sources.Contains(s) && UsesKeywords(r.Root)),
            };
        }

        return new RuleSet
        {
            Map = map,
            Rules = compiledRules,
            Errors = errors,
            Filters = filterStates,
            Correlations = links.Correlations,
            Slots = slots,
            SigmaFields = fieldTable,
            Keywords = compiled.Any(c => UsesKeywords(c.Root)),
            Sources = compiledSources,
            IdentitySlots = identity,
            SourceIndex = new LiteralIndex(sourceAtoms),
            UngatedSources = ungatedSources,
            RuleIndex = new LiteralIndex(ruleAtoms),
            UngatedRules = ungatedRules,
            EntitySlots = entitySlots,
            IocSlots = iocSlots,
            KeywordsInSources = whens.Any(UsesKeywords),
        };
    }

    /// <summary>A filter's logsource covers a rule's when every part the filter names is the rule's.</summary>
    private static bool Covers(LogSourceSpec filter, LogSourceSpec rule) =>
        (filter.Product is null || filter.Product == rule.Product)
        && (filter.Category is null || filter.Category == rule.Category)
        && (filter.Service is null || filter.Service == rule.Service);

    private static bool UsesKeywords(Node node) => node switch
    {
        FieldItem f => f.FieldId < 0,
        AndNode a => a.Children.Any(UsesKeywords),
        OrNode o => o.Children.Any(UsesKeywords),
        NotNode n => UsesKeywords(n.Child),
        _ => false,
    };

    private static IEnumerable<RegexMatcher> Regexes(Node node) => node switch
    {
        FieldItem f => f.Values.OfType<RegexMatcher>(),
        AndNode a => a.Children.SelectMany(Regexes),
        OrNode o => o.Children.SelectMany(Regexes),
        NotNode n => Regexes(n.Child),
        _ => [],
    };
}

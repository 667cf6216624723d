using Redoubt.Detection.Compile;
using Redoubt.Detection.Events;
using Redoubt.Detection.Matching;
using Redoubt.Detection.Rules;
using Redoubt.Storage.Graph;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Redoubt.Graph.Extraction;

/// <summary>
/// The extraction rules in force: the files shipped in the binary, each replaced by an admin's file of
/// the same name in the rules folder (/etc/redoubt/extraction), plus the admin's other files. Compiled
/// once at start: Sigma selections for when/unless/where (the detection compiler, every modifier),
/// token patterns, key templates, one slot table for every field any rule reads. A rule that does not
/// compile is left out and listed with its file, line and reason; the others load.
/// </summary>
public sealed class ExtractionRuleSet
{
    public const string ResourcePrefix = "Redoubt.Graph.Extraction.Rules.";

    public required IReadOnlyList<ExtractionRule> Rules { get; init; }
    public required IReadOnlyList<ExtractionLoadError> Errors { get; init; }
    /// <summary>Every file read, in load order, with where it came from ("built in" or its path).</summary>
    public required IReadOnlyList<(string Name, string Origin, int Rules)> Files { get; init; }
    public required FieldNames Slots { get; init; }
    public required JsonFlattening Json { get; init; }

    /// <summary>The shipped rule files: name → YAML text.</summary>
    public static IReadOnlyList<(string Name, string Text)> Shipped()
    {
        var assembly = typeof(ExtractionRuleSet).Assembly;
        var files = new List<(string, string)>();
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var reader = new StreamReader(stream);
            files.Add((resource[ResourcePrefix.Length..], reader.ReadToEnd()));
        }
        return files;
    }

    /// <summary>Shipped files, each replaced by <paramref name="folder"/>'s file of the same name, plus that folder's others.</summary>
    public static ExtractionRuleSet Load(string? folder, bool shipped = true)
    {
        var files = new List<(string Name, string Origin, string Text)>();
        if (shipped) files.AddRange(Shipped().Select(f => (f.Name, "built in", f.Text)));
        var errors = new List<ExtractionLoadError>();
        if (folder is not null && Directory.Exists(folder))
        {
            foreach (var path in Directory.EnumerateFiles(folder).Where(p => p.EndsWith(".yaml", StringComparison.Ordinal) || p.EndsWith(".yml", StringComparison.Ordinal)).Order(StringComparer.Ordinal))
            {
                var name = Path.GetFileName(path);
                string text;
                try { text = File.ReadAllText(path); }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    errors.Add(new ExtractionLoadError(path, 0, null, "cannot read: " + e.Message));
                    continue;
                }
                files.RemoveAll(f => f.Name == name);
                files.Add((name, path, text));
            }
        }
        return Compile(files, errors);
    }

    /// <summary>Compiles rule files given as text (tests and `redoubt extraction check` use it directly).</summary>
    public static ExtractionRuleSet Compile(IReadOnlyList<(string Name, string Origin, string Text)> files, List<ExtractionLoadError>? errors = null)
    {
        errors ??= [];
        var builder = new Builder(errors);
        var loaded = new List<(string, string, int)>();
        foreach (var (name, origin, text) in files)
        {
            var label = origin == "built in" ? name : origin;
            var before = builder.Rules.Count;
            builder.ReadFile(label, text);
            loaded.Add((name, origin, builder.Rules.Count - before));
        }
        return builder.Finish(loaded);
    }

    private sealed class Builder(List<ExtractionLoadError> errors)
    {
        public readonly List<ExtractionRule> Rules = [];
        private readonly FieldTable _sigmaFields = new();
        private readonly FieldNames _slots = new();
        private readonly List<string> _stripPrefixes = [];
        private readonly Dictionary<string, string> _aliases = new(StringComparer.OrdinalIgnoreCase);
        private readonly Dictionary<string, string> _ids = new(StringComparer.Ordinal);
        // Per rule under construction: capture name → its private slot.
        private Dictionary<string, int> _captures = new(StringComparer.OrdinalIgnoreCase);
        private readonly List<Dictionary<string, int>> _capturesByRule = [];

        private CompileContext Ctx => _ctxLazy ??= new CompileContext(_sigmaFields, new Dictionary<string, IReadOnlyList<string>>());
        private CompileContext? _ctxLazy;

        public void ReadFile(string file, string text)
        {
            var stream = new YamlStream();
            try { stream.Load(new StringReader(text)); }
            catch (YamlException e)
            {
                errors.Add(new ExtractionLoadError(file, (int)e.Start.Line, null, "not valid YAML: " + (e.InnerException?.Message ?? e.Message)));
                return;
            }
            if (stream.Documents.Count == 0) return; // an empty file: a shipped file replaced by nothing is switched off
            if (stream.Documents.Count != 1 || stream.Documents[0].RootNode is not YamlMappingNode root)
            {
                errors.Add(new ExtractionLoadError(file, 1, null, "expected one YAML mapping with 'rules' (and optionally 'json')"));
                return;
            }
            foreach (var (k, _) in root.Children)
                if (k is not YamlScalarNode { Value: "rules" or "json" })
                    errors.Add(new ExtractionLoadError(file, (int)k.Start.Line, null, $"unknown top-level key '{(k as YamlScalarNode)?.Value}' (expected rules, json)"));
            if (SigmaReader.Node(root, "json") is { } json) ReadJson(file, json);
            switch (SigmaReader.Node(root, "rules"))
            {
                case null: return;
                case YamlSequenceNode list:
                    foreach (var item in list.Children) ReadRule(file, item);
                    return;
                case var other:
                    errors.Add(new ExtractionLoadError(file, (int)other.Start.Line, null, "'rules' must be a list"));
                    return;
            }
        }

        private void ReadJson(string file, YamlNode json)
        {
            if (json is not YamlMappingNode map) { errors.Add(new ExtractionLoadError(file, (int)json.Start.Line, null, "'json' must be a mapping")); return; }
            foreach (var (k, v) in map.Children)
            {
                switch ((k as YamlScalarNode)?.Value)
                {
                    case "strip_prefixes" when v is YamlSequenceNode seq:
                        foreach (var p in seq.Children.OfType<YamlScalarNode>())
                            if (p.Value is { Length: > 0 } prefix && !_stripPrefixes.Contains(prefix)) _stripPrefixes.Add(prefix);
                        break;
                    case "aliases" when v is YamlMappingNode aliases:
                        foreach (var (from, to) in aliases.Children)
                            if (from is YamlScalarNode { Value: { } f } && to is YamlScalarNode { Value: { } t }) _aliases[f] = t;
                        break;
                    default:
                        errors.Add(new ExtractionLoadError(file, (int)k.Start.Line, null, "json: expected strip_prefixes (a list) and aliases (a mapping)"));
                        break;
                }
            }
        }

        private void ReadRule(string file, YamlNode item)
        {
            var line = (int)item.Start.Line;
            if (item is not YamlMappingNode m) { errors.Add(new ExtractionLoadError(file, line, null, "a rule must be a mapping")); return; }
            var id = Scalar(m, "id");
            try
            {
                if (string.IsNullOrWhiteSpace(id)) throw new RuleLoad("a rule needs an id", line);
                if (_ids.TryGetValue(id, out var first)) throw new RuleLoad($"rule id '{id}' is already used by {first}", line);
                foreach (var (k, _) in m.Children)
                    if (k is not YamlScalarNode { Value: "id" or "description" or "when" or "unless" or "parse" or "where" or "nodes" or "edges" })
                        throw new RuleLoad($"unknown key '{(k as YamlScalarNode)?.Value}' (expected id, description, when, unless, parse, where, nodes, edges)", (int)k.Start.Line);
                _captures = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
                var ruleIndex = Rules.Count;
                var when = Selection(m, "when", required: true)!;
                var unless = Selection(m, "unless", required: false);
                var parse = ReadParse(m, ruleIndex);
                var where = Selection(m, "where", required: false);
                var nodes = ReadNodes(m);
                var edges = ReadEdges(m, nodes);
                _ids[id] = $"{file}:{line}";
                _capturesByRule.Add(_captures);
                Rules.Add(new ExtractionRule
                {
                    Id = id, Description = Scalar(m, "description"), File = file, Line = line,
                    When = when, Unless = unless, Parse = parse, Where = where, Nodes = nodes, Edges = edges,
                });
            }
            catch (RuleLoad e) { errors.Add(new ExtractionLoadError(file, e.Line > 0 ? e.Line : line, id, e.Message)); }
        }

        private Node? Selection(YamlMappingNode m, string key, bool required)
        {
            var node = SigmaReader.Node(m, key);
            if (node is null)
                return required ? throw new RuleLoad($"'{key}' is missing: which events does the rule apply to?", (int)m.Start.Line) : null;
            if (node is not (YamlMappingNode or YamlSequenceNode) || node is YamlSequenceNode s && s.Children.Any(c => c is not YamlMappingNode))
                throw new RuleLoad($"'{key}' must be a Sigma selection: a map of field conditions, or a list of such maps (OR)", (int)node.Start.Line);
            try
            {
                var compiled = RuleCompiler.Selection(node, Ctx);
                foreach (var name in _sigmaFields.Names) _slots.Intern(name);
                return compiled;
            }
            catch (RuleException e) { throw new RuleLoad($"{key}: {e.Message}", e.Line > 0 ? e.Line : (int)node.Start.Line); }
        }

        private RuleParse? ReadParse(YamlMappingNode m, int ruleIndex)
        {
            if (SigmaReader.Node(m, "parse") is not { } node) return null;
            if (node is not YamlMappingNode p) throw new RuleLoad("'parse' must be a mapping (field, pattern/patterns or csv)", (int)node.Start.Line);
            foreach (var (k, _) in p.Children)
                if (k is not YamlScalarNode { Value: "field" or "pattern" or "patterns" or "csv" })
                    throw new RuleLoad($"parse: unknown key '{(k as YamlScalarNode)?.Value}' (expected field, pattern, patterns, csv)", (int)k.Start.Line);
            var field = Scalar(p, "field") ?? ExtractionEventReader.Message;
            var fieldSlot = _slots.Intern(field);
            var patternTexts = new List<(string, int)>();
            if (SigmaReader.Node(p, "pattern") is YamlScalarNode { Value: { } one } single) patternTexts.Add((one, (int)single.Start.Line));
            if (SigmaReader.Node(p, "patterns") is { } many)
            {
                if (many is not YamlSequenceNode seq || seq.Children.Any(c => c is not YamlScalarNode))
                    throw new RuleLoad("parse.patterns must be a list of patterns", (int)many.Start.Line);
                patternTexts.AddRange(seq.Children.Cast<YamlScalarNode>().Select(c => (c.Value ?? "", (int)c.Start.Line)));
            }
            var csvNode = SigmaReader.Node(p, "csv");
            if (patternTexts.Count > 0 == csvNode is not null)
                throw new RuleLoad("parse needs exactly one of pattern(s) or csv", (int)p.Start.Line);
            if (csvNode is not null)
            {
                if (csvNode is not YamlSequenceNode cols || cols.Children.Any(c => c is not YamlScalarNode))
                    throw new RuleLoad("parse.csv must be a list of column names ('_' for a column not kept)", (int)csvNode.Start.Line);
                var slots = cols.Children.Cast<YamlScalarNode>().Select(c => c.Value is null or "_" or "" ? -1 : Capture(c.Value, ruleIndex)).ToArray();
                return new RuleParse { FieldSlot = fieldSlot, FieldName = field, CsvSlots = slots };
            }
            var patterns = new List<TokenPattern>();
            var patternSlots = new List<int[]>();
            foreach (var (text, line) in patternTexts)
            {
                TokenPattern pattern;
                try { pattern = TokenPattern.Compile(text); }
                catch (FormatException e) { throw new RuleLoad($"pattern '{text}': {e.Message}", line); }
                patterns.Add(pattern);
                patternSlots.Add(pattern.Captures.Select(c => Capture(c, ruleIndex)).ToArray());
            }
            return new RuleParse { FieldSlot = fieldSlot, FieldName = field, Patterns = patterns, PatternSlots = patternSlots };
        }

        /// <summary>A capture's private slot: a name no event field can have, so rules never see each other's values.</summary>
        private int Capture(string name, int ruleIndex)
        {
            if (_captures.TryGetValue(name, out var slot)) return slot;
            slot = _slots.Intern($"\u0001{ruleIndex}\u0001{name}");
            _captures[name] = slot;
            return slot;
        }

        private int SlotOfName(string name) => _captures.TryGetValue(name, out var slot) ? slot : _slots.Intern(name);

        private RuleNode[] ReadNodes(YamlMappingNode m)
        {
            if (SigmaReader.Node(m, "nodes") is not YamlMappingNode map || map.Children.Count == 0)
                throw new RuleLoad("'nodes' must be a mapping of name → {kind, key}", (int)(SigmaReader.Node(m, "nodes")?.Start.Line ?? m.Start.Line));
            var nodes = new List<RuleNode>();
            foreach (var (k, v) in map.Children)
            {
                var name = (k as YamlScalarNode)?.Value ?? throw new RuleLoad("a node name must be text", (int)k.Start.Line);
                var line = (int)v.Start.Line;
                if (v is not YamlMappingNode spec) throw new RuleLoad($"node '{name}' must be a mapping with kind and key", line);
                foreach (var (sk, _) in spec.Children)
                    if (sk is not YamlScalarNode { Value: "kind" or "key" or "properties" or "each" })
                        throw new RuleLoad($"node '{name}': unknown key '{(sk as YamlScalarNode)?.Value}' (expected kind, key, properties, each)", (int)sk.Start.Line);
                var kindName = Scalar(spec, "kind");
                if (kindName is null || !GraphSchema.TryParseNodeKind(kindName, out var kind))
                    throw new RuleLoad($"node '{name}': kind must be one of {string.Join(", ", GraphSchema.NodeKinds.Select(GraphSchema.Name))}", line);
                var keyText = Scalar(spec, "key") ?? throw new RuleLoad($"node '{name}' has no key", line);
                var key = Template(keyText, $"node '{name}' key", line);
                var properties = new List<(string, KeyTemplate)>();
                if (SigmaReader.Node(spec, "properties") is { } props)
                {
                    if (props is not YamlMappingNode pm) throw new RuleLoad($"node '{name}': properties must be a mapping of name → template", (int)props.Start.Line);
                    foreach (var (pk, pv) in pm.Children)
                        if (pk is YamlScalarNode { Value: { } pn } && pv is YamlScalarNode { Value: { } pt })
                            properties.Add((pn, Template(pt, $"node '{name}' property '{pn}'", (int)pv.Start.Line)));
                        else throw new RuleLoad($"node '{name}': a property is name: 'template'", (int)pk.Start.Line);
                }
                var eachSlot = -1;
                string? split = null;
                switch (SigmaReader.Node(spec, "each"))
                {
                    case null: break;
                    case YamlScalarNode { Value: { Length: > 0 } field }:
                        eachSlot = SlotOfName(field);
                        break;
                    case YamlMappingNode each when Scalar(each, "field") is { Length: > 0 } field:
                        eachSlot = SlotOfName(field);
                        split = Scalar(each, "split") is { Length: > 0 } s ? s : null;
                        break;
                    case var other:
                        throw new RuleLoad($"node '{name}': each names the field whose values each give a node (or {{field, split}})", (int)other.Start.Line);
                }
                nodes.Add(new RuleNode { Name = name, Kind = kind, Key = key, Properties = properties, EachSlot = eachSlot, EachSplit = split });
            }
            return nodes.ToArray();
        }

        private KeyTemplate Template(string text, string what, int line)
        {
            try { return KeyTemplate.Compile(text, SlotOfName); }
            catch (FormatException e) { throw new RuleLoad($"{what} '{text}': {e.Message}", line); }
        }

        private RuleEdge[] ReadEdges(YamlMappingNode m, RuleNode[] nodes)
        {
            if (SigmaReader.Node(m, "edges") is not YamlSequenceNode list || list.Children.Count == 0)
                throw new RuleLoad("'edges' must be a list of [from, TYPE, to] or {from, type, to, where}", (int)(SigmaReader.Node(m, "edges")?.Start.Line ?? m.Start.Line));
            var edges = new List<RuleEdge>();
            foreach (var item in list.Children)
            {
                var line = (int)item.Start.Line;
                string? from, type, to;
                Node? where = null;
                if (item is YamlSequenceNode triple && triple.Children.Count == 3 && triple.Children.All(c => c is YamlScalarNode))
                {
                    from = ((YamlScalarNode)triple.Children[0]).Value;
                    type = ((YamlScalarNode)triple.Children[1]).Value;
                    to = ((YamlScalarNode)triple.Children[2]).Value;
                }
                else if (item is YamlMappingNode e)
                {
                    foreach (var (k, _) in e.Children)
                        if (k is not YamlScalarNode { Value: "from" or "type" or "to" or "where" })
                            throw new RuleLoad($"edge: unknown key '{(k as YamlScalarNode)?.Value}' (expected from, type, to, where)", (int)k.Start.Line);
                    from = Scalar(e, "from");
                    type = Scalar(e, "type");
                    to = Scalar(e, "to");
                    where = Selection(e, "where", required: false);
                }
                else throw new RuleLoad("an edge is [from, TYPE, to] or {from, type, to, where}", line);
                var fromIndex = Array.FindIndex(nodes, n => n.Name == from);
                var toIndex = Array.FindIndex(nodes, n => n.Name == to);
                if (fromIndex < 0) throw new RuleLoad($"edge from '{from}': no such node (nodes: {string.Join(", ", nodes.Select(n => n.Name))})", line);
                if (toIndex < 0) throw new RuleLoad($"edge to '{to}': no such node (nodes: {string.Join(", ", nodes.Select(n => n.Name))})", line);
                if (type is null || !GraphSchema.TryParseEdgeType(type, out var edgeType))
                    throw new RuleLoad($"edge type '{type}' is not one of {string.Join(", ", GraphSchema.EdgeTypes.Select(GraphSchema.Name))}", line);
                if (nodes[fromIndex].EachSlot >= 0 && nodes[toIndex].EachSlot >= 0)
                    throw new RuleLoad($"edge {from} → {to}: both ends repeat per list value; at most one end of an edge may use 'each'", line);
                if (fromIndex == toIndex) throw new RuleLoad($"edge {from} → {to}: an edge joins two nodes", line);
                edges.Add(new RuleEdge { From = fromIndex, Type = edgeType, To = toIndex, Where = where, Line = line });
            }
            return edges.ToArray();
        }

        public ExtractionRuleSet Finish(List<(string, string, int)> files)
        {
            foreach (var name in ExtractionEventReader.MetaFields) _slots.Intern(name);
            foreach (var (feed, sigma) in _aliases) _slots.SetAlias(_slots.Intern(feed), _slots.Intern(sigma));
            foreach (var name in _sigmaFields.Names) _slots.Intern(name);
            for (var r = 0; r < Rules.Count; r++)
            {
                var captures = _capturesByRule[r];
                Rules[r].EventSlotOf = _sigmaFields.Names.Select(_slots.Intern).ToArray();
                Rules[r].SlotOf = _sigmaFields.Names.Select(n => captures.TryGetValue(n, out var c) ? c : _slots.Intern(n)).ToArray();
            }
            return new ExtractionRuleSet
            {
                Rules = Rules, Errors = errors, Files = files, Slots = _slots,
                Json = new JsonFlattening { StripPrefixes = _stripPrefixes },
            };
        }

        private static string? Scalar(YamlMappingNode m, string key) => SigmaReader.Node(m, key) is YamlScalarNode s ? s.Value : null;
    }

    private sealed class RuleLoad(string message, int line) : Exception(message)
    {
        public int Line { get; } = line;
    }
}

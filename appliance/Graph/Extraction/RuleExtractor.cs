using System.Numerics;
using System.Text;
using Redoubt.Detection.Engine;
using Redoubt.Detection.Events;
using Redoubt.Detection.Matching;
using Redoubt.Storage.Events;
using Redoubt.Storage.Graph;

namespace Redoubt.Graph.Extraction;

/// <summary>
/// Runs the extraction rules on each committed event: reads the event once into slots, then for each
/// rule whose when matches (and unless does not) parses its field, checks where, builds its nodes'
/// keys and observes its edges with the event as evidence. Deterministic (a replay writes the same).
/// Buffers are reused; what is allocated per event is the key strings of the nodes it names.
/// Not thread-safe: one per applier task.
/// </summary>
public sealed class RuleExtractor : IGraphExtractor
{
    private const int MaxEachValues = 64;
    /// <summary>Longest key kept (the graph store refuses longer ones): a 5 kB "user name" from a hostile client is not a node.</summary>
    public const int MaxKeyChars = 1024;

    private readonly ExtractionRuleSet _set;
    private readonly ExtractionEventReader _reader;
    private readonly MatchContext _ctx;
    private readonly StringBuilder _scratch = new(128);
    private readonly List<long>[] _nodeIds;
    private char[] _text = new char[4096];
    private readonly (int Start, int Length)[] _spans = new (int, int)[64];
    private readonly char[] _unquoted = new char[1024];
    private readonly Dictionary<string, string> _properties = new(StringComparer.Ordinal);

    // The rules' `when` literals (as detection gates its rules): only rules one of whose literals the event
    // holds, and rules without such a literal, have their `when` evaluated.
    private readonly LiteralIndex _index;
    private readonly ulong[] _ungated;
    private readonly ulong[] _candidates;

    public ExtractionRuleSet Rules => _set;
    /// <summary>Whether the literal index picks the rules whose `when` is evaluated (false: every rule's; for tests).</summary>
    public bool Prefilter { get; }

    public RuleExtractor(ExtractionRuleSet set, bool prefilter = true)
    {
        _set = set;
        Prefilter = prefilter;
        _reader = new ExtractionEventReader(set.Slots, set.Json);
        _ctx = new MatchContext(_reader.Fields);
        var gates = new GateBuilder();
        foreach (var rule in set.Rules) gates.Count(rule.When);
        var atoms = new List<(int, int, AtomKind, string)>();
        _ungated = new ulong[(set.Rules.Count + 63) / 64 + 1];
        _candidates = new ulong[_ungated.Length];
        for (var i = 0; i < set.Rules.Count; i++)
        {
            var rule = set.Rules[i];
            if (!prefilter || gates.Derive(rule.When) is not { } gate) { _ungated[i >> 6] |= 1UL << i; continue; }
            foreach (var a in gate) atoms.Add((i, a.FieldId < 0 ? FieldNames.Keywords : rule.EventSlotOf[a.FieldId], a.Kind, a.Text));
        }
        _index = new LiteralIndex(atoms);
        var maxNodes = set.Rules.Count == 0 ? 0 : set.Rules.Max(r => r.Nodes.Length);
        _nodeIds = Enumerable.Range(0, maxNodes).Select(_ => new List<long>(4)).ToArray();
    }

    public void Extract(in StoredEvent stored, IGraphWrites graph)
    {
        var rules = _set.Rules;
        if (rules.Count == 0) return;
        var record = stored.Event;
        _reader.Read(record);
        var fields = _reader.Fields;
        Array.Clear(_candidates);
        _index.Mark(fields, _candidates);
        for (var w = 0; w < _candidates.Length; w++)
        {
            var word = _candidates[w] | _ungated[w];
            while (word != 0)
            {
                var i = (w << 6) + BitOperations.TrailingZeroCount(word);
                word &= word - 1;
                Apply(rules[i], fields, stored, record.TimeMs, graph);
            }
        }
    }

    private void Apply(ExtractionRule rule, EventFields fields, in StoredEvent stored, long timeMs, IGraphWrites graph)
    {
        _ctx.SlotOf = rule.EventSlotOf;
        if (!rule.When.Eval(_ctx)) return;
        if (rule.Unless is { } unless && unless.Eval(_ctx)) return;
        var counters = rule.Counters;
        counters.Matched++;
        if (rule.Parse is { } parse && !Parse(parse, fields)) { counters.Unparsed++; return; }
        _ctx.SlotOf = rule.SlotOf;
        if (rule.Where is { } where && !where.Eval(_ctx)) { counters.Filtered++; return; }
        Emit(rule, fields, timeMs, Provenance.FromEvent(stored.Id), graph);
    }

    private bool Parse(RuleParse parse, EventFields fields)
    {
        var entry = fields.First(parse.FieldSlot);
        if (entry < 0) return false;
        // Copy the text out: adding captures may grow the fields' buffer under a span into it.
        var source = fields.Text(entry).TrimStart(' ');
        if (source.Length > _text.Length) _text = new char[Math.Max(source.Length, _text.Length * 2)];
        source.CopyTo(_text);
        var text = _text.AsSpan(0, source.Length);
        if (parse.CsvSlots is { } columns) return Csv(text, columns, fields);
        for (var p = 0; p < parse.Patterns.Count; p++)
        {
            var pattern = parse.Patterns[p];
            var spans = _spans.AsSpan(0, pattern.Captures.Count);
            if (!pattern.Match(text, spans)) continue;
            var slots = parse.PatternSlots[p];
            for (var c = 0; c < spans.Length; c++) fields.Add(slots[c], text.Slice(spans[c].Start, spans[c].Length), ValueKind.String);
            return true;
        }
        return false;
    }

    /// <summary>Comma-separated columns, double quotes honoured ("a,b" is one column; "" is a quote).</summary>
    private bool Csv(ReadOnlySpan<char> text, int[] columns, EventFields fields)
    {
        var column = 0;
        var pos = 0;
        var unquoted = _unquoted.AsSpan();
        while (column < columns.Length && pos <= text.Length)
        {
            ReadOnlySpan<char> value;
            if (pos < text.Length && text[pos] == '"')
            {
                var n = 0;
                var i = pos + 1;
                for (; i < text.Length; i++)
                {
                    if (text[i] == '"')
                    {
                        if (i + 1 < text.Length && text[i + 1] == '"') { if (n < unquoted.Length) unquoted[n++] = '"'; i++; continue; }
                        break;
                    }
                    if (n < unquoted.Length) unquoted[n++] = text[i];
                }
                value = unquoted[..n];
                pos = i + 1;
                var comma = pos < text.Length ? text[pos..].IndexOf(',') : -1;
                pos = comma < 0 ? text.Length + 1 : pos + comma + 1;
            }
            else
            {
                var comma = text[pos..].IndexOf(',');
                value = comma < 0 ? text[pos..] : text.Slice(pos, comma);
                pos = comma < 0 ? text.Length + 1 : pos + comma + 1;
            }
            if (columns[column] >= 0 && !value.IsEmpty) fields.Add(columns[column], value, ValueKind.String);
            column++;
        }
        return column > 0;
    }

    private void Emit(ExtractionRule rule, EventFields fields, long timeMs, Provenance why, IGraphWrites graph)
    {
        var counters = rule.Counters;
        var nodes = rule.Nodes;
        for (var n = 0; n < nodes.Length; n++)
        {
            var ids = _nodeIds[n];
            ids.Clear();
            var node = nodes[n];
            if (node.EachSlot < 0)
            {
                if (node.Key.Resolve(fields, _scratch) is { Length: <= MaxKeyChars } key) ids.Add(graph.UpsertNode(node.Kind, key, timeMs, Properties(node, fields, -1, default)));
                continue;
            }
            var values = 0;
            for (var e = fields.First(node.EachSlot); e >= 0 && values < MaxEachValues; e = fields.Next(e))
            {
                var value = fields.Text(e);
                if (node.EachSplit is not { } split) { EachValue(node, fields, value, timeMs, graph, ids); values++; continue; }
                foreach (var range in value.Split(split))
                {
                    if (values++ >= MaxEachValues) break;
                    EachValue(node, fields, value[range], timeMs, graph, ids);
                }
            }
        }

        var edges = 0;
        foreach (var edge in rule.Edges)
        {
            if (edge.Where is { } where && !where.Eval(_ctx)) continue;
            var from = _nodeIds[edge.From];
            var to = _nodeIds[edge.To];
            if (from.Count == 0 || to.Count == 0) { counters.Incomplete++; continue; }
            foreach (var s in from)
                foreach (var t in to)
                {
                    graph.ObserveEdge(s, edge.Type, t, timeMs, why);
                    edges++;
                }
        }
        counters.Edges += edges;
        if (edges > 0) counters.Extracted++;
    }

    private void EachValue(RuleNode node, EventFields fields, ReadOnlySpan<char> value, long timeMs, IGraphWrites graph, List<long> ids)
    {
        if (node.Key.Resolve(fields, _scratch, node.EachSlot, value) is not { Length: <= MaxKeyChars } key) return;
        var id = graph.UpsertNode(node.Kind, key, timeMs, Properties(node, fields, node.EachSlot, value));
        if (!ids.Contains(id)) ids.Add(id);
    }

    private Dictionary<string, string>? Properties(RuleNode node, EventFields fields, int overrideSlot, ReadOnlySpan<char> overrideValue)
    {
        if (node.Properties.Count == 0) return null;
        _properties.Clear();
        foreach (var (name, template) in node.Properties)
            if (template.Resolve(fields, _scratch, overrideSlot, overrideValue) is { } v) _properties[name] = v;
        return _properties.Count == 0 ? null : _properties;
    }
}

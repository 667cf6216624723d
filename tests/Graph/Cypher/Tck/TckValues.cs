using System.Globalization;
using System.Text;
using Redoubt.Graph.Cypher;

namespace Redoubt.Tests.Graph.Cypher.Tck;

/// <summary>
/// The TCK's notation for expected values — null, true, 1, 1.0, 'text', [..], {k: v}, (:A {k: v}),
/// [:T {k: v}], &lt;(:A)-[:T]-&gt;(:B)&gt; — and actual results, both written in one canonical form
/// (labels and map keys sorted, floats round-tripped) so that rows compare as strings. Element
/// identity is not compared (the TCK does not), only labels, types and properties.
/// </summary>
public static class TckValues
{
    public static string Expected(string text, bool ignoreListOrder)
    {
        var p = new Reader(text, ignoreListOrder);
        var s = p.Value();
        p.SkipSpace();
        if (!p.AtEnd) throw new FormatException($"unexpected text after a value in '{text}' at {p.Position}");
        return s;
    }

    public static string Actual(in Value v, ICypherGraph g, bool ignoreListOrder)
    {
        var sb = new StringBuilder();
        Write(sb, v, g, ignoreListOrder);
        return sb.ToString();
    }

    private static string Str(string s) => "'" + s.Replace("\\", "\\\\").Replace("'", "\\'") + "'";

    private static string Float(double d) => "F:" + (double.IsNaN(d) ? "NaN" : d.ToString("R", CultureInfo.InvariantCulture));

    private static string Map(IEnumerable<KeyValuePair<string, string>> entries) =>
        "{" + string.Join(",", entries.OrderBy(e => e.Key, StringComparer.Ordinal).Select(e => e.Key + ":" + e.Value)) + "}";

    private static string List(IEnumerable<string> items, bool ignoreOrder) =>
        "[" + string.Join(",", ignoreOrder ? items.Order(StringComparer.Ordinal) : items) + "]";

    private static string Node(IEnumerable<string> labels, string props) => "(" + string.Concat(labels.Order(StringComparer.Ordinal).Select(l => ":" + l)) + " " + props + ")";

    private static string Rel(string type, string props) => "[:" + type + " " + props + "]";

    private static void Write(StringBuilder sb, in Value v, ICypherGraph g, bool ignore)
    {
        switch (v.Kind)
        {
            case ValueKind.Null: sb.Append("null"); break;
            case ValueKind.Boolean: sb.Append(v.AsBool ? "true" : "false"); break;
            case ValueKind.Integer: sb.Append(v.AsInt.ToString(CultureInfo.InvariantCulture)); break;
            case ValueKind.Float: sb.Append(Float(v.AsFloat)); break;
            case ValueKind.String: sb.Append(Str(v.AsString)); break;
            case ValueKind.List: sb.Append(List(v.AsList.Select(x => Actual(x, g, ignore)), ignore)); break;
            case ValueKind.Map: sb.Append(Map(v.AsMap.Select(kv => new KeyValuePair<string, string>(kv.Key, Actual(kv.Value, g, ignore))))); break;
            case ValueKind.Node: sb.Append(NodeText(v.NodeId, g, ignore)); break;
            case ValueKind.Relationship: sb.Append(RelText(v.RelationshipId, g, ignore)); break;
            case ValueKind.Path:
            {
                var p = v.AsPath;
                sb.Append('<').Append(NodeText(p.Nodes[0], g, ignore));
                for (var i = 0; i < p.Relationships.Length; i++)
                {
                    var r = p.Relationships[i];
                    var forward = g.StartNode(r) == p.Nodes[i] && g.EndNode(r) == p.Nodes[i + 1];
                    sb.Append(forward ? "-" : "<-").Append(RelText(r, g, ignore)).Append(forward ? "->" : "-").Append(NodeText(p.Nodes[i + 1], g, ignore));
                }
                sb.Append('>');
                break;
            }
        }
    }

    private static string NodeText(int n, ICypherGraph g, bool ignore)
    {
        var labels = new List<int>();
        g.LabelsOf(n, labels);
        var props = new List<KeyValuePair<string, Value>>();
        g.NodeProperties(n, props);
        return Node(labels.Select(g.LabelName), Map(props.Select(p => new KeyValuePair<string, string>(p.Key, Actual(p.Value, g, ignore)))));
    }

    private static string RelText(int r, ICypherGraph g, bool ignore)
    {
        var props = new List<KeyValuePair<string, Value>>();
        g.RelationshipProperties(r, props);
        return Rel(g.TypeName(g.RelationshipType(r)), Map(props.Select(p => new KeyValuePair<string, string>(p.Key, Actual(p.Value, g, ignore)))));
    }

    private sealed class Reader(string text, bool ignore)
    {
        private int _i;
        public bool AtEnd => _i >= text.Length;
        public int Position => _i;

        public void SkipSpace()
        {
            while (_i < text.Length && char.IsWhiteSpace(text[_i])) _i++;
        }

        private char Peek()
        {
            SkipSpace();
            return _i < text.Length ? text[_i] : '\0';
        }

        private void Expect(char c)
        {
            if (Peek() != c) throw new FormatException($"expected '{c}' at {_i} in '{text}'");
            _i++;
        }

        private bool TryWord(string w)
        {
            SkipSpace();
            if (string.CompareOrdinal(text, _i, w, 0, w.Length) != 0) return false;
            _i += w.Length;
            return true;
        }

        public string Value()
        {
            var c = Peek();
            switch (c)
            {
                case '\'': return Str(QuotedString());
                case '[':
                {
                    var save = _i;
                    _i++;
                    if (Peek() == ':') { _i = save; return Relationship(); }
                    var items = new List<string>();
                    if (Peek() != ']')
                    {
                        items.Add(Value());
                        while (Peek() == ',') { _i++; items.Add(Value()); }
                    }
                    Expect(']');
                    return List(items, ignore);
                }
                case '{': return Properties();
                case '(': return NodeValue();
                case '<':
                {
                    _i++;
                    var sb = new StringBuilder(NodeValue());
                    while (Peek() is '-' or '<')
                    {
                        var left = Peek() == '<';
                        if (left) { _i++; }
                        Expect('-');
                        var rel = Relationship();
                        Expect('-');
                        if (!left) Expect('>');
                        sb.Append(left ? "<-" : "-").Append(rel).Append(left ? "-" : "->").Append(NodeValue());
                    }
                    Expect('>');
                    return "<" + sb + ">";
                }
            }
            if (TryWord("null")) return "null";
            if (TryWord("true")) return "true";
            if (TryWord("false")) return "false";
            if (TryWord("NaN")) return Float(double.NaN);
            if (TryWord("Infinity")) return Float(double.PositiveInfinity);
            if (TryWord("-Infinity")) return Float(double.NegativeInfinity);
            return Number();
        }

        private string Number()
        {
            SkipSpace();
            var start = _i;
            while (_i < text.Length && (char.IsAsciiDigit(text[_i]) || text[_i] is '-' or '+' or '.' or 'e' or 'E')) _i++;
            var s = text[start.._i];
            if (s.Length == 0) throw new FormatException($"not a value at {start} in '{text}'");
            if (long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l)) return l.ToString(CultureInfo.InvariantCulture);
            if (double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var d)) return Float(d);
            throw new FormatException($"not a number: '{s}' in '{text}'");
        }

        private string QuotedString()
        {
            Expect('\'');
            var sb = new StringBuilder();
            while (true)
            {
                if (_i >= text.Length) throw new FormatException($"unclosed string in '{text}'");
                var c = text[_i++];
                if (c == '\'') return sb.ToString();
                if (c == '\\' && _i < text.Length)
                {
                    var n = text[_i++];
                    sb.Append(n switch { 'n' => '\n', 't' => '\t', 'r' => '\r', _ => n });
                    continue;
                }
                sb.Append(c);
            }
        }

        private string Key()
        {
            SkipSpace();
            if (Peek() == '`')
            {
                var end = text.IndexOf('`', _i + 1);
                var k = text[(_i + 1)..end];
                _i = end + 1;
                return k;
            }
            var start = _i;
            while (_i < text.Length && (char.IsLetterOrDigit(text[_i]) || text[_i] == '_')) _i++;
            return text[start.._i];
        }

        private string Properties()
        {
            Expect('{');
            var entries = new List<KeyValuePair<string, string>>();
            if (Peek() != '}')
            {
                do
                {
                    var k = Key();
                    Expect(':');
                    entries.Add(new(k, Value()));
                } while (Peek() == ',' && _i++ >= 0);
            }
            Expect('}');
            return Map(entries);
        }

        private string NodeValue()
        {
            Expect('(');
            var labels = new List<string>();
            while (Peek() == ':') { _i++; labels.Add(Key()); }
            var props = Peek() == '{' ? Properties() : Map([]);
            Expect(')');
            return Node(labels, props);
        }

        private string Relationship()
        {
            Expect('[');
            Expect(':');
            var type = Key();
            var props = Peek() == '{' ? Properties() : Map([]);
            Expect(']');
            return Rel(type, props);
        }
    }
}

using System.Globalization;
using System.Text;

namespace Redoubt.Graph.Cypher;

public enum ValueKind : byte { Null, Boolean, Integer, Float, String, List, Map, Node, Relationship, Path }

/// <summary>A path: Nodes[i] -Relationships[i]- Nodes[i+1] (each relationship in either direction).</summary>
public sealed record PathValue(int[] Nodes, int[] Relationships)
{
    public bool Equals(PathValue? other) => other is not null && Nodes.AsSpan().SequenceEqual(other.Nodes) && Relationships.AsSpan().SequenceEqual(other.Relationships);

    public override int GetHashCode()
    {
        var h = new HashCode();
        foreach (var n in Nodes) h.Add(n);
        foreach (var r in Relationships) h.Add(r);
        return h.ToHashCode();
    }
}

/// <summary>
/// A Cypher value, 16 bytes plus a reference: scalars inline, strings, lists (Value[]), maps and
/// paths by reference, nodes and relationships by their id in the graph being queried. Lists and
/// maps are never mutated once built.
/// </summary>
public readonly struct Value
{
    public readonly ValueKind Kind;
    private readonly long _bits;
    private readonly object? _ref;

    private Value(ValueKind kind, long bits, object? r)
    {
        Kind = kind;
        _bits = bits;
        _ref = r;
    }

    public static readonly Value Null = default;
    public static readonly Value True = new(ValueKind.Boolean, 1, null);
    public static readonly Value False = new(ValueKind.Boolean, 0, null);
    public static readonly Value EmptyList = new(ValueKind.List, 0, Array.Empty<Value>());

    public static Value Bool(bool b) => b ? True : False;
    public static Value Bool(bool? b) => b is { } x ? Bool(x) : Null;
    public static Value Int(long i) => new(ValueKind.Integer, i, null);
    public static Value Float(double d) => new(ValueKind.Float, BitConverter.DoubleToInt64Bits(d), null);
    public static Value Str(string? s) => s is null ? Null : new(ValueKind.String, 0, s);
    public static Value List(Value[] items) => new(ValueKind.List, 0, items);
    public static Value Map(Dictionary<string, Value> map) => new(ValueKind.Map, 0, map);
    public static Value Node(int id) => new(ValueKind.Node, id, null);
    public static Value Relationship(int id) => new(ValueKind.Relationship, id, null);
    public static Value Path(PathValue p) => new(ValueKind.Path, 0, p);

    public bool IsNull => Kind == ValueKind.Null;
    public bool IsNumber => Kind is ValueKind.Integer or ValueKind.Float;
    public bool AsBool => _bits != 0;
    public long AsInt => _bits;
    public double AsFloat => BitConverter.Int64BitsToDouble(_bits);
    public double AsDouble => Kind == ValueKind.Integer ? _bits : AsFloat;
    public string AsString => (string)_ref!;
    public Value[] AsList => (Value[])_ref!;
    public Dictionary<string, Value> AsMap => (Dictionary<string, Value>)_ref!;
    public int NodeId => (int)_bits;
    public int RelationshipId => (int)_bits;
    public PathValue AsPath => (PathValue)_ref!;

    public static string KindName(ValueKind k) => k switch
    {
        ValueKind.Null => "null",
        ValueKind.Boolean => "a boolean",
        ValueKind.Integer => "an integer",
        ValueKind.Float => "a float",
        ValueKind.String => "a string",
        ValueKind.List => "a list",
        ValueKind.Map => "a map",
        ValueKind.Node => "a node",
        ValueKind.Relationship => "a relationship",
        _ => "a path",
    };

    public string KindName() => KindName(Kind);

    public override string ToString() => Values.Format(this);
}

/// <summary>Cypher's three comparisons: equality (=, ternary), comparison (&lt;, may be null) and the total order of ORDER BY; and equivalence for DISTINCT and grouping.</summary>
public static class Values
{
    /// <summary>a = b: null when either side is null (or a list holds a null where the rest is equal).</summary>
    public static bool? Equal(in Value a, in Value b)
    {
        if (a.IsNull || b.IsNull) return null;
        if (a.IsNumber && b.IsNumber) return NumbersEqual(a, b);
        if (a.Kind != b.Kind) return false;
        switch (a.Kind)
        {
            case ValueKind.Boolean: return a.AsBool == b.AsBool;
            case ValueKind.String: return string.Equals(a.AsString, b.AsString, StringComparison.Ordinal);
            case ValueKind.Node:
            case ValueKind.Relationship: return a.AsInt == b.AsInt;
            case ValueKind.Path: return a.AsPath.Equals(b.AsPath);
            case ValueKind.List:
            {
                var x = a.AsList;
                var y = b.AsList;
                if (x.Length != y.Length) return false;
                var unknown = false;
                for (var i = 0; i < x.Length; i++)
                {
                    var e = Equal(x[i], y[i]);
                    if (e == false) return false;
                    if (e is null) unknown = true;
                }
                return unknown ? null : true;
            }
            case ValueKind.Map:
            {
                var x = a.AsMap;
                var y = b.AsMap;
                if (x.Count != y.Count) return false;
                var unknown = false;
                foreach (var (k, v) in x)
                {
                    if (!y.TryGetValue(k, out var w)) return false;
                    var e = Equal(v, w);
                    if (e == false) return false;
                    if (e is null) unknown = true;
                }
                return unknown ? null : true;
            }
        }
        return false;
    }

    private static bool NumbersEqual(in Value a, in Value b)
    {
        if (a.Kind == ValueKind.Integer && b.Kind == ValueKind.Integer) return a.AsInt == b.AsInt;
        return a.AsDouble == b.AsDouble;
    }

    /// <summary>a &lt;=&gt; b for &lt;, &lt;=, &gt;, &gt;=: null when the two are not comparable (different types, NaN, nulls).</summary>
    public static int? Compare(in Value a, in Value b)
    {
        if (a.IsNull || b.IsNull) return null;
        if (a.IsNumber && b.IsNumber)
        {
            if (a.Kind == ValueKind.Integer && b.Kind == ValueKind.Integer) return a.AsInt.CompareTo(b.AsInt);
            var x = a.AsDouble;
            var y = b.AsDouble;
            if (double.IsNaN(x) || double.IsNaN(y)) return null;
            return x.CompareTo(y);
        }
        if (a.Kind != b.Kind) return null;
        switch (a.Kind)
        {
            case ValueKind.String: return Math.Sign(string.CompareOrdinal(a.AsString, b.AsString));
            case ValueKind.Boolean: return a.AsBool.CompareTo(b.AsBool);
            case ValueKind.List:
            {
                var x = a.AsList;
                var y = b.AsList;
                for (var i = 0; i < Math.Min(x.Length, y.Length); i++)
                {
                    var c = Compare(x[i], y[i]);
                    if (c is null) return null;
                    if (c != 0) return c;
                }
                return x.Length.CompareTo(y.Length);
            }
        }
        return null;
    }

    // ORDER BY ascending: map, node, relationship, list, path, string, boolean, number, null.
    private static int OrderRank(ValueKind k) => k switch
    {
        ValueKind.Map => 0,
        ValueKind.Node => 1,
        ValueKind.Relationship => 2,
        ValueKind.List => 3,
        ValueKind.Path => 4,
        ValueKind.String => 5,
        ValueKind.Boolean => 6,
        ValueKind.Integer or ValueKind.Float => 7,
        _ => 8,
    };

    /// <summary>The total order of ORDER BY, min and max: every pair of values is ordered; NaN after all numbers, null last.</summary>
    public static int Order(in Value a, in Value b)
    {
        var ra = OrderRank(a.Kind);
        var rb = OrderRank(b.Kind);
        if (ra != rb) return ra.CompareTo(rb);
        switch (a.Kind)
        {
            case ValueKind.Null: return 0;
            case ValueKind.Integer when b.Kind == ValueKind.Integer: return a.AsInt.CompareTo(b.AsInt);
            case ValueKind.Integer or ValueKind.Float:
            {
                var x = a.AsDouble;
                var y = b.AsDouble;
                var nx = double.IsNaN(x);
                var ny = double.IsNaN(y);
                if (nx || ny) return nx.CompareTo(ny);
                var c = x.CompareTo(y);
                // 1 and 1.0 tie in value; keep the order stable by putting the integer first.
                return c != 0 ? c : (a.Kind == b.Kind ? 0 : a.Kind == ValueKind.Integer ? -1 : 1);
            }
            case ValueKind.String: return Math.Sign(string.CompareOrdinal(a.AsString, b.AsString));
            case ValueKind.Boolean: return a.AsBool.CompareTo(b.AsBool);
            case ValueKind.Node:
            case ValueKind.Relationship: return a.AsInt.CompareTo(b.AsInt);
            case ValueKind.List:
            {
                var x = a.AsList;
                var y = b.AsList;
                for (var i = 0; i < Math.Min(x.Length, y.Length); i++)
                {
                    var c = Order(x[i], y[i]);
                    if (c != 0) return c;
                }
                return x.Length.CompareTo(y.Length);
            }
            case ValueKind.Path:
            {
                var x = a.AsPath;
                var y = b.AsPath;
                for (var i = 0; i < Math.Min(x.Nodes.Length, y.Nodes.Length); i++)
                {
                    var c = x.Nodes[i].CompareTo(y.Nodes[i]);
                    if (c != 0) return c;
                    if (i < x.Relationships.Length && i < y.Relationships.Length && (c = x.Relationships[i].CompareTo(y.Relationships[i])) != 0) return c;
                }
                return x.Nodes.Length.CompareTo(y.Nodes.Length);
            }
            case ValueKind.Map:
            {
                var x = a.AsMap.OrderBy(p => p.Key, StringComparer.Ordinal).ToList();
                var y = b.AsMap.OrderBy(p => p.Key, StringComparer.Ordinal).ToList();
                for (var i = 0; i < Math.Min(x.Count, y.Count); i++)
                {
                    var c = string.CompareOrdinal(x[i].Key, y[i].Key);
                    if (c != 0) return Math.Sign(c);
                    c = Order(x[i].Value, y[i].Value);
                    if (c != 0) return c;
                }
                return x.Count.CompareTo(y.Count);
            }
        }
        return 0;
    }

    /// <summary>Equivalence (DISTINCT, grouping, IN on lists of keys): like equality, but null is equivalent to null and NaN to NaN.</summary>
    public static bool Equivalent(in Value a, in Value b)
    {
        if (a.IsNull || b.IsNull) return a.IsNull && b.IsNull;
        if (a.IsNumber && b.IsNumber)
        {
            if (a.Kind == ValueKind.Integer && b.Kind == ValueKind.Integer) return a.AsInt == b.AsInt;
            var x = a.AsDouble;
            var y = b.AsDouble;
            return x == y || (double.IsNaN(x) && double.IsNaN(y));
        }
        if (a.Kind != b.Kind) return false;
        switch (a.Kind)
        {
            case ValueKind.List:
            {
                var x = a.AsList;
                var y = b.AsList;
                if (x.Length != y.Length) return false;
                for (var i = 0; i < x.Length; i++) if (!Equivalent(x[i], y[i])) return false;
                return true;
            }
            case ValueKind.Map:
            {
                var x = a.AsMap;
                var y = b.AsMap;
                if (x.Count != y.Count) return false;
                foreach (var (k, v) in x) if (!y.TryGetValue(k, out var w) || !Equivalent(v, w)) return false;
                return true;
            }
            default: return Equal(a, b) == true;
        }
    }

    public static int Hash(in Value v)
    {
        switch (v.Kind)
        {
            case ValueKind.Null: return 0;
            case ValueKind.Boolean: return v.AsBool ? 1 : 2;
            case ValueKind.Integer: return ((double)v.AsInt).GetHashCode();
            case ValueKind.Float: return double.IsNaN(v.AsFloat) ? 3 : v.AsFloat.GetHashCode();
            case ValueKind.String: return v.AsString.GetHashCode(StringComparison.Ordinal);
            case ValueKind.Node: return HashCode.Combine(7, v.AsInt);
            case ValueKind.Relationship: return HashCode.Combine(11, v.AsInt);
            case ValueKind.Path: return v.AsPath.GetHashCode();
            case ValueKind.List:
            {
                var h = new HashCode();
                foreach (var x in v.AsList) h.Add(Hash(x));
                return h.ToHashCode();
            }
            default:
            {
                var h = 0;
                foreach (var (k, x) in v.AsMap) h ^= HashCode.Combine(k.GetHashCode(StringComparison.Ordinal), Hash(x));
                return h;
            }
        }
    }

    /// <summary>Equivalence as an equality comparer, for DISTINCT and grouping keys (one value or a row of them).</summary>
    public sealed class EquivalenceComparer : IEqualityComparer<Value>, IEqualityComparer<Value[]>
    {
        public static readonly EquivalenceComparer Instance = new();

        public bool Equals(Value a, Value b) => Equivalent(a, b);
        public int GetHashCode(Value v) => Hash(v);

        public bool Equals(Value[]? a, Value[]? b)
        {
            if (a is null || b is null || a.Length != b.Length) return false;
            for (var i = 0; i < a.Length; i++) if (!Equivalent(a[i], b[i])) return false;
            return true;
        }

        public int GetHashCode(Value[] row)
        {
            var h = new HashCode();
            foreach (var v in row) h.Add(Hash(v));
            return h.ToHashCode();
        }
    }

    /// <summary>Cypher literal text of a value (nodes and relationships by id): for messages, logs and toString of lists.</summary>
    public static string Format(in Value v)
    {
        var sb = new StringBuilder();
        Format(sb, v);
        return sb.ToString();
    }

    private static void Format(StringBuilder sb, in Value v)
    {
        switch (v.Kind)
        {
            case ValueKind.Null: sb.Append("null"); break;
            case ValueKind.Boolean: sb.Append(v.AsBool ? "true" : "false"); break;
            case ValueKind.Integer: sb.Append(v.AsInt.ToString(CultureInfo.InvariantCulture)); break;
            case ValueKind.Float: sb.Append(FormatFloat(v.AsFloat)); break;
            case ValueKind.String: sb.Append('\'').Append(v.AsString.Replace("\\", "\\\\").Replace("'", "\\'")).Append('\''); break;
            case ValueKind.Node: sb.Append("node(").Append(v.AsInt).Append(')'); break;
            case ValueKind.Relationship: sb.Append("relationship(").Append(v.AsInt).Append(')'); break;
            case ValueKind.Path: sb.Append("path(").Append(string.Join(",", v.AsPath.Nodes)).Append(')'); break;
            case ValueKind.List:
                sb.Append('[');
                var first = true;
                foreach (var x in v.AsList) { if (!first) sb.Append(", "); first = false; Format(sb, x); }
                sb.Append(']');
                break;
            case ValueKind.Map:
                sb.Append('{');
                var f = true;
                foreach (var (k, x) in v.AsMap) { if (!f) sb.Append(", "); f = false; sb.Append(k).Append(": "); Format(sb, x); }
                sb.Append('}');
                break;
        }
    }

    /// <summary>Floats always show a decimal point or exponent (1.0, not 1), round-trippable.</summary>
    public static string FormatFloat(double d)
    {
        if (double.IsNaN(d)) return "NaN";
        if (double.IsPositiveInfinity(d)) return "Infinity";
        if (double.IsNegativeInfinity(d)) return "-Infinity";
        var s = d.ToString("R", CultureInfo.InvariantCulture);
        if (s.Contains('E'))
        {
            // 1E+20 -> 1.0E20, as Cypher writes it.
            var parts = s.Split('E');
            var mantissa = parts[0].Contains('.') ? parts[0] : parts[0] + ".0";
            var exp = int.Parse(parts[1], CultureInfo.InvariantCulture);
            return mantissa + "E" + exp.ToString(CultureInfo.InvariantCulture);
        }
        return s.Contains('.') ? s : s + ".0";
    }
}

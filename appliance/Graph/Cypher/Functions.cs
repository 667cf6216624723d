using System.Collections.Concurrent;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Redoubt.Graph.Cypher;

/// <summary>Operators and built-in functions over <see cref="Value"/>s, with openCypher's null and type rules.</summary>
internal static class Functions
{
    public static AggregateKind? AggregateKindOf(string name) => name.ToLowerInvariant() switch
    {
        "count" => AggregateKind.Count,
        "collect" => AggregateKind.Collect,
        "sum" => AggregateKind.Sum,
        "avg" => AggregateKind.Avg,
        "min" => AggregateKind.Min,
        "max" => AggregateKind.Max,
        "stdev" => AggregateKind.StDev,
        "stdevp" => AggregateKind.StDevP,
        "percentiledisc" => AggregateKind.PercentileDisc,
        "percentilecont" => AggregateKind.PercentileCont,
        _ => null,
    };

    public static bool Truth(in Value v, string where)
    {
        if (v.Kind != ValueKind.Boolean) throw CypherException.Type("InvalidArgumentType", $"{where} needs booleans, got {v.KindName()}");
        return v.AsBool;
    }

    public static bool? Compare(CompareOp op, in Value a, in Value b)
    {
        switch (op)
        {
            case CompareOp.Eq: return Values.Equal(a, b);
            case CompareOp.Ne: return Values.Equal(a, b) is { } e ? !e : null;
        }
        // NaN is unordered: every ordering comparison with it is false (not null).
        if (a.IsNumber && b.IsNumber && (double.IsNaN(a.AsDouble) || double.IsNaN(b.AsDouble))) return false;
        var c = Values.Compare(a, b);
        if (c is null) return null;
        return op switch
        {
            CompareOp.Lt => c < 0,
            CompareOp.Le => c <= 0,
            CompareOp.Gt => c > 0,
            _ => c >= 0,
        };
    }

    public static Value Property(ExecutionContext ctx, in Value target, string name) => target.Kind switch
    {
        ValueKind.Null => Value.Null,
        ValueKind.Node => ctx.Graph.NodeProperty(target.NodeId, name),
        ValueKind.Relationship => ctx.Graph.RelationshipProperty(target.RelationshipId, name),
        ValueKind.Map => target.AsMap.TryGetValue(name, out var v) ? v : Value.Null,
        _ => throw CypherException.Type("InvalidArgumentType", $"cannot read property '{name}' of {target.KindName()}"),
    };

    public static Value Index(ExecutionContext ctx, in Value target, in Value index)
    {
        if (target.IsNull || index.IsNull) return Value.Null;
        switch (target.Kind)
        {
            case ValueKind.List:
            {
                if (index.Kind != ValueKind.Integer) throw CypherException.Type("InvalidArgumentType", $"a list index is an integer, got {index.KindName()}");
                var list = target.AsList;
                var i = index.AsInt;
                if (i < 0) i += list.Length;
                return i >= 0 && i < list.Length ? list[i] : Value.Null;
            }
            case ValueKind.Map:
            case ValueKind.Node:
            case ValueKind.Relationship:
                if (index.Kind != ValueKind.String) throw CypherException.Type("MapElementAccessByNonString", $"a map key is a string, got {index.KindName()}");
                return Property(ctx, target, index.AsString);
            default:
                throw CypherException.Type("InvalidArgumentType", $"cannot index into {target.KindName()}");
        }
    }

    public static Value Slice(ExecutionContext ctx, in Value target, Value? from, Value? to)
    {
        if (target.IsNull || from is { IsNull: true } || to is { IsNull: true }) return Value.Null;
        if (target.Kind != ValueKind.List) throw CypherException.Type("InvalidArgumentType", $"cannot slice {target.KindName()}");
        var list = target.AsList;
        long Bound(Value v, long dflt)
        {
            if (v.Kind != ValueKind.Integer) throw CypherException.Type("InvalidArgumentType", $"a slice bound is an integer, got {v.KindName()}");
            var i = v.AsInt;
            if (i < 0) i += list.Length;
            return Math.Clamp(i, 0, list.Length);
        }
        var f = from is { } fv ? Bound(fv, 0) : 0;
        var t = to is { } tv ? Bound(tv, list.Length) : list.Length;
        if (t <= f) return Value.EmptyList;
        ctx.Build(t - f);
        return Value.List(list[(int)f..(int)t]);
    }

    public static Value Negate(in Value v) => v.Kind switch
    {
        ValueKind.Null => Value.Null,
        ValueKind.Integer => v.AsInt == long.MinValue ? throw CypherException.Argument("NumberOutOfRange", "-(-9223372036854775808) does not fit in 64 bits") : Value.Int(-v.AsInt),
        ValueKind.Float => Value.Float(-v.AsFloat),
        _ => throw CypherException.Type("InvalidArgumentType", $"cannot negate {v.KindName()}"),
    };

    public static Value Add(ExecutionContext ctx, in Value a, in Value b)
    {
        if (a.IsNull || b.IsNull) return Value.Null;
        if (a.IsNumber && b.IsNumber) return Arithmetic(BinaryOp.Add, a, b);
        if (a.Kind == ValueKind.List || b.Kind == ValueKind.List)
            ctx.Build((a.Kind == ValueKind.List ? a.AsList.Length : 1) + (b.Kind == ValueKind.List ? b.AsList.Length : 1));
        if (a.Kind == ValueKind.List && b.Kind == ValueKind.List) return Value.List([.. a.AsList, .. b.AsList]);
        if (a.Kind == ValueKind.List) return Value.List([.. a.AsList, b]);
        if (b.Kind == ValueKind.List) return Value.List([a, .. b.AsList]);
        if (a.Kind == ValueKind.String && b.Kind is ValueKind.String or ValueKind.Integer or ValueKind.Float or ValueKind.Boolean)
            return Value.Str(a.AsString + ToText(b));
        if (b.Kind == ValueKind.String && a.Kind is ValueKind.Integer or ValueKind.Float or ValueKind.Boolean)
            return Value.Str(ToText(a) + b.AsString);
        throw CypherException.Type("InvalidArgumentType", $"cannot add {a.KindName()} and {b.KindName()}");
    }

    public static Value Arithmetic(BinaryOp op, in Value a, in Value b)
    {
        if (a.IsNull || b.IsNull) return Value.Null;
        if (!a.IsNumber || !b.IsNumber)
            throw CypherException.Type("InvalidArgumentType", $"{op.ToString().ToLowerInvariant()} needs numbers, got {a.KindName()} and {b.KindName()}");
        if (op == BinaryOp.Power) return Value.Float(Math.Pow(a.AsDouble, b.AsDouble));
        if (a.Kind == ValueKind.Integer && b.Kind == ValueKind.Integer)
        {
            long x = a.AsInt, y = b.AsInt;
            try
            {
                return op switch
                {
                    BinaryOp.Add => Value.Int(checked(x + y)),
                    BinaryOp.Subtract => Value.Int(checked(x - y)),
                    BinaryOp.Multiply => Value.Int(checked(x * y)),
                    BinaryOp.Divide => y == 0 ? throw CypherException.Argument("DivisionByZero", "integer division by zero") : Value.Int(checked(x / y)),
                    _ => y == 0 ? throw CypherException.Argument("DivisionByZero", "integer modulo by zero") : Value.Int(y == -1 ? 0 : x % y),
                };
            }
            catch (OverflowException)
            {
                throw CypherException.Argument("NumberOutOfRange", $"the result of {x} {op.ToString().ToLowerInvariant()} {y} does not fit in 64 bits");
            }
        }
        double p = a.AsDouble, q = b.AsDouble;
        return Value.Float(op switch
        {
            BinaryOp.Add => p + q,
            BinaryOp.Subtract => p - q,
            BinaryOp.Multiply => p * q,
            BinaryOp.Divide => p / q,
            _ => p % q,
        });
    }

    public static Value In(in Value item, in Value list)
    {
        if (list.IsNull) return Value.Null;
        if (list.Kind != ValueKind.List) throw CypherException.Type("InvalidArgumentType", $"IN needs a list on its right, got {list.KindName()}");
        var unknown = false;
        foreach (var x in list.AsList)
        {
            var e = Values.Equal(item, x);
            if (e == true) return Value.True;
            if (e is null) unknown = true;
        }
        return unknown ? Value.Null : Value.False;
    }

    private static readonly ConcurrentDictionary<string, System.Text.RegularExpressions.Regex> RegexCache = new(StringComparer.Ordinal);

    /// <summary>=~ matches the whole string. Patterns come from untrusted queries: a match may take at most 100 ms.</summary>
    public static Value Regex(in Value text, in Value pattern)
    {
        if (text.Kind != ValueKind.String || pattern.Kind != ValueKind.String) return Value.Null;
        System.Text.RegularExpressions.Regex re;
        try
        {
            if (RegexCache.Count > 1000) RegexCache.Clear();
            re = RegexCache.GetOrAdd(pattern.AsString, p => new System.Text.RegularExpressions.Regex("^(?:" + p + ")$", RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(100)));
        }
        catch (ArgumentException e)
        {
            throw CypherException.Argument("InvalidArgumentValue", $"not a valid regular expression: {e.Message}");
        }
        try { return Value.Bool(re.IsMatch(text.AsString)); }
        catch (RegexMatchTimeoutException) { throw CypherException.Argument("InvalidArgumentValue", "the regular expression took too long (more than 100 ms)"); }
    }

    public static string ToText(in Value v) => v.Kind switch
    {
        ValueKind.String => v.AsString,
        ValueKind.Integer => v.AsInt.ToString(CultureInfo.InvariantCulture),
        ValueKind.Float => Values.FormatFloat(v.AsFloat),
        ValueKind.Boolean => v.AsBool ? "true" : "false",
        _ => Values.Format(v),
    };

    // ---- functions ----

    private static readonly HashSet<string> Known = new(StringComparer.OrdinalIgnoreCase)
    {
        "id", "labels", "type", "properties", "keys", "length", "nodes", "relationships", "size", "tolower", "toupper", "coalesce",
        "exists", "startnode", "endnode", "head", "last", "tail", "range", "tostring", "tointeger", "tofloat", "toboolean",
        "abs", "ceil", "floor", "round", "sign", "sqrt", "trim", "ltrim", "rtrim", "replace", "substring", "left", "right",
        "split", "reverse", "exp", "log", "log10", "e", "pi", "sin", "cos", "tan", "asin", "acos", "atan", "atan2", "degrees",
        "radians", "isempty", "tostringornull", "tointegerornull", "tofloatornull", "tobooleanornull", "lower", "upper", "rand",
    };

    /// <summary>openCypher functions this subset leaves out (temporal, spatial and a few others): refused as unsupported, not unknown.</summary>
    private static readonly HashSet<string> NotImplemented = new(StringComparer.OrdinalIgnoreCase)
    {
        "date", "datetime", "localdatetime", "time", "localtime", "duration", "point", "distance", "timestamp", "randomuuid", "haversin", "cot",
    };

    /// <summary>Arguments whose kind the planner knows and that the function cannot take are refused before running.</summary>
    public static void CheckArguments(FunctionExpr fn, ValueKind?[] kinds)
    {
        if (kinds.Length != 1 || kinds[0] is not { } k || k == ValueKind.Null) return;
        ValueKind[]? allowed = fn.Name.ToLowerInvariant() switch
        {
            "labels" => [ValueKind.Node],
            "type" or "startnode" or "endnode" => [ValueKind.Relationship],
            "length" or "nodes" or "relationships" => [ValueKind.Path],
            "id" => [ValueKind.Node, ValueKind.Relationship],
            "properties" or "keys" => [ValueKind.Node, ValueKind.Relationship, ValueKind.Map],
            "size" => [ValueKind.List, ValueKind.String],
            _ => null,
        };
        if (allowed is not null && !allowed.Contains(k))
            throw CypherException.Syntax("InvalidArgumentType", $"{fn.Name}() does not take {Value.KindName(k)}", fn.At);
    }

    public static Eval Compile(FunctionExpr fn, Eval[] args)
    {
        var name = fn.Name.ToLowerInvariant();
        if (!Known.Contains(name))
            throw NotImplemented.Contains(name)
                ? new CypherException(CypherErrorKind.Unsupported, $"function {fn.Name}()", $"{fn.Name}() is openCypher but not in this subset (docs/cypher.md lists the functions)", fn.At.Line, fn.At.Column)
                : CypherException.Syntax("UnknownFunction", $"{fn.Name}() is not a function (docs/cypher.md lists them)", fn.At);
        if (fn.Distinct) throw CypherException.Syntax("InvalidAggregation", $"DISTINCT is only allowed in aggregates, not in {fn.Name}()", fn.At);
        var (min, max) = name switch
        {
            "coalesce" => (1, int.MaxValue),
            "e" or "pi" or "rand" => (0, 0),
            "range" => (2, 3),
            "round" => (1, 3),
            "substring" => (2, 3),
            "replace" => (3, 3),
            "left" or "right" or "split" or "atan2" => (2, 2),
            _ => (1, 1),
        };
        if (args.Length < min || args.Length > max)
            throw CypherException.Syntax("InvalidNumberOfArguments", $"{fn.Name}() takes {(min == max ? min.ToString(CultureInfo.InvariantCulture) : $"{min} to {(max == int.MaxValue ? "any number of" : max)}")} argument{(max == 1 ? "" : "s")}, got {args.Length}", fn.At);
        if (name == "coalesce")
            return ctx =>
            {
                foreach (var a in args) { var v = a(ctx); if (!v.IsNull) return v; }
                return Value.Null;
            };
        if (name == "e") return _ => Value.Float(Math.E);
        if (name == "rand") return _ => Value.Float(Random.Shared.NextDouble());
        if (name == "pi") return _ => Value.Float(Math.PI);
        if (args.Length == 1)
        {
            var a0 = args[0];
            return ctx => One(ctx, name, a0(ctx));
        }
        return ctx =>
        {
            var vs = new Value[args.Length];
            for (var i = 0; i < vs.Length; i++) vs[i] = args[i](ctx);
            return Many(ctx, name, vs);
        };
    }

    /// <summary>The text elements (what size() counts) in reverse order: a surrogate pair or a combining sequence stays whole.</summary>
    private static string ReverseText(string s)
    {
        var sb = new System.Text.StringBuilder(s.Length);
        var starts = StringInfo.ParseCombiningCharacters(s);
        for (var i = starts.Length - 1; i >= 0; i--)
        {
            var end = i + 1 < starts.Length ? starts[i + 1] : s.Length;
            sb.Append(s, starts[i], end - starts[i]);
        }
        return sb.ToString();
    }

    private static Value Built(ExecutionContext ctx, long n, Func<Value[]> make)
    {
        ctx.Build(n);
        return Value.List(make());
    }

    private static CypherException Wrong(string fn, in Value v) =>
        CypherException.Type("InvalidArgumentValue", $"{fn}() does not take {v.KindName()}");

    private static Value One(ExecutionContext ctx, string name, Value v)
    {
        var g = ctx.Graph;
        if (v.IsNull) return name is "exists" or "isempty" ? (name == "exists" ? Value.False : Value.Null) : Value.Null;
        switch (name)
        {
            case "id":
                return v.Kind is ValueKind.Node or ValueKind.Relationship ? Value.Int(v.AsInt) : throw Wrong(name, v);
            case "labels":
            {
                if (v.Kind != ValueKind.Node) throw Wrong(name, v);
                var ids = new List<int>();
                g.LabelsOf(v.NodeId, ids);
                return Value.List(ids.Select(l => Value.Str(g.LabelName(l))).ToArray());
            }
            case "type":
                return v.Kind == ValueKind.Relationship ? Value.Str(g.TypeName(g.RelationshipType(v.RelationshipId))) : throw Wrong(name, v);
            case "properties":
            {
                if (v.Kind == ValueKind.Map) return v;
                var list = new List<KeyValuePair<string, Value>>();
                if (v.Kind == ValueKind.Node) g.NodeProperties(v.NodeId, list);
                else if (v.Kind == ValueKind.Relationship) g.RelationshipProperties(v.RelationshipId, list);
                else throw Wrong(name, v);
                var map = new Dictionary<string, Value>(StringComparer.Ordinal);
                foreach (var (k, x) in list) map[k] = x;
                return Value.Map(map);
            }
            case "keys":
            {
                if (v.Kind == ValueKind.Map) return Value.List(v.AsMap.Keys.Select(Value.Str).ToArray());
                var list = new List<KeyValuePair<string, Value>>();
                if (v.Kind == ValueKind.Node) g.NodeProperties(v.NodeId, list);
                else if (v.Kind == ValueKind.Relationship) g.RelationshipProperties(v.RelationshipId, list);
                else throw Wrong(name, v);
                return Value.List(list.Select(p => Value.Str(p.Key)).ToArray());
            }
            case "length":
                return v.Kind switch
                {
                    ValueKind.Path => Value.Int(v.AsPath.Relationships.Length),
                    _ => throw Wrong(name, v),
                };
            case "nodes":
                return v.Kind == ValueKind.Path ? Value.List(v.AsPath.Nodes.Select(Value.Node).ToArray()) : throw Wrong(name, v);
            case "relationships":
                return v.Kind == ValueKind.Path ? Value.List(v.AsPath.Relationships.Select(Value.Relationship).ToArray()) : throw Wrong(name, v);
            case "startnode":
                return v.Kind == ValueKind.Relationship ? Value.Node(g.StartNode(v.RelationshipId)) : throw Wrong(name, v);
            case "endnode":
                return v.Kind == ValueKind.Relationship ? Value.Node(g.EndNode(v.RelationshipId)) : throw Wrong(name, v);
            case "size":
                return v.Kind switch
                {
                    ValueKind.List => Value.Int(v.AsList.Length),
                    ValueKind.String => Value.Int(new StringInfo(v.AsString).LengthInTextElements),
                    _ => throw Wrong(name, v),
                };
            case "isempty":
                return v.Kind switch
                {
                    ValueKind.List => Value.Bool(v.AsList.Length == 0),
                    ValueKind.String => Value.Bool(v.AsString.Length == 0),
                    ValueKind.Map => Value.Bool(v.AsMap.Count == 0),
                    _ => throw Wrong(name, v),
                };
            case "tolower" or "lower":
                return v.Kind == ValueKind.String ? Value.Str(v.AsString.ToLowerInvariant()) : throw Wrong(name, v);
            case "toupper" or "upper":
                return v.Kind == ValueKind.String ? Value.Str(v.AsString.ToUpperInvariant()) : throw Wrong(name, v);
            case "trim":
                return v.Kind == ValueKind.String ? Value.Str(v.AsString.Trim(' ', '\t', '\n', '\r')) : throw Wrong(name, v);
            case "ltrim":
                return v.Kind == ValueKind.String ? Value.Str(v.AsString.TrimStart(' ', '\t', '\n', '\r')) : throw Wrong(name, v);
            case "rtrim":
                return v.Kind == ValueKind.String ? Value.Str(v.AsString.TrimEnd(' ', '\t', '\n', '\r')) : throw Wrong(name, v);
            case "reverse":
                return v.Kind switch
                {
                    ValueKind.String => Value.Str(ReverseText(v.AsString)),
                    ValueKind.List => Built(ctx, v.AsList.Length, () => v.AsList.Reverse().ToArray()),
                    _ => throw Wrong(name, v),
                };
            case "exists":
                return Value.True;
            case "head":
                return v.Kind == ValueKind.List ? (v.AsList.Length > 0 ? v.AsList[0] : Value.Null) : throw Wrong(name, v);
            case "last":
                return v.Kind == ValueKind.List ? (v.AsList.Length > 0 ? v.AsList[^1] : Value.Null) : throw Wrong(name, v);
            case "tail":
                return v.Kind == ValueKind.List ? (v.AsList.Length > 0 ? Built(ctx, v.AsList.Length - 1, () => v.AsList[1..]) : Value.EmptyList) : throw Wrong(name, v);
            case "tostring" or "tostringornull":
                return v.Kind is ValueKind.String or ValueKind.Integer or ValueKind.Float or ValueKind.Boolean ? Value.Str(ToText(v))
                    : name == "tostringornull" ? Value.Null : throw Wrong(name, v);
            case "tointeger" or "tointegerornull":
                return ToInteger(v, name);
            case "tofloat" or "tofloatornull":
                return ToFloat(v, name);
            case "toboolean" or "tobooleanornull":
                return v.Kind switch
                {
                    ValueKind.Boolean => v,
                    ValueKind.String => v.AsString.Trim().ToLowerInvariant() switch { "true" => Value.True, "false" => Value.False, _ => Value.Null },
                    ValueKind.Integer => Value.Bool(v.AsInt != 0),
                    _ => name == "tobooleanornull" ? Value.Null : throw Wrong(name, v),
                };
            case "abs":
                return v.Kind switch
                {
                    ValueKind.Integer => v.AsInt == long.MinValue ? throw CypherException.Argument("NumberOutOfRange", "abs() of the smallest integer does not fit in 64 bits") : Value.Int(Math.Abs(v.AsInt)),
                    ValueKind.Float => Value.Float(Math.Abs(v.AsFloat)),
                    _ => throw Wrong(name, v),
                };
            case "sign":
                return v.IsNumber ? Value.Int(Math.Sign(v.AsDouble)) : throw Wrong(name, v);
            case "ceil": return Float(name, v, Math.Ceiling);
            case "floor": return Float(name, v, Math.Floor);
            case "round": return Float(name, v, x => Math.Round(x, MidpointRounding.AwayFromZero));
            case "sqrt": return Float(name, v, Math.Sqrt);
            case "exp": return Float(name, v, Math.Exp);
            case "log": return Float(name, v, Math.Log);
            case "log10": return Float(name, v, Math.Log10);
            case "sin": return Float(name, v, Math.Sin);
            case "cos": return Float(name, v, Math.Cos);
            case "tan": return Float(name, v, Math.Tan);
            case "asin": return Float(name, v, Math.Asin);
            case "acos": return Float(name, v, Math.Acos);
            case "atan": return Float(name, v, Math.Atan);
            case "degrees": return Float(name, v, x => x * 180 / Math.PI);
            case "radians": return Float(name, v, x => x * Math.PI / 180);
        }
        throw new CypherException(CypherErrorKind.Unsupported, "UnknownFunction", $"{name}() with one argument is not supported");
    }

    private static Value Float(string name, in Value v, Func<double, double> f) =>
        v.IsNumber ? Value.Float(f(v.AsDouble)) : throw Wrong(name, v);

    private static Value ToInteger(in Value v, string name)
    {
        switch (v.Kind)
        {
            case ValueKind.Integer: return v;
            case ValueKind.Float:
            {
                var d = Math.Truncate(v.AsFloat);
                if (double.IsNaN(d) || d < long.MinValue || d >= 9.2233720368547758E18) return Value.Null;
                return Value.Int((long)d);
            }
            case ValueKind.String:
            {
                var s = v.AsString.Trim();
                if (long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var i)) return Value.Int(i);
                if (double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && !double.IsNaN(d) && !double.IsInfinity(d)
                    && Math.Truncate(d) is var t && t >= long.MinValue && t < 9.2233720368547758E18)
                    return Value.Int((long)t);
                return Value.Null;
            }
            case ValueKind.Boolean: return Value.Int(v.AsBool ? 1 : 0);
        }
        return name.EndsWith("ornull", StringComparison.Ordinal) ? Value.Null : throw Wrong(name, v);
    }

    private static Value ToFloat(in Value v, string name)
    {
        switch (v.Kind)
        {
            case ValueKind.Float: return v;
            case ValueKind.Integer: return Value.Float(v.AsInt);
            case ValueKind.String:
                return double.TryParse(v.AsString.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? Value.Float(d) : Value.Null;
        }
        return name.EndsWith("ornull", StringComparison.Ordinal) ? Value.Null : throw Wrong(name, v);
    }

    private static Value Many(ExecutionContext ctx, string name, Value[] a)
    {
        switch (name)
        {
            case "range":
            {
                foreach (var x in a)
                {
                    if (x.IsNull) return Value.Null;
                    if (x.Kind != ValueKind.Integer) throw CypherException.Argument("InvalidArgumentType", $"range() takes integers, got {x.KindName()}");
                }
                long start = a[0].AsInt, end = a[1].AsInt, step = a.Length > 2 ? a[2].AsInt : 1;
                if (step == 0) throw CypherException.Argument("NumberOutOfRange", "range() needs a step other than 0");
                // In 128 bits: end - start overflows 64 for range(-9223372036854775808, 9223372036854775807, ...).
                Int128 s = start, e = end, st = step;
                var count = st > 0 ? (e >= s ? (e - s) / st + 1 : 0) : (s >= e ? (s - e) / -st + 1 : 0);
                if (count > 10_000_000) throw CypherException.Argument("NumberOutOfRange", $"range() would make {count:N0} values; at most 10,000,000");
                ctx.Build((long)count);
                var list = new Value[(int)count];
                var next = start;
                for (var i = 0; i < list.Length; i++)
                {
                    ctx.Tick();
                    list[i] = Value.Int(next);
                    next = unchecked(next + step); // past the end only after the last element
                }
                return Value.List(list);
            }
            case "round":
            {
                if (a[0].IsNull || a[1].IsNull) return Value.Null;
                if (!a[0].IsNumber || a[1].Kind != ValueKind.Integer) throw Wrong(name, a[0]);
                var mode = a.Length > 2 && a[2].Kind == ValueKind.String ? a[2].AsString.ToUpperInvariant() : "HALF_UP";
                var m = mode switch { "HALF_EVEN" => MidpointRounding.ToEven, "DOWN" => MidpointRounding.ToZero, "FLOOR" => MidpointRounding.ToNegativeInfinity, "CEILING" => MidpointRounding.ToPositiveInfinity, _ => MidpointRounding.AwayFromZero };
                return Value.Float(Math.Round(a[0].AsDouble, (int)Math.Clamp(a[1].AsInt, 0, 15), m));
            }
            case "substring":
            {
                if (a[0].IsNull) return Value.Null;
                if (a[0].Kind != ValueKind.String || a[1].Kind != ValueKind.Integer || (a.Length > 2 && a[2].Kind != ValueKind.Integer)) throw Wrong(name, a[0]);
                var s = new StringInfo(a[0].AsString);
                var start = a[1].AsInt;
                if (start < 0 || (a.Length > 2 && a[2].AsInt < 0)) throw CypherException.Argument("NumberOutOfRange", "substring() takes non-negative positions");
                var count = s.LengthInTextElements;
                if (start >= count) return Value.Str("");
                var len = a.Length > 2 ? Math.Min(a[2].AsInt, count - start) : count - start;
                return Value.Str(len == 0 ? "" : s.SubstringByTextElements((int)start, (int)len));
            }
            case "left":
            case "right":
            {
                if (a[0].IsNull) return Value.Null;
                if (a[0].Kind != ValueKind.String || a[1].Kind != ValueKind.Integer) throw Wrong(name, a[0]);
                if (a[1].AsInt < 0) throw CypherException.Argument("NumberOutOfRange", $"{name}() takes a non-negative length");
                var s = new StringInfo(a[0].AsString);
                var count = s.LengthInTextElements;
                var n = (int)Math.Min(a[1].AsInt, count);
                if (n == 0) return Value.Str("");
                return Value.Str(name == "left" ? s.SubstringByTextElements(0, n) : s.SubstringByTextElements(count - n, n));
            }
            case "replace":
            {
                if (a.Any(x => x.IsNull)) return Value.Null;
                if (a.Any(x => x.Kind != ValueKind.String)) throw Wrong(name, a.First(x => x.Kind != ValueKind.String));
                return a[1].AsString.Length == 0 ? a[0] : Value.Str(a[0].AsString.Replace(a[1].AsString, a[2].AsString, StringComparison.Ordinal));
            }
            case "split":
            {
                if (a[0].IsNull || a[1].IsNull) return Value.Null;
                if (a[0].Kind != ValueKind.String || a[1].Kind != ValueKind.String) throw Wrong(name, a[0]);
                var sep = a[1].AsString;
                var parts = sep.Length == 0 ? a[0].AsString.Select(c => c.ToString()).ToArray() : a[0].AsString.Split(sep);
                ctx.Build(parts.Length);
                return Value.List(parts.Select(Value.Str).ToArray());
            }
            case "atan2":
                if (a[0].IsNull || a[1].IsNull) return Value.Null;
                return Value.Float(Math.Atan2(a[0].AsDouble, a[1].AsDouble));
        }
        throw new CypherException(CypherErrorKind.Unsupported, "UnknownFunction", $"{name}() with {a.Length} arguments is not supported");
    }
}

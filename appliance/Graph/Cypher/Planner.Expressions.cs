using System.Text;

namespace Redoubt.Graph.Cypher;

/// <summary>How an expression is compiled where a projection has already computed parts of it.</summary>
internal sealed record ExprOptions
{
    public static readonly ExprOptions None = new();
    /// <summary>Aggregate calls already computed into slots (by reference).</summary>
    public Dictionary<Expr, int>? Aggregates { get; init; }
    /// <summary>Sub-expressions equal (by text) to a projected item: read the item's slot.</summary>
    public Dictionary<string, int>? Replacements { get; init; }
    /// <summary>Variables of the scope before a projection that are no longer visible: using one is an error with this code.</summary>
    public Scope? OuterScope { get; init; }
    public string UnboundCode { get; init; } = "UndefinedVariable";
    public string? RestrictedBy { get; init; }
}

// Expressions compile to closures over the row; constants are computed once.
internal sealed partial class Planner
{
    private Eval CompileExpr(Expr e, Scope scope, ExprOptions? options = null)
    {
        var o = options ?? ExprOptions.None;
        if (o.Aggregates is { } aggs && aggs.TryGetValue(e, out var aggSlot)) return ctx => ctx.Row[aggSlot];
        if (o.Replacements is { Count: > 0 } repl && e is not (LiteralExpr or ParameterExpr) && repl.TryGetValue(Canon(e), out var replSlot))
            return ctx => ctx.Row[replSlot];
        Eval C(Expr x) => CompileExpr(x, scope, o);

        switch (e)
        {
            case LiteralExpr lit:
            {
                var v = lit.Value;
                return _ => v;
            }
            case ParameterExpr p:
            {
                if (!_parameters.TryGetValue(p.Name, out var v))
                    throw new CypherException(CypherErrorKind.ParameterMissing, "MissingParameter", $"the query uses ${p.Name} but no parameter of that name was given", p.At.Line, p.At.Column);
                return _ => v;
            }
            case VariableExpr ve:
            {
                if (scope.TryGet(ve.Name, out var v))
                {
                    var slot = v.Slot;
                    return ctx => ctx.Row[slot];
                }
                if (o.OuterScope is { } outer && outer.Contains(ve.Name))
                {
                    if (o.UnboundCode == "AmbiguousAggregationExpression")
                        throw CypherException.Syntax(o.UnboundCode, $"'{ve.Name}' is used next to an aggregate but is not a grouping key; add it to the projection", ve.At);
                    throw CypherException.Syntax(o.UnboundCode, $"'{ve.Name}' is not visible here: after {o.RestrictedBy ?? "aggregation"} only the projected columns are", ve.At);
                }
                throw CypherException.Syntax("UndefinedVariable", $"variable '{ve.Name}' is not defined", ve.At);
            }
            case PropertyExpr pe:
            {
                switch (StaticKind(pe.Target, scope))
                {
                    case ValueKind.Path:
                        throw CypherException.Syntax("InvalidArgumentType", $"a path has no properties ('{pe.Name}')", pe.At);
                    case ValueKind.Integer or ValueKind.Float or ValueKind.Boolean or ValueKind.String or ValueKind.List:
                        throw new CypherException(CypherErrorKind.Type, "InvalidArgumentType", $"cannot read property '{pe.Name}' of {Value.KindName(StaticKind(pe.Target, scope)!.Value)}", pe.At.Line, pe.At.Column);
                }
                var target = C(pe.Target);
                var name = pe.Name;
                return ctx => Functions.Property(ctx, target(ctx), name);
            }
            case IndexExpr ie:
            {
                var target = C(ie.Target);
                var index = C(ie.Index);
                return ctx => Functions.Index(ctx, target(ctx), index(ctx));
            }
            case SliceExpr se:
            {
                var target = C(se.Target);
                var from = se.From is null ? null : C(se.From);
                var to = se.To is null ? null : C(se.To);
                return ctx => Functions.Slice(ctx, target(ctx), from?.Invoke(ctx), to?.Invoke(ctx));
            }
            case BinaryExpr be:
                if (be.Op is BinaryOp.Subtract or BinaryOp.Multiply or BinaryOp.Divide or BinaryOp.Modulo or BinaryOp.Power)
                    foreach (var side in (Expr[])[be.Left, be.Right])
                        if (StaticKind(side, scope) is { } sk and not (ValueKind.Integer or ValueKind.Float or ValueKind.Null))
                            throw CypherException.Syntax("InvalidArgumentType", $"{be.Op.ToString().ToLowerInvariant()} needs numbers, not {Value.KindName(sk)}", side.At);
                if (be.Op is BinaryOp.And or BinaryOp.Or or BinaryOp.Xor)
                {
                    CheckBoolean(be.Left, scope, be.Op.ToString().ToUpperInvariant());
                    CheckBoolean(be.Right, scope, be.Op.ToString().ToUpperInvariant());
                }
                if (be.Op == BinaryOp.In && StaticKind(be.Right, scope) is { } rk and not (ValueKind.List or ValueKind.Null))
                    throw CypherException.Syntax("InvalidArgumentType", $"IN needs a list on its right, not {Value.KindName(rk)}", be.Right.At);
                return Binary(be, C(be.Left), C(be.Right));
            case CompareExpr ce:
            {
                var operands = ce.Operands.Select(C).ToArray();
                var ops = ce.Ops.ToArray();
                return ctx =>
                {
                    bool? result = true;
                    var left = operands[0](ctx);
                    for (var i = 0; i < ops.Length; i++)
                    {
                        var right = operands[i + 1](ctx);
                        var r = Functions.Compare(ops[i], left, right);
                        if (r == false) return Value.False;
                        if (r is null) result = null;
                        left = right;
                    }
                    return Value.Bool(result);
                };
            }
            case NotExpr ne:
            {
                CheckBoolean(ne.Operand, scope, "NOT");
                var x = C(ne.Operand);
                return ctx => x(ctx) is var v && v.IsNull ? Value.Null : Value.Bool(!Functions.Truth(v, "NOT"));
            }
            case NegateExpr neg:
            {
                var x = C(neg.Operand);
                return ctx => Functions.Negate(x(ctx));
            }
            case IsNullExpr isn:
            {
                var x = C(isn.Operand);
                var negated = isn.Negated;
                return ctx => Value.Bool(x(ctx).IsNull != negated);
            }
            case HasLabelsExpr hl:
            {
                var x = C(hl.Target);
                var labels = Labels(hl.Labels);
                return ctx =>
                {
                    var v = x(ctx);
                    if (v.IsNull) return Value.Null;
                    if (v.Kind != ValueKind.Node) throw CypherException.Type("InvalidArgumentType", $"a label check needs a node, got {v.KindName()}");
                    return Value.Bool(labels.Matches(ctx.Graph, v.NodeId));
                };
            }
            case CountStarExpr cs:
                throw CypherException.Syntax("InvalidAggregation", "count(*) is only allowed in WITH and RETURN", cs.At);
            case FunctionExpr fn:
            {
                if (Functions.AggregateKindOf(fn.Name) is not null)
                    throw CypherException.Syntax("InvalidAggregation", $"{fn.Name}() is an aggregate: it is only allowed in WITH and RETURN", fn.At);
                if (fn.Name.Equals("exists", StringComparison.OrdinalIgnoreCase) && fn.Args is [PatternExpr pattern])
                    return CompileExpr(pattern, scope, o);
                if (fn.Name.Equals("exists", StringComparison.OrdinalIgnoreCase) && fn.Args is [var arg] && arg is not PropertyExpr)
                    throw CypherException.Syntax("InvalidArgumentType", "exists() takes a property (exists(n.prop)) or a pattern", arg.At);
                foreach (var a in fn.Args) if (a is PatternExpr pa) throw CypherException.Syntax("UnexpectedSyntax", $"a pattern cannot be an argument of {fn.Name}() (only of exists())", pa.At);
                Functions.CheckArguments(fn, fn.Args.Select(a => StaticKind(a, scope)).ToArray());
                return Functions.Compile(fn, fn.Args.Select(C).ToArray());
            }
            case ListExpr le:
            {
                var items = le.Items.Select(C).ToArray();
                if (items.Length == 0) return _ => Value.EmptyList;
                if (le.Items.All(i => i is LiteralExpr or ParameterExpr))
                {
                    // Constant: built once, counts nothing (WHERE n.x IN [1, 2, 3] over every node).
                    var constant = Value.List(items.Select(i => i(null!)).ToArray());
                    return _ => constant;
                }
                return ctx =>
                {
                    ctx.Build(items.Length);
                    var list = new Value[items.Length];
                    for (var i = 0; i < list.Length; i++) list[i] = items[i](ctx);
                    return Value.List(list);
                };
            }
            case MapExpr me:
            {
                var entries = me.Entries.Select(x => (x.Key, Eval: C(x.Value))).ToArray();
                return ctx =>
                {
                    var map = new Dictionary<string, Value>(entries.Length, StringComparer.Ordinal);
                    foreach (var (k, v) in entries) map[k] = v(ctx);
                    return Value.Map(map);
                };
            }
            case CaseExpr ce:
                return Case(ce, C);
            case ListComprehensionExpr lc:
            {
                var list = C(lc.List);
                var inner = new Scope(scope);
                var v = new Variable(lc.Variable, NewSlot(), VarType.Any) { Static = ElementKind(lc.List) };
                inner.Set(v);
                var where = lc.Where is null ? null : CompileExpr(lc.Where, inner, o);
                var proj = lc.Projection is null ? null : CompileExpr(lc.Projection, inner, o);
                var slot = v.Slot;
                return ctx =>
                {
                    var l = list(ctx);
                    if (l.IsNull) return Value.Null;
                    if (l.Kind != ValueKind.List) throw CypherException.Type("InvalidArgumentType", $"a list comprehension needs a list, got {l.KindName()}");
                    var result = new List<Value>();
                    foreach (var x in l.AsList)
                    {
                        ctx.Tick();
                        ctx.Row[slot] = x;
                        if (where is not null && where(ctx) is var w && !(w.Kind == ValueKind.Boolean && w.AsBool)) continue;
                        ctx.Build(1);
                        result.Add(proj is null ? x : proj(ctx));
                    }
                    return Value.List(result.ToArray());
                };
            }
            case QuantifierExpr q:
            {
                var list = C(q.List);
                var inner = new Scope(scope);
                var v = new Variable(q.Variable, NewSlot(), VarType.Any) { Static = ElementKind(q.List) };
                inner.Set(v);
                var where = CompileExpr(q.Where, inner, o);
                var slot = v.Slot;
                var kind = q.Kind;
                return ctx =>
                {
                    var l = list(ctx);
                    if (l.IsNull) return Value.Null;
                    if (l.Kind != ValueKind.List) throw CypherException.Type("InvalidArgumentType", $"{kind.ToString().ToLowerInvariant()}() needs a list, got {l.KindName()}");
                    int yes = 0, unknown = 0, n = 0;
                    foreach (var x in l.AsList)
                    {
                        n++;
                        ctx.Tick();
                        ctx.Row[slot] = x;
                        var r = where(ctx);
                        if (r.IsNull) unknown++;
                        else if (Functions.Truth(r, "a quantifier's WHERE")) yes++;
                    }
                    var no = n - yes - unknown;
                    return kind switch
                    {
                        QuantifierKind.All => no > 0 ? Value.False : unknown > 0 ? Value.Null : Value.True,
                        QuantifierKind.Any => yes > 0 ? Value.True : unknown > 0 ? Value.Null : Value.False,
                        QuantifierKind.None => yes > 0 ? Value.False : unknown > 0 ? Value.Null : Value.True,
                        _ => yes > 1 ? Value.False : unknown > 0 ? Value.Null : Value.Bool(yes == 1),
                    };
                };
            }
            case PatternExpr pe:
                return PatternPredicate(pe, scope);
            case PatternComprehensionExpr pc:
            {
                var local = new Scope(scope);
                var (inner, _) = CompileMatch(new MatchClause(pc.At, false, [pc.Pattern], pc.Where), new ArgumentOp(), local, 1);
                var proj = CompileExpr(pc.Projection, local, o);
                return ctx =>
                {
                    var list = new List<Value>();
                    foreach (var _ in inner.Run(ctx))
                    {
                        ctx.Build(1);
                        list.Add(proj(ctx));
                    }
                    return Value.List(list.ToArray());
                };
            }
        }
        throw CypherException.Unsupported(e.GetType().Name, e.At);
    }

    /// <summary>The kind of value an expression has when the planner can tell without data (literals, typed variables, predicates); null when it cannot.</summary>
    internal static ValueKind? StaticKind(Expr e, Scope scope) => e switch
    {
        LiteralExpr l => l.Value.Kind,
        ListExpr or ListComprehensionExpr or PatternComprehensionExpr => ValueKind.List,
        MapExpr => ValueKind.Map,
        VariableExpr v when scope.TryGet(v.Name, out var x) => x.Type switch
        {
            VarType.Node => ValueKind.Node,
            VarType.Relationship => ValueKind.Relationship,
            VarType.Path => ValueKind.Path,
            VarType.RelationshipList => ValueKind.List,
            _ => x.Static,
        },
        CompareExpr or NotExpr or IsNullExpr or HasLabelsExpr or QuantifierExpr or PatternExpr => ValueKind.Boolean,
        BinaryExpr { Op: BinaryOp.And or BinaryOp.Or or BinaryOp.Xor or BinaryOp.StartsWith or BinaryOp.EndsWith or BinaryOp.Contains or BinaryOp.In or BinaryOp.Regex } => ValueKind.Boolean,
        _ => null,
    };

    /// <summary>The kind every element of a literal list shares (['a', 'b'] → String); null when mixed or not a literal list.</summary>
    private static ValueKind? ElementKind(Expr list)
    {
        if (list is not ListExpr { Items: { Count: > 0 } items }) return null;
        ValueKind? kind = null;
        foreach (var item in items)
        {
            if (item is not LiteralExpr { Value.Kind: var k } || k == ValueKind.Null) return null;
            if (kind is { } prev && prev != k) return null;
            kind = k;
        }
        return kind;
    }

    /// <summary>Boolean operators and WHERE need booleans: a literal (or typed variable) of another kind is refused before running.</summary>
    internal static void CheckBoolean(Expr e, Scope scope, string where)
    {
        if (StaticKind(e, scope) is { } k and not (ValueKind.Boolean or ValueKind.Null))
            throw CypherException.Syntax("InvalidArgumentType", $"{where} needs a boolean, not {Value.KindName(k)}", e.At);
    }

    private Eval PatternPredicate(PatternExpr pe, Scope scope)
    {
        var part = pe.Pattern;
        if (part.Function != PathFunction.None || part.PathVariable is not null)
            throw CypherException.Unsupported("shortestPath or a path variable in a pattern predicate", pe.At);
        foreach (var name in PatternVariables(part))
            if (!scope.Contains(name))
                throw CypherException.Syntax("UndefinedVariable", $"'{name}' is not defined: a pattern predicate can only use variables bound before it", pe.At);
        var (inner, _) = CompileMatch(new MatchClause(pe.At, false, [part], null), new ArgumentOp(), new Scope(scope), 1);
        return ctx =>
        {
            foreach (var _ in inner.Run(ctx)) return Value.True;
            return Value.False;
        };
    }

    private static IEnumerable<Expr> PatternPropertyExprs(PatternPart p)
    {
        if (p.First.Properties is { } a) yield return a;
        foreach (var (r, n) in p.Chain)
        {
            if (r.Properties is { } rp) yield return rp;
            if (n.Properties is { } np) yield return np;
        }
    }

    private static IEnumerable<string> PatternVariables(PatternPart p)
    {
        if (p.First.Variable is { } a) yield return a;
        foreach (var (r, n) in p.Chain)
        {
            if (r.Variable is { } rv) yield return rv;
            if (n.Variable is { } nv) yield return nv;
        }
    }

    private static Eval Binary(BinaryExpr be, Eval l, Eval r)
    {
        switch (be.Op)
        {
            case BinaryOp.And:
                return ctx =>
                {
                    var a = l(ctx);
                    if (!a.IsNull && !Functions.Truth(a, "AND")) return Value.False;
                    var b = r(ctx);
                    if (!b.IsNull && !Functions.Truth(b, "AND")) return Value.False;
                    return a.IsNull || b.IsNull ? Value.Null : Value.True;
                };
            case BinaryOp.Or:
                return ctx =>
                {
                    var a = l(ctx);
                    if (!a.IsNull && Functions.Truth(a, "OR")) return Value.True;
                    var b = r(ctx);
                    if (!b.IsNull && Functions.Truth(b, "OR")) return Value.True;
                    return a.IsNull || b.IsNull ? Value.Null : Value.False;
                };
            case BinaryOp.Xor:
                return ctx =>
                {
                    var a = l(ctx);
                    var b = r(ctx);
                    if (a.IsNull || b.IsNull) { if (!a.IsNull) Functions.Truth(a, "XOR"); if (!b.IsNull) Functions.Truth(b, "XOR"); return Value.Null; }
                    return Value.Bool(Functions.Truth(a, "XOR") != Functions.Truth(b, "XOR"));
                };
            case BinaryOp.Add: return ctx => Functions.Add(ctx, l(ctx), r(ctx));
            case BinaryOp.Subtract: return ctx => Functions.Arithmetic(BinaryOp.Subtract, l(ctx), r(ctx));
            case BinaryOp.Multiply: return ctx => Functions.Arithmetic(BinaryOp.Multiply, l(ctx), r(ctx));
            case BinaryOp.Divide: return ctx => Functions.Arithmetic(BinaryOp.Divide, l(ctx), r(ctx));
            case BinaryOp.Modulo: return ctx => Functions.Arithmetic(BinaryOp.Modulo, l(ctx), r(ctx));
            case BinaryOp.Power: return ctx => Functions.Arithmetic(BinaryOp.Power, l(ctx), r(ctx));
            case BinaryOp.StartsWith:
            case BinaryOp.EndsWith:
            case BinaryOp.Contains:
            {
                var op = be.Op;
                return ctx =>
                {
                    var a = l(ctx);
                    var b = r(ctx);
                    if (a.Kind != ValueKind.String || b.Kind != ValueKind.String) return Value.Null;
                    return Value.Bool(op switch
                    {
                        BinaryOp.StartsWith => a.AsString.StartsWith(b.AsString, StringComparison.Ordinal),
                        BinaryOp.EndsWith => a.AsString.EndsWith(b.AsString, StringComparison.Ordinal),
                        _ => a.AsString.Contains(b.AsString, StringComparison.Ordinal),
                    });
                };
            }
            case BinaryOp.In: return ctx => Functions.In(l(ctx), r(ctx));
            case BinaryOp.Regex: return ctx => Functions.Regex(l(ctx), r(ctx));
        }
        throw CypherException.Unsupported(be.Op.ToString(), be.At);
    }

    private static Eval Case(CaseExpr ce, Func<Expr, Eval> compile)
    {
        var test = ce.Test is null ? null : compile(ce.Test);
        var whens = ce.Whens.Select(w => (When: compile(w.When), Then: compile(w.Then))).ToArray();
        var otherwise = ce.Else is null ? null : compile(ce.Else);
        return ctx =>
        {
            var t = test?.Invoke(ctx);
            foreach (var (when, then) in whens)
            {
                var w = when(ctx);
                var hit = t is { } tv ? Values.Equal(tv, w) == true : w.Kind == ValueKind.Boolean && w.AsBool;
                if (hit) return then(ctx);
            }
            return otherwise?.Invoke(ctx) ?? Value.Null;
        };
    }

    /// <summary>The AND-ed parts of a predicate, so each can be applied as early as its variables allow.</summary>
    private static IEnumerable<Expr> Conjuncts(Expr e)
    {
        if (e is BinaryExpr { Op: BinaryOp.And } and)
        {
            foreach (var x in Conjuncts(and.Left)) yield return x;
            foreach (var x in Conjuncts(and.Right)) yield return x;
        }
        else yield return e;
    }

    /// <summary>Every sub-expression, outermost first.</summary>
    internal static IEnumerable<Expr> Walk(Expr e)
    {
        yield return e;
        foreach (var c in Children(e))
            foreach (var x in Walk(c))
                yield return x;
    }

    private static IEnumerable<Expr> Children(Expr e) => e switch
    {
        PropertyExpr p => [p.Target],
        IndexExpr i => [i.Target, i.Index],
        SliceExpr s => new[] { s.Target, s.From, s.To }.OfType<Expr>(),
        BinaryExpr b => [b.Left, b.Right],
        CompareExpr c => c.Operands,
        NotExpr n => [n.Operand],
        NegateExpr n => [n.Operand],
        IsNullExpr n => [n.Operand],
        HasLabelsExpr h => [h.Target],
        FunctionExpr f => f.Args,
        ListExpr l => l.Items,
        MapExpr m => m.Entries.Select(x => x.Value),
        CaseExpr c => new[] { c.Test, c.Else }.OfType<Expr>().Concat(c.Whens.SelectMany(w => new[] { w.When, w.Then })),
        ListComprehensionExpr lc => new[] { lc.List, lc.Where, lc.Projection }.OfType<Expr>(),
        QuantifierExpr q => [q.List, q.Where],
        _ => [],
    };

    /// <summary>Variables an expression reads from the row (those a comprehension binds itself excluded).</summary>
    internal static HashSet<string> FreeVariables(Expr e)
    {
        var set = new HashSet<string>(StringComparer.Ordinal);
        Collect(e, []);
        return set;

        void Collect(Expr x, HashSet<string> local)
        {
            switch (x)
            {
                case VariableExpr v:
                    if (!local.Contains(v.Name)) set.Add(v.Name);
                    return;
                case ListComprehensionExpr lc:
                {
                    Collect(lc.List, local);
                    var inner = new HashSet<string>(local) { lc.Variable };
                    if (lc.Where is not null) Collect(lc.Where, inner);
                    if (lc.Projection is not null) Collect(lc.Projection, inner);
                    return;
                }
                case QuantifierExpr q:
                {
                    Collect(q.List, local);
                    Collect(q.Where, new HashSet<string>(local) { q.Variable });
                    return;
                }
                case PatternExpr pe:
                    foreach (var n in PatternVariables(pe.Pattern)) if (!local.Contains(n)) set.Add(n);
                    return;
                case PatternComprehensionExpr pc:
                {
                    // Its own variables are local to it; a free variable of the projection that the pattern names is not free outside.
                    var inner = new HashSet<string>(local);
                    foreach (var n in PatternVariables(pc.Pattern)) inner.Add(n);
                    if (pc.Pattern.PathVariable is { } pv) inner.Add(pv);
                    foreach (var n in PatternVariables(pc.Pattern)) if (!local.Contains(n)) set.Add(n);
                    foreach (var x2 in PatternPropertyExprs(pc.Pattern)) Collect(x2, inner);
                    if (pc.Where is not null) Collect(pc.Where, inner);
                    Collect(pc.Projection, inner);
                    return;
                }
            }
            foreach (var child in Children(x)) Collect(child, local);
        }
    }

    /// <summary>A canonical text of an expression (positions and spacing aside): ORDER BY and aggregate items match projected expressions by it.</summary>
    internal static string Canon(Expr e)
    {
        var sb = new StringBuilder();
        Write(e);
        return sb.ToString();

        void Write(Expr x)
        {
            switch (x)
            {
                case LiteralExpr l: sb.Append(Values.Format(l.Value)); break;
                case ParameterExpr p: sb.Append('$').Append(p.Name); break;
                case VariableExpr v: sb.Append('`').Append(v.Name).Append('`'); break;
                case PropertyExpr p: Write(p.Target); sb.Append('.').Append(p.Name); break;
                case IndexExpr i: Write(i.Target); sb.Append('['); Write(i.Index); sb.Append(']'); break;
                case SliceExpr s: Write(s.Target); sb.Append('['); if (s.From is not null) Write(s.From); sb.Append(".."); if (s.To is not null) Write(s.To); sb.Append(']'); break;
                case BinaryExpr b: sb.Append('('); Write(b.Left); sb.Append(' ').Append(b.Op).Append(' '); Write(b.Right); sb.Append(')'); break;
                case CompareExpr c:
                    sb.Append('(');
                    Write(c.Operands[0]);
                    for (var i = 0; i < c.Ops.Count; i++) { sb.Append(' ').Append(c.Ops[i]).Append(' '); Write(c.Operands[i + 1]); }
                    sb.Append(')');
                    break;
                case NotExpr n: sb.Append("NOT("); Write(n.Operand); sb.Append(')'); break;
                case NegateExpr n: sb.Append("-("); Write(n.Operand); sb.Append(')'); break;
                case IsNullExpr n: sb.Append('('); Write(n.Operand); sb.Append(n.Negated ? " IS NOT NULL)" : " IS NULL)"); break;
                case HasLabelsExpr h: Write(h.Target); foreach (var l in h.Labels) sb.Append(':').Append(l); break;
                case CountStarExpr: sb.Append("count(*)"); break;
                case FunctionExpr f:
                    sb.Append(f.Name.ToLowerInvariant()).Append('(');
                    if (f.Distinct) sb.Append("DISTINCT ");
                    for (var i = 0; i < f.Args.Count; i++) { if (i > 0) sb.Append(", "); Write(f.Args[i]); }
                    sb.Append(')');
                    break;
                case ListExpr l:
                    sb.Append('[');
                    for (var i = 0; i < l.Items.Count; i++) { if (i > 0) sb.Append(", "); Write(l.Items[i]); }
                    sb.Append(']');
                    break;
                case MapExpr m:
                    sb.Append('{');
                    foreach (var (k, v) in m.Entries) { sb.Append(k).Append(": "); Write(v); sb.Append(", "); }
                    sb.Append('}');
                    break;
                default: sb.Append('<').Append(x.GetType().Name).Append('@').Append(x.At.Offset).Append('>'); break;
            }
        }
    }
}

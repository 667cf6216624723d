namespace Redoubt.Graph.Cypher;

internal enum VarType { Any, Node, Relationship, RelationshipList, Path }

/// <summary>A variable in scope: where its value lives in the row. Hidden ones are anonymous pattern elements and aggregate results.</summary>
internal sealed record Variable(string Name, int Slot, VarType Type, bool Hidden = false)
{
    /// <summary>The value's kind when the planner can tell (WITH 1 AS x): a node pattern over it is a type conflict.</summary>
    public ValueKind? Static { get; init; }
}

internal sealed class Scope
{
    private readonly Dictionary<string, Variable> _vars;

    public Scope() => _vars = new Dictionary<string, Variable>(StringComparer.Ordinal);
    public Scope(Scope other) => _vars = new Dictionary<string, Variable>(other._vars, StringComparer.Ordinal);

    public bool TryGet(string name, out Variable v) => _vars.TryGetValue(name, out v!);
    public void Set(Variable v) => _vars[v.Name] = v;
    public bool Contains(string name) => _vars.ContainsKey(name);
    public IEnumerable<Variable> Visible => _vars.Values.Where(v => !v.Hidden);
    public int Count => _vars.Count;
}

/// <summary>A query ready to run: its pipeline, result columns, and what the planner estimated.</summary>
public sealed class CompiledQuery
{
    internal Op Root { get; init; } = null!;
    internal int Slots { get; init; }
    internal int[] ColumnSlots { get; init; } = [];
    public required IReadOnlyList<string> Columns { get; init; }
    public required double EstimatedWork { get; init; }
    public required IReadOnlyList<string> Warnings { get; init; }
    public required bool Writes { get; init; }

    /// <summary>The operators, innermost (first to run) last, one per line.</summary>
    public string Plan
    {
        get
        {
            var lines = new List<string>();
            Walk(Root, 0);
            return string.Join('\n', lines);

            void Walk(Op? op, int indent)
            {
                for (; op is not null; op = op.Input)
                {
                    lines.Add(new string(' ', indent * 2) + op.Describe());
                    if (op is OptionalOp o) Walk(o.Inner, indent + 1);
                    if (op is UnionOp u) foreach (var p in u.Parts) Walk(p, indent + 1);
                }
            }
        }
    }
}

/// <summary>
/// Turns a parsed query into an operator pipeline, checking scopes and types on the way (every
/// compile-time error is raised here, before any data is read). Clause by clause: MATCH patterns are
/// planned from their most selective node (bound variable, then index lookup of kind + key, then
/// the rarest label), WHERE conjuncts are applied as soon as their variables are bound, projections
/// become project/aggregate/distinct/sort/skip-limit operators.
/// </summary>
internal sealed partial class Planner
{
    private readonly ICypherGraph _graph;
    private readonly IReadOnlyDictionary<string, Value> _parameters;
    private readonly CypherLimits _limits;
    private readonly List<string> _warnings = [];
    private int _slots;
    private int _hidden;
    private double _work;
    private bool _writes;

    private Planner(ICypherGraph graph, IReadOnlyDictionary<string, Value> parameters, CypherLimits limits)
    {
        _graph = graph;
        _parameters = parameters;
        _limits = limits;
    }

    public static CompiledQuery Compile(Query query, ICypherGraph graph, IReadOnlyDictionary<string, Value> parameters, CypherLimits limits)
    {
        var p = new Planner(graph, parameters, limits);
        var (root, columns, slots) = p.CompileQuery(query);
        if (p._work > limits.MaxExpansions * limits.ComplexityFactor)
            throw new CypherException(CypherErrorKind.TooComplex, "too_complex",
                $"the planner estimates about {p._work:0.##e0} steps of work, more than the budget allows ({limits.MaxExpansions:N0} × {limits.ComplexityFactor}); add labels, key lookups or a WHERE, or bound the variable-length patterns");
        return new CompiledQuery { Root = root, Slots = p._slots, ColumnSlots = slots, Columns = columns, EstimatedWork = p._work, Warnings = p._warnings, Writes = p._writes };
    }

    private int NewSlot() => _slots++;

    private Variable Hidden(VarType type) => new($" #{_hidden++}", NewSlot(), type, Hidden: true);

    private (Op Root, string[] Columns, int[] Slots) CompileQuery(Query q)
    {
        if (q.Parts.Count == 1) return CompileSingle(q.Parts[0]);
        if (q.UnionAll.Distinct().Count() > 1)
            throw CypherException.Syntax("InvalidClauseComposition", "UNION and UNION ALL cannot be mixed in one query", q.Parts[1].Clauses[0].At);
        var parts = q.Parts.Select(CompileSingle).ToList();
        var columns = parts[0].Columns;
        foreach (var p in parts.Skip(1))
            if (!p.Columns.SequenceEqual(columns))
                throw CypherException.Syntax("DifferentColumnsInUnion", $"all parts of a UNION must return the same columns ({string.Join(", ", columns)} vs {string.Join(", ", p.Columns)})", Pos.None);
        var outSlots = columns.Select(_ => NewSlot()).ToArray();
        var pipes = parts.Select(p => (Op)new ProjectOp(p.Root, p.Slots.Select((s, i) => ((Eval)(ctx => ctx.Row[s]), outSlots[i])).ToArray())).ToList();
        Op root = new UnionOp(pipes);
        if (!q.UnionAll[0]) root = new DistinctOp(root, outSlots);
        return (root, columns, outSlots);
    }

    private (Op Root, string[] Columns, int[] Slots) CompileSingle(SingleQuery sq)
    {
        Op op = new OnceOp();
        var scope = new Scope();
        _work += 1;
        double rows = 1;
        for (var i = 0; i < sq.Clauses.Count; i++)
        {
            var clause = sq.Clauses[i];
            var last = i == sq.Clauses.Count - 1;
            switch (clause)
            {
                case MatchClause m:
                    (op, rows) = CompileMatch(m, op, scope, rows);
                    break;
                case UnwindClause u:
                {
                    var list = CompileExpr(u.List, scope);
                    if (scope.Contains(u.Variable)) throw CypherException.Syntax("VariableAlreadyBound", $"variable '{u.Variable}' is already defined", u.At);
                    var v = new Variable(u.Variable, NewSlot(), VarType.Any);
                    scope.Set(v);
                    op = new UnwindOp(op, list, v.Slot);
                    rows *= 10;
                    _work += rows;
                    break;
                }
                case WithClause w:
                {
                    var (next, newScope, _, _, whereScope) = CompileProjection(w.Projection, op, scope, isReturn: false, w.At);
                    op = next;
                    if (w.Where is not null)
                    {
                        // WITH's WHERE also sees what was in scope before, unless the WITH aggregates.
                        CheckNoAggregate(w.Where, "WHERE");
                        CheckBoolean(w.Where, whereScope, "WHERE");
                        op = new FilterOp(op, CompileExpr(w.Where, whereScope), Canon(w.Where));
                    }
                    scope = newScope;
                    break;
                }
                case ReturnClause r:
                {
                    if (!last) throw CypherException.Syntax("InvalidClauseComposition", "RETURN must be the last clause", r.At);
                    var (next, _, columns, slots, _) = CompileProjection(r.Projection, op, scope, isReturn: true, r.At);
                    return (next, columns, slots);
                }
                case CreateClause c:
                    op = CompileCreate(c, op, scope);
                    _writes = true;
                    break;
            }
        }
        var end = sq.Clauses[^1];
        if (end is CreateClause) return (op, [], []);
        throw CypherException.Syntax("InvalidClauseComposition", "a query must end with RETURN", end.At);
    }

    // ---- projections (WITH, RETURN) ----

    private (Op Op, Scope Scope, string[] Columns, int[] Slots, Scope WhereScope) CompileProjection(Projection p, Op input, Scope scope, bool isReturn, Pos at)
    {
        var items = new List<ProjectionItem>();
        if (p.Star)
        {
            var visible = scope.Visible.OrderBy(v => v.Name, StringComparer.Ordinal).ToList();
            if (visible.Count == 0 && p.Items.Count == 0)
                throw CypherException.Syntax("NoVariablesInScope", $"{(isReturn ? "RETURN" : "WITH")} * needs at least one variable in scope", at);
            items.AddRange(visible.Select(v => new ProjectionItem(new VariableExpr(at, v.Name), null, v.Name)));
        }
        items.AddRange(p.Items);
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var item in items)
        {
            if (!isReturn && item.Alias is null && item.Expr is not VariableExpr)
                throw CypherException.Syntax("NoExpressionAlias", $"'{item.Text}' in WITH needs a name: WITH {item.Text} AS name", item.Expr.At);
            if (!names.Add(item.ColumnName))
                throw CypherException.Syntax("ColumnNameConflict", $"the column '{item.ColumnName}' is defined twice", item.Expr.At);
            CheckNoBarePattern(item.Expr);
        }

        var aggregating = items.Any(i => ContainsAggregate(i.Expr));
        var newScope = new Scope();
        var outSlots = new int[items.Count];
        Op op = input;
        var keyText = new Dictionary<string, int>(StringComparer.Ordinal);

        if (!aggregating)
        {
            var evals = new List<(Eval, int)>();
            for (var i = 0; i < items.Count; i++)
            {
                var item = items[i];
                if (item.Expr is VariableExpr ve && scope.TryGet(ve.Name, out var same) && (item.Alias is null || item.Alias == ve.Name))
                {
                    outSlots[i] = same.Slot;
                    newScope.Set(same with { Name = item.ColumnName, Hidden = false });
                    continue;
                }
                var eval = CompileExpr(item.Expr, scope);
                var slot = NewSlot();
                outSlots[i] = slot;
                evals.Add((eval, slot));
                newScope.Set(Projected(item, slot, scope));
            }
            if (evals.Count > 0) op = new ProjectOp(op, evals.ToArray());
        }
        else
        {
            // Grouping keys: the items without aggregates. Aggregate items (and ORDER BY) read hidden
            // slots that the aggregation fills, and may use grouping keys that are variables or their properties.
            var keys = new List<(Eval, int)>();
            for (var i = 0; i < items.Count; i++)
            {
                var item = items[i];
                if (ContainsAggregate(item.Expr)) continue;
                var eval = CompileExpr(item.Expr, scope);
                int slot;
                if (item.Expr is VariableExpr ve && scope.TryGet(ve.Name, out var same) && (item.Alias is null || item.Alias == ve.Name))
                {
                    slot = same.Slot;
                    newScope.Set(same with { Name = item.ColumnName, Hidden = false });
                }
                else
                {
                    slot = NewSlot();
                    newScope.Set(Projected(item, slot, scope));
                }
                outSlots[i] = slot;
                keys.Add((eval, slot));
                if (IsSimple(item.Expr)) keyText[Canon(item.Expr)] = slot;
            }
            var specs = new List<AggregateSpec>();
            var aggregateSlots = new Dictionary<Expr, int>(ReferenceEqualityComparer.Instance);
            foreach (var item in items.Where(i => ContainsAggregate(i.Expr)))
                CollectAggregates(item.Expr, scope, specs, aggregateSlots);
            // ORDER BY may repeat an aggregate of the projection (ORDER BY count(*)), not add a new one.
            var projected = items.SelectMany(i => Walk(i.Expr)).Where(ContainsAggregateHere).Select(Canon).ToHashSet(StringComparer.Ordinal);
            foreach (var o in p.OrderBy)
                foreach (var x in Walk(o.Expr).Where(ContainsAggregateHere))
                    if (!projected.Contains(Canon(x)))
                        throw CypherException.Syntax("UndefinedVariable", $"ORDER BY {Canon(x)}: an aggregate in ORDER BY must also be in the projection (project it with AS and order by that name)", x.At);
            foreach (var o in p.OrderBy) CollectAggregates(o.Expr, scope, specs, aggregateSlots);
            op = new AggregateOp(op, keys.ToArray(), specs.ToArray());
            _work += 1;
            _aggregateSlots = aggregateSlots;
            var post = new List<(Eval, int)>();
            for (var i = 0; i < items.Count; i++)
            {
                var item = items[i];
                if (!ContainsAggregate(item.Expr)) continue;
                var eval = CompileExpr(item.Expr, new Scope(), new ExprOptions { Aggregates = aggregateSlots, Replacements = keyText, OuterScope = scope, UnboundCode = "AmbiguousAggregationExpression" });
                var slot = NewSlot();
                outSlots[i] = slot;
                post.Add((eval, slot));
                newScope.Set(new Variable(item.ColumnName, slot, VarType.Any));
            }
            op = new ProjectOp(op, post.ToArray());
        }

        if (p.Distinct) op = new DistinctOp(op, outSlots);

        var skip = p.Skip is null ? null : CompileCount(p.Skip, "SKIP");
        var limit = p.Limit is null ? null : CompileCount(p.Limit, "LIMIT");
        var restricted = aggregating || p.Distinct;
        if (p.OrderBy.Count > 0)
        {
            // ORDER BY sees the projected names; without DISTINCT or aggregation also what was in scope before.
            var itemText = new Dictionary<string, int>(StringComparer.Ordinal);
            for (var i = 0; i < items.Count; i++)
                if (!aggregating || !ContainsAggregate(items[i].Expr)) itemText.TryAdd(Canon(items[i].Expr), outSlots[i]);
            if (aggregating) foreach (var (k, v) in keyText) itemText.TryAdd(k, v);
            var orderScope = new Scope(restricted ? new Scope() : scope);
            foreach (var v in newScope.Visible) orderScope.Set(v);
            var keys = new Eval[p.OrderBy.Count];
            for (var i = 0; i < keys.Length; i++)
            {
                var e = p.OrderBy[i].Expr;
                if (!aggregating && ContainsAggregate(e)) throw CypherException.Syntax("InvalidAggregation", "an aggregate in ORDER BY needs one in the projection too", e.At);
                keys[i] = CompileExpr(e, orderScope, new ExprOptions
                {
                    Aggregates = aggregating ? _aggregateSlots : null,
                    Replacements = aggregating && ContainsAggregate(e) ? keyText : itemText,
                    OuterScope = restricted ? scope : null,
                    UnboundCode = aggregating ? "AmbiguousAggregationExpression" : "UndefinedVariable",
                    RestrictedBy = aggregating ? "aggregation" : "DISTINCT",
                });
            }
            op = new SortOp(op, keys, p.OrderBy.Select(o => o.Descending).ToArray(), skip, limit);
        }
        if (skip is not null || limit is not null) op = new SkipLimitOp(op, skip, limit);
        var whereScope = new Scope(aggregating ? new Scope() : scope);
        foreach (var v in newScope.Visible) whereScope.Set(v);
        return (op, newScope, items.Select(i => i.ColumnName).ToArray(), outSlots, whereScope);
    }

    private Dictionary<Expr, int>? _aggregateSlots;

    /// <summary>A variable or a property of one: the only grouping keys an aggregate expression may use (openCypher's rule against ambiguous aggregation).</summary>
    private static bool IsSimple(Expr e) => e is VariableExpr || (e is PropertyExpr { Target: var t } && IsSimple(t));

    private Variable Projected(ProjectionItem item, int slot, Scope scope) =>
        new(item.ColumnName, slot, TypeOf(item.Expr, scope)) { Static = StaticKind(item.Expr, scope) };

    /// <summary>SKIP/LIMIT: an expression without variables; checked now when it is a literal, at run time otherwise.</summary>
    private Eval CompileCount(Expr e, string what)
    {
        if (FreeVariables(e).Count > 0)
            throw CypherException.Syntax("NonConstantExpression", $"{what} needs a constant or a parameter, not an expression over variables", e.At);
        var eval = CompileExpr(e, new Scope());
        if (e is LiteralExpr lit)
        {
            if (lit.Value.Kind != ValueKind.Integer) throw CypherException.Syntax("InvalidArgumentType", $"{what} needs an integer, got {lit.Value.KindName()}", e.At);
            if (lit.Value.AsInt < 0) throw CypherException.Syntax("NegativeIntegerArgument", $"{what} needs a non-negative integer, got {lit.Value.AsInt}", e.At);
        }
        return eval;
    }

    private void CollectAggregates(Expr e, Scope scope, List<AggregateSpec> specs, Dictionary<Expr, int> slots)
    {
        // An aggregate over the list a comprehension reads is fine ([x IN collect(n) | ...]); one in its
        // predicate or projection would aggregate per element, which openCypher refuses.
        foreach (var x in Walk(e))
        {
            Expr?[] perElement = x switch
            {
                ListComprehensionExpr lc => [lc.Where, lc.Projection],
                QuantifierExpr q => [q.Where],
                _ => [],
            };
            if (perElement.Any(p => p is not null && ContainsAggregate(p)))
                throw CypherException.Syntax("InvalidAggregation", "an aggregate cannot be used inside a list comprehension's predicate or projection, or a quantifier's predicate", x.At);
        }
        foreach (var f in Walk(e))
        {
            if (f is CountStarExpr cs)
            {
                var slot = NewSlot();
                slots[cs] = slot;
                specs.Add(new AggregateSpec(AggregateKind.CountStar, false, null, null, slot, "count(*)"));
            }
            else if (f is FunctionExpr fn && Functions.AggregateKindOf(fn.Name) is { } kind)
            {
                var expected = kind is AggregateKind.PercentileCont or AggregateKind.PercentileDisc ? 2 : 1;
                if (fn.Args.Count != expected)
                    throw CypherException.Syntax("InvalidNumberOfArguments", $"{fn.Name}() takes {expected} argument{(expected > 1 ? "s" : "")}", fn.At);
                foreach (var a in fn.Args)
                {
                    if (ContainsAggregate(a)) throw CypherException.Syntax("NestedAggregation", $"{fn.Name}() cannot contain another aggregate", a.At);
                    if (Walk(a).Any(x => x is FunctionExpr { Name: var n } && n.Equals("rand", StringComparison.OrdinalIgnoreCase)))
                        throw CypherException.Syntax("NonConstantExpression", $"{fn.Name}() over rand() has no defined answer", a.At);
                }
                var slot = NewSlot();
                slots[fn] = slot;
                specs.Add(new AggregateSpec(kind, fn.Distinct, CompileExpr(fn.Args[0], scope), expected == 2 ? CompileExpr(fn.Args[1], scope) : null, slot, Canon(fn)));
            }
        }
    }

    private static bool ContainsAggregate(Expr e) => Walk(e).Any(ContainsAggregateHere);

    private static bool ContainsAggregateHere(Expr x) => x is CountStarExpr || (x is FunctionExpr f && Functions.AggregateKindOf(f.Name) is not null);

    private static void CheckNoAggregate(Expr e, string where)
    {
        if (ContainsAggregate(e)) throw CypherException.Syntax("InvalidAggregation", $"aggregates are not allowed in {where}", e.At);
    }

    private static VarType TypeOf(Expr e, Scope scope) =>
        e is VariableExpr v && scope.TryGet(v.Name, out var x) ? x.Type : VarType.Any;

    /// <summary>A pattern is a predicate: allowed in WHERE and exists(), not as a value (RETURN (a)-->(b)).</summary>
    private static void CheckNoBarePattern(Expr e)
    {
        foreach (var x in Walk(e))
        {
            if (x is FunctionExpr { Name: var n } f && n.Equals("exists", StringComparison.OrdinalIgnoreCase)) continue;
            if (x is PatternExpr pe && !Walk(e).OfType<FunctionExpr>().Any(f => f.Name.Equals("exists", StringComparison.OrdinalIgnoreCase) && f.Args.Contains(pe)))
                throw CypherException.Syntax("UnexpectedSyntax", "a pattern is a predicate here: use it in WHERE, or exists((a)-->(b)); a list of matches is a pattern comprehension [(a)-->(b) | b]", pe.At);
        }
    }

    // ---- CREATE (builder mode) ----

    private Op CompileCreate(CreateClause c, Op input, Scope scope)
    {
        var parts = new List<CreateOp.Element[]>();
        foreach (var part in c.Patterns)
        {
            if (part.Function != PathFunction.None) throw CypherException.Syntax("InvalidClauseComposition", "shortestPath cannot be created", part.At);
            var elements = new List<CreateOp.Element>();
            var pathSlot = -1;
            if (part.PathVariable is { } pv)
            {
                if (scope.Contains(pv)) throw CypherException.Syntax("VariableAlreadyBound", $"variable '{pv}' is already defined", part.At);
                var v = new Variable(pv, NewSlot(), VarType.Path);
                pathSlot = v.Slot;
                scope.Set(v);
            }
            elements.Add(CreateNode(part.First, scope, pathSlot));
            foreach (var (rel, node) in part.Chain)
            {
                if (rel.Types.Count != 1) throw CypherException.Syntax("NoSingleRelationshipType", "CREATE needs exactly one relationship type", rel.At);
                if (rel.Direction == RelDirection.Both) throw CypherException.Syntax("RequiresDirectedRelationship", "CREATE needs a direction", rel.At);
                if (rel.Length is not null) throw CypherException.Syntax("CreatingVarLength", "CREATE cannot create a variable-length relationship", rel.At);
                Variable rv;
                if (rel.Variable is { } name)
                {
                    if (scope.Contains(name)) throw CypherException.Syntax("VariableAlreadyBound", $"variable '{name}' is already defined", rel.At);
                    rv = new Variable(name, NewSlot(), VarType.Relationship);
                    scope.Set(rv);
                }
                else rv = Hidden(VarType.Relationship);
                elements.Add(new CreateOp.Element(rv.Slot, false, false, [], rel.Types[0], rel.Direction, CreateProps(rel.Properties, scope), -1));
                elements.Add(CreateNode(node, scope, -1));
            }
            parts.Add(elements.ToArray());
        }
        return new CreateOp(input, parts);
    }

    private CreateOp.Element CreateNode(NodePattern n, Scope scope, int pathSlot)
    {
        if (n.Variable is { } name && scope.TryGet(name, out var existing))
        {
            if (n.Labels.Count > 0 || n.Properties is not null)
                throw CypherException.Syntax("VariableAlreadyBound", $"variable '{name}' is already defined; CREATE cannot add labels or properties to it", n.At);
            return new CreateOp.Element(existing.Slot, true, true, [], null, RelDirection.Right, [], pathSlot);
        }
        var props = CreateProps(n.Properties, scope);
        Variable v;
        if (n.Variable is { } nv)
        {
            v = new Variable(nv, NewSlot(), VarType.Node);
            scope.Set(v);
        }
        else v = Hidden(VarType.Node);
        return new CreateOp.Element(v.Slot, false, true, n.Labels, null, RelDirection.Right, props, pathSlot);
    }

    private (string, Eval)[] CreateProps(Expr? props, Scope scope)
    {
        if (props is null) return [];
        if (props is MapExpr m) return m.Entries.Select(e => (e.Key, CompileExpr(e.Value, scope))).ToArray();
        var eval = CompileExpr(props, scope);
        // A parameter map: its entries, read when the row is created.
        return [("\u0000map", eval)];
    }
}

/// <summary>UNION ALL of the parts' pipelines, one after the other (UNION adds a Distinct on top).</summary>
internal sealed class UnionOp(IReadOnlyList<Op> parts) : Op
{
    public IReadOnlyList<Op> Parts => parts;

    public override IEnumerable<bool> Run(ExecutionContext ctx)
    {
        foreach (var p in parts)
            foreach (var _ in p.Run(ctx))
                yield return true;
    }

    public override string Describe() => "Union";
}

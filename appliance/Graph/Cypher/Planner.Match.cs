namespace Redoubt.Graph.Cypher;

// MATCH planning: declare the pattern's variables, turn inline property maps into predicates,
// order the pattern parts (connected to what is bound first, then the most selective), start each
// chain at its most selective node and expand outwards, apply each predicate as soon as it can be.
internal sealed partial class Planner
{
    private sealed class Predicate(Expr expr, HashSet<string> vars)
    {
        public Expr Expr { get; } = expr;
        public HashSet<string> Vars { get; } = vars;
        public bool Placed { get; set; }
    }

    /// <summary>A pattern element with the variable it binds (anonymous ones get a hidden one).</summary>
    private sealed record NodeEl(NodePattern Pattern, Variable Var);

    private sealed record RelEl(RelPattern Pattern, Variable Var);

    private sealed record Chain(PatternPart Part, NodeEl[] Nodes, RelEl[] Rels, Variable? PathVar);

    private (Op, double) CompileMatch(MatchClause m, Op input, Scope scope, double rowsIn)
    {
        var before = new HashSet<string>(scope.Visible.Select(v => v.Name), StringComparer.Ordinal);
        var local = new Scope(scope);
        var newSlots = new List<int>();
        var chains = m.Patterns.Select(p => DeclarePattern(p, local, before, newSlots)).ToList();

        var predicates = new List<Predicate>();
        if (m.Where is not null)
        {
            CheckNoAggregate(m.Where, "WHERE");
            CheckBoolean(m.Where, local, "WHERE");
            foreach (var c in Conjuncts(m.Where)) predicates.Add(new Predicate(c, FreeVariables(c)));
        }
        foreach (var chain in chains)
        {
            foreach (var n in chain.Nodes) AddPropertyPredicates(n.Pattern.Properties, n.Var, predicates, "a node pattern");
            foreach (var r in chain.Rels)
                if (r.Pattern.Length is null) AddPropertyPredicates(r.Pattern.Properties, r.Var, predicates, "a relationship pattern");
                else if (r.Pattern.Properties is ParameterExpr pe) throw CypherException.Syntax("InvalidParameterUse", "a parameter cannot be a property map in MATCH; write {key: $param}", pe.At);
        }
        foreach (var chain in chains.Where(c => c.Part.Function != PathFunction.None && c.PathVar is not null))
            foreach (var p in predicates)
                if (p.Vars.Contains(chain.PathVar!.Name) || chain.Rels.Any(r => p.Vars.Contains(r.Var.Name)))
                    throw CypherException.Unsupported("WHERE over the path or relationships of a shortestPath", p.Expr.At);

        Op op = m.Optional ? new ArgumentOp() : input;
        var bound = new HashSet<string>(before, StringComparer.Ordinal);
        var rels = new List<(int Slot, bool IsList)>();
        var rows = rowsIn;
        op = Place(op, predicates, bound, local);

        var remaining = chains.ToList();
        while (remaining.Count > 0)
        {
            // Connected to something bound first (a join, not a product); then the cheapest start.
            var next = remaining
                .Select(c => (Chain: c, Connected: c.Nodes.Any(n => bound.Contains(n.Var.Name)), Cost: AnchorOf(c, bound, predicates).Estimate))
                .OrderBy(x => x.Connected ? 0 : 1).ThenBy(x => x.Cost).First().Chain;
            remaining.Remove(next);
            (op, rows) = next.Part.Function == PathFunction.None
                ? EmitChain(next, op, bound, predicates, local, rels, rows)
                : EmitShortest(next, op, bound, predicates, local, rows);
        }
        foreach (var p in predicates.Where(p => !p.Placed))
        {
            op = new FilterOp(op, CompileExpr(p.Expr, local), Canon(p.Expr));
            p.Placed = true;
        }

        foreach (var v in local.Visible) scope.Set(v);
        if (!m.Optional) return (op, rows);
        return (new OptionalOp(input, op, newSlots.ToArray()), Math.Max(rows, rowsIn));
    }

    /// <summary>Declares the variables of one pattern part in the MATCH's scope, checking types against earlier uses.</summary>
    private Chain DeclarePattern(PatternPart part, Scope local, HashSet<string> before, List<int> newSlots)
    {
        Variable Declare(string? name, VarType type, Pos at)
        {
            if (name is null)
            {
                var h = Hidden(type);
                local.Set(h);
                newSlots.Add(h.Slot);
                return h;
            }
            if (local.TryGet(name, out var existing))
            {
                // A value of unknown kind, or null (WITH null AS a MATCH (a)...), may stand for a node or relationship.
                var compatible = existing.Type == type || (existing.Type == VarType.Any && existing.Static is null or ValueKind.Null
                    || existing.Static == (type == VarType.Node ? ValueKind.Node : type == VarType.Relationship ? ValueKind.Relationship : type == VarType.RelationshipList ? ValueKind.List : ValueKind.Path));
                if (!compatible)
                    throw CypherException.Syntax("VariableTypeConflict", $"'{name}' is {Describe(existing.Type)} and cannot be used as {Describe(type)} here", at);
                if (type is VarType.Relationship or VarType.RelationshipList && !before.Contains(name))
                    throw CypherException.Syntax("RelationshipUniquenessViolation", $"the relationship '{name}' appears twice in one MATCH: it would have to be two relationships at once", at);
                if (type == VarType.RelationshipList && before.Contains(name))
                    throw CypherException.Unsupported("a variable-length relationship bound by an earlier clause", at);
                return existing;
            }
            var v = new Variable(name, NewSlot(), type);
            local.Set(v);
            newSlots.Add(v.Slot);
            return v;
        }

        Variable? pathVar = null;
        if (part.PathVariable is { } pv)
        {
            if (local.Contains(pv)) throw CypherException.Syntax("VariableAlreadyBound", $"variable '{pv}' is already defined", part.At);
        }
        var nodes = new List<NodeEl> { new(part.First, Declare(part.First.Variable, VarType.Node, part.First.At)) };
        var rels = new List<RelEl>();
        foreach (var (rel, node) in part.Chain)
        {
            rels.Add(new RelEl(rel, Declare(rel.Variable, rel.Length is null && part.Function == PathFunction.None ? VarType.Relationship : VarType.RelationshipList, rel.At)));
            nodes.Add(new NodeEl(node, Declare(node.Variable, VarType.Node, node.At)));
        }
        if (part.PathVariable is { } p2) pathVar = Declare(p2, VarType.Path, part.At);
        if (part.Function != PathFunction.None)
        {
            if (part.Chain.Count != 1) throw CypherException.Syntax("InvalidRelationshipPattern", "shortestPath needs a pattern with exactly one relationship: shortestPath((a)-[*]-(b))", part.At);
            var len = part.Chain[0].Rel.Length;
            if (len is { Min: > 1 }) throw CypherException.Unsupported("a shortestPath with a minimum length above 1", part.At);
        }
        return new Chain(part, nodes.ToArray(), rels.ToArray(), pathVar);
    }

    private static string Describe(VarType t) => t switch
    {
        VarType.Node => "a node",
        VarType.Relationship => "a relationship",
        VarType.RelationshipList => "a list of relationships",
        VarType.Path => "a path",
        _ => "a value",
    };

    private static void AddPropertyPredicates(Expr? props, Variable v, List<Predicate> predicates, string where)
    {
        if (props is null) return;
        if (props is ParameterExpr pe) throw CypherException.Syntax("InvalidParameterUse", $"a parameter cannot be the property map of {where} in MATCH; write {{key: $param}}", pe.At);
        foreach (var (key, value) in ((MapExpr)props).Entries)
        {
            var target = new VariableExpr(props.At, v.Name);
            var e = new CompareExpr(value.At, [new PropertyExpr(props.At, target, key), value], [CompareOp.Eq]);
            var vars = FreeVariables(value);
            vars.Add(v.Name);
            predicates.Add(new Predicate(e, vars));
        }
    }

    /// <summary>Applies every predicate whose variables are all bound now.</summary>
    private Op Place(Op op, List<Predicate> predicates, HashSet<string> bound, Scope local)
    {
        foreach (var p in predicates)
        {
            if (p.Placed || !p.Vars.All(bound.Contains)) continue;
            op = new FilterOp(op, CompileExpr(p.Expr, local), Canon(p.Expr));
            p.Placed = true;
        }
        return op;
    }

    private readonly record struct Anchor(int Index, double Estimate, string? LookupProperty, Expr? LookupValue);

    /// <summary>Where to start a chain: a bound node, else a key lookup, else the node with the rarest label.</summary>
    private Anchor AnchorOf(Chain c, HashSet<string> bound, List<Predicate> predicates)
    {
        var best = new Anchor(0, double.MaxValue, null, null);
        for (var i = 0; i < c.Nodes.Length; i++)
        {
            var n = c.Nodes[i];
            Anchor a;
            if (bound.Contains(n.Var.Name)) a = new Anchor(i, 1, null, null);
            else if (LookupFor(n, bound, predicates) is { } lookup) a = new Anchor(i, 1.5, "key", lookup);
            else a = new Anchor(i, LabelEstimate(n.Pattern.Labels), null, null);
            if (a.Estimate < best.Estimate) best = a;
        }
        return best;
    }

    private double LabelEstimate(IReadOnlyList<string> labels)
    {
        if (labels.Count == 0) return Math.Max(1, _graph.NodeCount);
        var min = double.MaxValue;
        foreach (var l in labels)
        {
            var id = _graph.LabelId(l);
            min = Math.Min(min, id < 0 ? 0 : _graph.CountWithLabel(id));
        }
        return Math.Max(1, min);
    }

    /// <summary>A predicate n.key = expr whose expr is computable before n is bound: the engine's per-kind key index answers it.</summary>
    private static Expr? LookupFor(NodeEl n, HashSet<string> bound, List<Predicate> predicates)
    {
        foreach (var p in predicates)
        {
            if (p.Placed || p.Expr is not CompareExpr { Ops: [CompareOp.Eq], Operands: [var l, var r] }) continue;
            foreach (var (prop, value) in new[] { (l, r), (r, l) })
            {
                if (prop is PropertyExpr { Name: "key", Target: VariableExpr { Name: var name } } && name == n.Var.Name
                    && FreeVariables(value).All(bound.Contains))
                    return value;
            }
        }
        return null;
    }

    private (Op, double) EmitChain(Chain c, Op op, HashSet<string> bound, List<Predicate> predicates, Scope local, List<(int Slot, bool IsList)> rels, double rows)
    {
        var anchor = AnchorOf(c, bound, predicates);
        var start = c.Nodes[anchor.Index];
        if (!bound.Contains(start.Var.Name))
        {
            var lookup = anchor.LookupValue is null ? null : CompileExpr(anchor.LookupValue, local);
            op = new NodeScanOp(op, start.Var.Slot, Labels(start.Pattern.Labels), anchor.LookupProperty, lookup, NodeText(start));
            _work += rows * (lookup is null ? Math.Max(1, _graph.NodeCount) : 1);
            rows *= anchor.Estimate;
            bound.Add(start.Var.Name);
        }
        else op = LabelFilter(op, start);
        op = Place(op, predicates, bound, local);

        for (var j = anchor.Index + 1; j < c.Nodes.Length; j++)
            (op, rows) = EmitStep(c.Nodes[j - 1], c.Rels[j - 1], c.Nodes[j], reversed: false, op, bound, predicates, local, rels, rows);
        for (var j = anchor.Index - 1; j >= 0; j--)
            (op, rows) = EmitStep(c.Nodes[j + 1], c.Rels[j], c.Nodes[j], reversed: true, op, bound, predicates, local, rels, rows);

        if (c.PathVar is { } pv)
        {
            var slots = new List<int> { c.Nodes[0].Var.Slot };
            var isList = new List<bool> { false };
            for (var j = 0; j < c.Rels.Length; j++)
            {
                slots.Add(c.Rels[j].Var.Slot);
                isList.Add(c.Rels[j].Pattern.Length is not null);
                slots.Add(c.Nodes[j + 1].Var.Slot);
                isList.Add(false);
            }
            op = new BuildPathOp(op, pv.Slot, slots.ToArray(), isList.ToArray());
            bound.Add(pv.Name);
            op = Place(op, predicates, bound, local);
        }
        return (op, rows);
    }

    private (Op, double) EmitStep(NodeEl from, RelEl rel, NodeEl to, bool reversed, Op op, HashSet<string> bound, List<Predicate> predicates, Scope local,
        List<(int Slot, bool IsList)> rels, double rows)
    {
        var p = rel.Pattern;
        var dir = reversed ? Adjacency.Reverse(p.Direction) : p.Direction;
        var types = Types(p.Types);
        var toBound = bound.Contains(to.Var.Name);
        var relBound = bound.Contains(rel.Var.Name);
        var unique = new UniqueRels(rels.Select(r => r.Slot).ToArray(), rels.Select(r => r.IsList).ToArray());
        var degree = Degree(types, dir);
        var text = $"({from.Var.Name.Trim()})-[{rel.Var.Name.Trim()}{string.Concat(p.Types.Select(t => ":" + t))}]-({to.Var.Name.Trim()})";
        if (p.Length is null)
        {
            op = new ExpandOp(op, from.Var.Slot, rel.Var.Slot, relBound, to.Var.Slot, toBound, dir, types, Labels(to.Pattern.Labels), unique, text);
            _work += rows * (1 + degree);
            rows *= toBound ? 1 : Math.Max(degree, 0.01);
            rels.Add((rel.Var.Slot, false));
        }
        else
        {
            var (min, max, capped) = Bounds(p.Length, _limits.MaxVarLength, "variable-length relationship", p.At, "MaxVarLength");
            var relPredicate = RelPropertyPredicate(p.Properties, local);
            op = new VarExpandOp(op, from.Var.Slot, rel.Var.Slot, to.Var.Slot, toBound, dir, types, Labels(to.Pattern.Labels), min, max, capped, reversed, relPredicate, unique, text);
            double paths = 0, layer = 1;
            for (var k = 1; k <= max; k++) { layer *= Math.Max(degree, 1e-3); if (k >= min) paths += layer; }
            _work += rows * (1 + paths);
            rows *= Math.Max(paths, 0.01);
            rels.Add((rel.Var.Slot, true));
        }
        if (toBound) op = LabelFilter(op, to);
        bound.Add(rel.Var.Name);
        bound.Add(to.Var.Name);
        return (Place(op, predicates, bound, local), rows);
    }

    private (Op, double) EmitShortest(Chain c, Op op, HashSet<string> bound, List<Predicate> predicates, Scope local, double rows)
    {
        var a = c.Nodes[0];
        var b = c.Nodes[1];
        var rel = c.Rels[0];
        var aBound = bound.Contains(a.Var.Name);
        var bBound = bound.Contains(b.Var.Name);
        var reversed = !aBound && bBound;
        var (source, target) = reversed ? (b, a) : (a, b);
        if (!aBound && !bBound)
        {
            var anchor = AnchorOf(c with { Nodes = [a] }, bound, predicates);
            op = new NodeScanOp(op, a.Var.Slot, Labels(a.Pattern.Labels), anchor.LookupProperty, anchor.LookupValue is null ? null : CompileExpr(anchor.LookupValue, local), NodeText(a));
            _work += rows * Math.Max(1, anchor.LookupValue is null ? _graph.NodeCount : 1);
            rows *= anchor.Estimate;
            bound.Add(a.Var.Name);
            op = Place(op, predicates, bound, local);
        }
        else if (aBound) op = LabelFilter(op, a);
        if (bBound) op = LabelFilter(op, b);
        var length = rel.Pattern.Length ?? new VarLength(1, 1);
        var (min, max, capped) = Bounds(length, _limits.MaxShortestPathHops, "shortest path", rel.Pattern.At, "MaxShortestPathHops");
        var types = Types(rel.Pattern.Types);
        var dir = reversed ? Adjacency.Reverse(rel.Pattern.Direction) : rel.Pattern.Direction;
        var targetBound = bound.Contains(target.Var.Name);
        op = new ShortestPathOp(op, source.Var.Slot, target.Var.Slot, targetBound, targetBound ? LabelSet.None : Labels(target.Pattern.Labels), dir, reversed,
            c.PathVar?.Slot ?? -1, rel.Pattern.Variable is null ? -1 : rel.Var.Slot, types, min, max, capped,
            c.Part.Function == PathFunction.AllShortestPaths, RelPropertyPredicate(rel.Pattern.Properties, local), $"({a.Var.Name.Trim()})-[*]-({b.Var.Name.Trim()})");
        _work += rows * Math.Max(1, _graph.NodeCount + _graph.RelationshipCount) / 10;
        rows *= targetBound ? 1 : 10;
        bound.Add(target.Var.Name);
        bound.Add(rel.Var.Name);
        if (c.PathVar is { } pv) bound.Add(pv.Name);
        return (Place(op, predicates, bound, local), rows);
    }

    private (int Min, int Max, bool Capped) Bounds(VarLength length, int cap, string what, Pos at, string setting)
    {
        var min = length.Min ?? 1;
        if (length.Max is { } max)
        {
            if (max > cap)
                throw new CypherException(CypherErrorKind.TooComplex, "too_complex", $"a {what} of up to {max} relationships is longer than Graph:Query:{setting} ({cap}) allows", at.Line, at.Column);
            if (min > max) return (min, min - 1, false); // matches nothing
            return (min, max, false);
        }
        if (min > cap) throw new CypherException(CypherErrorKind.TooComplex, "too_complex", $"a {what} of at least {min} relationships is longer than Graph:Query:{setting} ({cap}) allows", at.Line, at.Column);
        return (min, cap, true);
    }

    /// <summary>Inline properties of a variable-length or shortest-path relationship: every relationship on the path must have them.</summary>
    private Func<ExecutionContext, int, bool>? RelPropertyPredicate(Expr? props, Scope local)
    {
        if (props is null) return null;
        if (props is ParameterExpr pe) throw CypherException.Syntax("InvalidParameterUse", "a parameter cannot be a property map in MATCH; write {key: $param}", pe.At);
        var entries = ((MapExpr)props).Entries.Select(e => (e.Key, Eval: CompileExpr(e.Value, local))).ToArray();
        return (ctx, rel) =>
        {
            foreach (var (key, eval) in entries)
                if (Values.Equal(ctx.Graph.RelationshipProperty(rel, key), eval(ctx)) != true) return false;
            return true;
        };
    }

    private Op LabelFilter(Op op, NodeEl n)
    {
        if (n.Pattern.Labels.Count == 0) return op;
        var labels = Labels(n.Pattern.Labels);
        var slot = n.Var.Slot;
        return new FilterOp(op, ctx => Value.Bool(ctx.Row[slot].Kind == ValueKind.Node && labels.Matches(ctx.Graph, ctx.Row[slot].NodeId)), NodeText(n));
    }

    private LabelSet Labels(IReadOnlyList<string> names)
    {
        var ids = new int[names.Count];
        var impossible = false;
        for (var i = 0; i < ids.Length; i++)
        {
            ids[i] = _graph.LabelId(names[i]);
            if (ids[i] < 0)
            {
                impossible = true;
                Warn($"label '{names[i]}' is not a node kind of this graph, so nothing matches it");
            }
        }
        if (!impossible && ids.Length > 1)
        {
            // Check the rarest label first.
            Array.Sort(ids, (x, y) => _graph.CountWithLabel(x).CompareTo(_graph.CountWithLabel(y)));
        }
        return new LabelSet(ids, impossible);
    }

    private TypeSet Types(IReadOnlyList<string> names)
    {
        if (names.Count == 0) return new TypeSet(null, false);
        var ids = new List<int>();
        foreach (var n in names)
        {
            var id = _graph.TypeId(n);
            if (id >= 0) ids.Add(id);
            else Warn($"relationship type '{n}' is not an edge type of this graph, so nothing matches it");
        }
        return new TypeSet(ids.ToArray(), ids.Count == 0);
    }

    private double Degree(TypeSet types, RelDirection dir)
    {
        var nodes = Math.Max(1, _graph.NodeCount);
        double edges = types.Ids is null ? _graph.RelationshipCount : types.Ids.Sum(t => (double)_graph.CountOfType(t));
        return edges / nodes * (dir == RelDirection.Both ? 2 : 1);
    }

    private void Warn(string message)
    {
        if (!_warnings.Contains(message)) _warnings.Add(message);
    }

    private static string NodeText(NodeEl n) => $"({n.Var.Name.Trim()}{string.Concat(n.Pattern.Labels.Select(l => ":" + l))})";
}

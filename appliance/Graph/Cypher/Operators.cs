namespace Redoubt.Graph.Cypher;

// The executor: a pipeline of operators, each pulling rows from its input and extending or
// filtering them. There is one row (ctx.Row, a slot per variable) that every operator writes its own
// slots of; blocking operators (sort, distinct, aggregation) copy what they keep. Rows stream from
// the scan to the result unless a blocking operator sits between.

internal abstract class Op
{
    /// <summary>Each item yielded means "ctx.Row now holds the next row".</summary>
    public abstract IEnumerable<bool> Run(ExecutionContext ctx);

    /// <summary>One line for EXPLAIN-style plan output.</summary>
    public abstract string Describe();

    public virtual Op? Input => null;
}

/// <summary>The start of a query: one empty row.</summary>
internal sealed class OnceOp : Op
{
    public override IEnumerable<bool> Run(ExecutionContext ctx)
    {
        yield return true;
    }

    public override string Describe() => "Start";
}

/// <summary>The start of a sub-pipeline run once per outer row (OPTIONAL MATCH, pattern predicates): the outer row as it is.</summary>
internal sealed class ArgumentOp : Op
{
    public override IEnumerable<bool> Run(ExecutionContext ctx)
    {
        yield return true;
    }

    public override string Describe() => "Argument";
}

internal sealed class FilterOp(Op input, Eval predicate, string text) : Op
{
    public override Op Input => input;

    public override IEnumerable<bool> Run(ExecutionContext ctx)
    {
        foreach (var _ in input.Run(ctx))
        {
            var v = predicate(ctx);
            if (v.Kind == ValueKind.Boolean && v.AsBool) yield return true;
            else if (!v.IsNull && v.Kind != ValueKind.Boolean)
                throw CypherException.Type("InvalidArgumentType", $"WHERE needs a boolean, got {v.KindName()} ({text})");
        }
    }

    public override string Describe() => $"Filter {text}";
}

/// <summary>Node labels a pattern requires, resolved to ids; a label no node can have makes the pattern match nothing.</summary>
internal readonly record struct LabelSet(int[] Ids, bool Impossible)
{
    public static readonly LabelSet None = new([], false);

    public bool Matches(ICypherGraph g, int node)
    {
        if (Impossible) return false;
        foreach (var l in Ids) if (!g.HasLabel(node, l)) return false;
        return true;
    }
}

/// <summary>Relationship types allowed by a pattern (null: any); Impossible when every type named is unknown.</summary>
internal readonly record struct TypeSet(int[]? Ids, bool Impossible);

/// <summary>
/// Binds a node variable: by an index lookup (kind + key in the engine) when the pattern gives one,
/// else by scanning the nodes of its first label, else all nodes.
/// </summary>
internal sealed class NodeScanOp(Op input, int slot, LabelSet labels, string? lookupProperty, Eval? lookupValue, string text) : Op
{
    public override Op Input => input;

    public override IEnumerable<bool> Run(ExecutionContext ctx)
    {
        var g = ctx.Graph;
        var found = new List<int>();
        foreach (var _ in input.Run(ctx))
        {
            if (labels.Impossible) continue;
            if (lookupProperty is not null)
            {
                var key = lookupValue!(ctx);
                found.Clear();
                if (g.TryLookup(labels.Ids.Length > 0 ? labels.Ids[0] : -1, lookupProperty, key, found))
                {
                    ctx.Spend(found.Count + 1);
                    foreach (var n in found)
                    {
                        if (!labels.Matches(g, n)) continue;
                        ctx.Row[slot] = Value.Node(n);
                        yield return true;
                    }
                    continue;
                }
            }
            var count = g.NodeCount;
            for (var n = 0; n < count; n++)
            {
                ctx.Spend();
                if (!g.NodeExists(n) || !labels.Matches(g, n)) continue;
                ctx.Row[slot] = Value.Node(n);
                yield return true;
            }
        }
    }

    public override string Describe() => lookupProperty is null ? $"NodeScan {text}" : $"NodeIndexSeek {text} by {lookupProperty}";
}

/// <summary>Relationship slots already bound in the same MATCH: a relationship is used at most once per match (openCypher's relationship isomorphism).</summary>
internal readonly record struct UniqueRels(int[] Slots, bool[] IsList)
{
    public static readonly UniqueRels None = new([], []);

    public bool Uses(ExecutionContext ctx, int rel)
    {
        for (var i = 0; i < Slots.Length; i++)
        {
            var v = ctx.Row[Slots[i]];
            if (v.IsNull) continue;
            if (IsList[i])
            {
                foreach (var r in v.AsList) if (r.RelationshipId == rel) return true;
            }
            else if (v.RelationshipId == rel) return true;
        }
        return false;
    }
}

internal static class Adjacency
{
    /// <summary>Relationships from a node in a pattern direction; an undirected pattern lists a self-loop once.</summary>
    public static int Collect(ICypherGraph g, int node, RelDirection dir, int[]? types, List<CypherAdjacent> into)
    {
        into.Clear();
        var looked = 0;
        if (dir != RelDirection.Left) looked += g.Adjacent(node, true, types, into);
        if (dir != RelDirection.Right)
        {
            var before = into.Count;
            looked += g.Adjacent(node, false, types, into);
            if (dir == RelDirection.Both)
            {
                // A self-loop is both out and in: keep the out copy only.
                var w = before;
                for (var i = before; i < into.Count; i++) if (into[i].Peer != node) into[w++] = into[i];
                into.RemoveRange(w, into.Count - w);
            }
        }
        return looked;
    }

    public static RelDirection Reverse(RelDirection d) => d switch { RelDirection.Right => RelDirection.Left, RelDirection.Left => RelDirection.Right, _ => d };
}

/// <summary>One relationship step: from a bound node along relationships of the allowed types to the next node (bound: checked; unbound: bound here).</summary>
internal sealed class ExpandOp(Op input, int fromSlot, int relSlot, bool relBound, int toSlot, bool toBound, RelDirection dir, TypeSet types, LabelSet toLabels, UniqueRels unique, string text) : Op
{
    public override Op Input => input;

    public override IEnumerable<bool> Run(ExecutionContext ctx)
    {
        var g = ctx.Graph;
        var buf = new List<CypherAdjacent>();
        foreach (var _ in input.Run(ctx))
        {
            if (types.Impossible) continue;
            var from = ctx.Row[fromSlot];
            if (from.Kind != ValueKind.Node) continue;
            if (relBound && ctx.Row[relSlot].Kind != ValueKind.Relationship) continue;
            if (toBound && ctx.Row[toSlot].Kind != ValueKind.Node) continue;
            ctx.Spend(1 + Adjacency.Collect(g, from.NodeId, dir, types.Ids, buf));
            for (var i = 0; i < buf.Count; i++)
            {
                var a = buf[i];
                if (relBound && ctx.Row[relSlot].RelationshipId != a.Relationship) continue;
                if (unique.Uses(ctx, a.Relationship)) continue;
                if (toBound)
                {
                    if (ctx.Row[toSlot].NodeId != a.Peer) continue;
                }
                else if (!toLabels.Matches(g, a.Peer)) continue;
                ctx.Row[relSlot] = Value.Relationship(a.Relationship);
                if (!toBound) ctx.Row[toSlot] = Value.Node(a.Peer);
                yield return true;
            }
        }
    }

    public override string Describe() => $"Expand {text}";
}

/// <summary>
/// A variable-length step *min..max: every path of distinct relationships (depth-first), binding the
/// relationship list in pattern order. A pattern written without an upper bound is searched up to
/// MaxVarLength; if a longer path would exist, the query fails rather than answer short.
/// </summary>
internal sealed class VarExpandOp(Op input, int fromSlot, int listSlot, int toSlot, bool toBound, RelDirection dir, TypeSet types, LabelSet toLabels,
    int min, int max, bool capped, bool reverseList, Func<ExecutionContext, int, bool>? relPredicate, UniqueRels unique, string text) : Op
{
    public override Op Input => input;

    public override IEnumerable<bool> Run(ExecutionContext ctx)
    {
        var g = ctx.Graph;
        var frames = new List<(List<CypherAdjacent> Adj, int Next)>();
        var pool = new List<List<CypherAdjacent>>();
        var rels = new List<int>();
        foreach (var _ in input.Run(ctx))
        {
            if (types.Impossible) continue;
            var from = ctx.Row[fromSlot];
            if (from.Kind != ValueKind.Node) continue;
            if (toBound && ctx.Row[toSlot].Kind != ValueKind.Node) continue;
            var start = from.NodeId;
            if (min == 0 && Arrive(ctx, g, start))
            {
                ctx.Row[listSlot] = Value.EmptyList;
                if (!toBound) ctx.Row[toSlot] = Value.Node(start);
                yield return true;
            }
            if (max == 0) continue;
            rels.Clear();
            frames.Clear();
            frames.Add((Frame(pool, 0), 0));
            ctx.Spend(1 + Adjacency.Collect(g, start, dir, types.Ids, frames[0].Adj));
            while (frames.Count > 0)
            {
                var (adj, next) = frames[^1];
                if (next >= adj.Count)
                {
                    frames.RemoveAt(frames.Count - 1);
                    if (rels.Count > 0) rels.RemoveAt(rels.Count - 1);
                    continue;
                }
                frames[^1] = (adj, next + 1);
                var a = adj[next];
                if (rels.Contains(a.Relationship) || unique.Uses(ctx, a.Relationship)) continue;
                if (relPredicate is not null && !relPredicate(ctx, a.Relationship)) continue;
                rels.Add(a.Relationship);
                ctx.Spend();
                if (rels.Count >= min && Arrive(ctx, g, a.Peer))
                {
                    var list = new Value[rels.Count];
                    for (var i = 0; i < list.Length; i++) list[i] = Value.Relationship(rels[reverseList ? list.Length - 1 - i : i]);
                    ctx.Row[listSlot] = Value.List(list);
                    if (!toBound) ctx.Row[toSlot] = Value.Node(a.Peer);
                    yield return true;
                }
                if (rels.Count < max)
                {
                    var child = Frame(pool, frames.Count);
                    ctx.Spend(1 + Adjacency.Collect(g, a.Peer, dir, types.Ids, child));
                    frames.Add((child, 0));
                }
                else
                {
                    if (capped) CheckCap(ctx, g, a.Peer, rels);
                    rels.RemoveAt(rels.Count - 1);
                }
            }
        }
    }

    private bool Arrive(ExecutionContext ctx, ICypherGraph g, int node) =>
        toBound ? ctx.Row[toSlot].NodeId == node : toLabels.Matches(g, node);

    private static List<CypherAdjacent> Frame(List<List<CypherAdjacent>> pool, int depth)
    {
        while (pool.Count <= depth) pool.Add([]);
        return pool[depth];
    }

    /// <summary>At the default cap: a relationship not yet on the path means a longer match may exist.</summary>
    private void CheckCap(ExecutionContext ctx, ICypherGraph g, int node, List<int> rels)
    {
        var probe = new List<CypherAdjacent>();
        Adjacency.Collect(g, node, dir, types.Ids, probe);
        foreach (var a in probe)
            if (!rels.Contains(a.Relationship))
                throw new CypherException(CypherErrorKind.Budget, "var_length",
                    $"{text}: paths longer than {max} relationships exist; a pattern without an upper bound is searched up to Graph:Query:MaxVarLength ({max}). Give a bound, e.g. *1..{max}") { AtRuntime = true };
    }

    public override string Describe() => $"VarExpand {text} *{min}..{max}";
}

/// <summary>Writes a path value from the pattern's node and relationship slots (relationship lists for variable-length steps).</summary>
internal sealed class BuildPathOp(Op input, int pathSlot, int[] slots, bool[] isList) : Op
{
    public override Op Input => input;

    public override IEnumerable<bool> Run(ExecutionContext ctx)
    {
        foreach (var _ in input.Run(ctx))
        {
            ctx.Row[pathSlot] = Build(ctx, slots, isList);
            yield return true;
        }
    }

    public static Value Build(ExecutionContext ctx, int[] slots, bool[] isList)
    {
        var g = ctx.Graph;
        var first = ctx.Row[slots[0]];
        if (first.Kind != ValueKind.Node) return Value.Null;
        var nodes = new List<int> { first.NodeId };
        var rels = new List<int>();
        for (var i = 1; i < slots.Length; i += 2)
        {
            var r = ctx.Row[slots[i]];
            if (r.IsNull) return Value.Null;
            if (isList[i])
            {
                foreach (var x in r.AsList) Step(x.RelationshipId);
            }
            else Step(r.RelationshipId);
        }
        return Value.Path(new PathValue(nodes.ToArray(), rels.ToArray()));

        void Step(int rel)
        {
            var at = nodes[^1];
            var s = g.StartNode(rel);
            nodes.Add(s == at ? g.EndNode(rel) : s);
            rels.Add(rel);
        }
    }

    public override string Describe() => "BuildPath";
}

/// <summary>OPTIONAL MATCH: the inner pipeline's rows for each outer row, or the outer row once with the new variables null.</summary>
internal sealed class OptionalOp(Op input, Op inner, int[] newSlots) : Op
{
    public override Op Input => input;
    public Op Inner => inner;

    public override IEnumerable<bool> Run(ExecutionContext ctx)
    {
        foreach (var _ in input.Run(ctx))
        {
            var any = false;
            foreach (var __ in inner.Run(ctx))
            {
                any = true;
                yield return true;
            }
            if (any) continue;
            foreach (var s in newSlots) ctx.Row[s] = Value.Null;
            yield return true;
        }
    }

    public override string Describe() => "Optional";
}

internal sealed class UnwindOp(Op input, Eval list, int slot) : Op
{
    public override Op Input => input;

    public override IEnumerable<bool> Run(ExecutionContext ctx)
    {
        foreach (var _ in input.Run(ctx))
        {
            var v = list(ctx);
            if (v.IsNull) continue;
            if (v.Kind != ValueKind.List)
            {
                ctx.Row[slot] = v;
                yield return true;
                continue;
            }
            foreach (var x in v.AsList)
            {
                ctx.Spend();
                ctx.Row[slot] = x;
                yield return true;
            }
        }
    }

    public override string Describe() => "Unwind";
}

/// <summary>Evaluates projection items into their slots (all read first, then all written, so WITH a AS b, b AS a swaps).</summary>
internal sealed class ProjectOp(Op input, (Eval Eval, int Slot)[] items) : Op
{
    public override Op Input => input;

    public override IEnumerable<bool> Run(ExecutionContext ctx)
    {
        var temp = new Value[items.Length];
        foreach (var _ in input.Run(ctx))
        {
            ctx.Spend();
            for (var i = 0; i < items.Length; i++) temp[i] = items[i].Eval(ctx);
            for (var i = 0; i < items.Length; i++) ctx.Row[items[i].Slot] = temp[i];
            yield return true;
        }
    }

    public override string Describe() => $"Project {items.Length}";
}

internal sealed class DistinctOp(Op input, int[] slots) : Op
{
    public override Op Input => input;

    public override IEnumerable<bool> Run(ExecutionContext ctx)
    {
        var seen = new HashSet<Value[]>(Values.EquivalenceComparer.Instance);
        try
        {
            foreach (var _ in input.Run(ctx))
            {
                var key = new Value[slots.Length];
                for (var i = 0; i < slots.Length; i++) key[i] = ctx.Row[slots[i]];
                if (!seen.Add(key)) continue;
                ctx.Hold();
                yield return true;
            }
        }
        finally { ctx.Release(seen.Count); }
    }

    public override string Describe() => "Distinct";
}

/// <summary>SKIP and LIMIT: evaluated once (constants or parameters), non-negative integers.</summary>
internal sealed class SkipLimitOp(Op input, Eval? skip, Eval? limit) : Op
{
    public override Op Input => input;

    public static long? Count(ExecutionContext ctx, Eval? e, string what)
    {
        if (e is null) return null;
        var v = e(ctx);
        if (v.Kind != ValueKind.Integer)
            throw new CypherException(CypherErrorKind.Syntax, "InvalidArgumentType", $"{what} needs an integer, got {v.KindName()}") { AtRuntime = true };
        if (v.AsInt < 0)
            throw new CypherException(CypherErrorKind.Syntax, "NegativeIntegerArgument", $"{what} needs a non-negative integer, got {v.AsInt}") { AtRuntime = true };
        return v.AsInt;
    }

    public override IEnumerable<bool> Run(ExecutionContext ctx)
    {
        var s = Count(ctx, skip, "SKIP") ?? 0;
        var l = Count(ctx, limit, "LIMIT") ?? long.MaxValue;
        if (l == 0) yield break;
        long seen = 0, given = 0;
        foreach (var _ in input.Run(ctx))
        {
            if (seen++ < s) continue;
            yield return true;
            if (++given >= l) yield break;
        }
    }

    public override string Describe() => "SkipLimit";
}

/// <summary>
/// List.Sort wraps whatever a comparer throws in an InvalidOperationException; a budget error raised
/// by <see cref="ExecutionContext.Tick"/> inside the comparer is given back as itself.
/// </summary>
internal static class BudgetedSort
{
    public static void Sort<T>(List<T> items, Comparison<T> comparison)
    {
        try { items.Sort(comparison); }
        catch (InvalidOperationException e) when (e.InnerException is CypherException inner)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(inner);
        }
    }
}

/// <summary>ORDER BY: sorts copies of the rows (stable); with a LIMIT, keeps only the best SKIP+LIMIT rows in a heap.</summary>
internal sealed class SortOp(Op input, Eval[] keys, bool[] descending, Eval? skip, Eval? limit) : Op
{
    public override Op Input => input;

    public override IEnumerable<bool> Run(ExecutionContext ctx)
    {
        var s = SkipLimitOp.Count(ctx, skip, "SKIP") ?? 0;
        var l = SkipLimitOp.Count(ctx, limit, "LIMIT");
        var keep = l is { } n ? (long?)Math.Min(long.MaxValue - s, n) + s : null;
        var comparer = Comparer<(Value[] Keys, long Seq)>.Create((a, b) =>
        {
            // The sort of a million rows is ~20M comparisons with no row produced: the budget is checked here.
            ctx.Tick();
            for (var i = 0; i < keys.Length; i++)
            {
                var c = Values.Order(a.Keys[i], b.Keys[i]);
                if (c != 0) return descending[i] ? -c : c;
            }
            return a.Seq.CompareTo(b.Seq);
        });
        var rows = new List<((Value[] Keys, long Seq) Key, Value[] Row)>();
        // Top-N: a max-heap of the N best, worst on top.
        var heap = keep is { } k && k < 100_000 ? new PriorityQueue<Value[], (Value[] Keys, long Seq)>(Comparer<(Value[], long)>.Create((a, b) => comparer.Compare(b, a))) : null;
        long seq = 0;
        long held = 0;
        try
        {
            foreach (var _ in input.Run(ctx))
            {
                var kv = new Value[keys.Length];
                for (var i = 0; i < keys.Length; i++) kv[i] = keys[i](ctx);
                var key = (kv, seq++);
                if (heap is not null)
                {
                    if (keep == 0) continue;
                    if (heap.Count < keep)
                    {
                        heap.Enqueue((Value[])ctx.Row.Clone(), key);
                        ctx.Hold();
                        held++;
                    }
                    else if (heap.TryPeek(out var _, out var worst) && comparer.Compare(key, worst) < 0)
                    {
                        heap.DequeueEnqueue((Value[])ctx.Row.Clone(), key);
                    }
                    continue;
                }
                rows.Add((key, (Value[])ctx.Row.Clone()));
                ctx.Hold();
                held++;
            }
            if (heap is not null)
            {
                while (heap.TryDequeue(out var row, out var key)) rows.Add((key, row));
            }
            BudgetedSort.Sort(rows, (a, b) => comparer.Compare(a.Key, b.Key));
            foreach (var (_, row) in rows)
            {
                Array.Copy(row, ctx.Row, row.Length);
                yield return true;
            }
        }
        finally { ctx.Release(held); }
    }

    public override string Describe() => $"Sort {keys.Length} keys";
}

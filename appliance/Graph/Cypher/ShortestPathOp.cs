namespace Redoubt.Graph.Cypher;

/// <summary>
/// shortestPath / allShortestPaths: breadth-first search by hop count (openCypher's meaning, not the
/// attack cost of /shortest-path) over the relationships the pattern allows. With the far end bound
/// it stops at the layer that reaches it; unbound, it yields every node matching the far end's
/// labels, nearest first, each with its shortest path(s). A search written without an upper bound goes
/// up to MaxShortestPathHops and fails, rather than answer short, when nodes remain beyond that.
/// </summary>
internal sealed class ShortestPathOp(Op input, int sourceSlot, int targetSlot, bool targetBound, LabelSet targetLabels, RelDirection searchDir,
    bool reversePath, int pathSlot, int listSlot, TypeSet types, int min, int max, bool capped, bool all,
    Func<ExecutionContext, int, bool>? relPredicate, string text) : Op
{
    public override Op Input => input;

    public override IEnumerable<bool> Run(ExecutionContext ctx)
    {
        var g = ctx.Graph;
        var buf = new List<CypherAdjacent>();
        foreach (var _ in input.Run(ctx))
        {
            if (types.Impossible) continue;
            var source = ctx.Row[sourceSlot];
            if (source.Kind != ValueKind.Node) continue;
            if (targetBound && ctx.Row[targetSlot].Kind != ValueKind.Node) continue;
            var s = source.NodeId;
            var target = targetBound ? ctx.Row[targetSlot].NodeId : -1;

            var depth = new Dictionary<int, int> { [s] = 0 };
            var preds = new Dictionary<int, List<(int From, int Rel)>>();
            var reachedOrder = new List<int>();
            if (min == 0 && (target < 0 ? targetLabels.Matches(g, s) : target == s)) reachedOrder.Add(s);
            var frontier = new List<int> { s };
            var layer = 0;
            var foundTarget = target == s && min == 0;
            while (frontier.Count > 0 && layer < max && !foundTarget)
            {
                var next = new List<int>();
                foreach (var v in frontier)
                {
                    ctx.Spend(1 + Adjacency.Collect(g, v, searchDir, types.Ids, buf));
                    foreach (var a in buf)
                    {
                        if (relPredicate is not null && !relPredicate(ctx, a.Relationship)) continue;
                        if (depth.TryGetValue(a.Peer, out var d))
                        {
                            // Another shortest way in: only allShortestPaths keeps it.
                            if (all && d == layer + 1 && a.Peer != s) preds[a.Peer].Add((v, a.Relationship));
                            continue;
                        }
                        depth[a.Peer] = layer + 1;
                        preds[a.Peer] = [(v, a.Relationship)];
                        next.Add(a.Peer);
                        if (layer + 1 >= min && (target < 0 ? targetLabels.Matches(g, a.Peer) : a.Peer == target))
                        {
                            reachedOrder.Add(a.Peer);
                            if (a.Peer == target && !all) foundTarget = true;
                        }
                    }
                    if (foundTarget) break;
                }
                if (target >= 0 && depth.ContainsKey(target) && depth[target] >= min) foundTarget = true;
                frontier = next;
                layer++;
            }
            if (capped && !foundTarget && frontier.Count > 0 && layer >= max && HasUnseen(ctx, g, frontier, depth, searchDir))
                throw new CypherException(CypherErrorKind.Budget, "var_length",
                    $"{text}: nodes remain beyond {max} hops; a shortest path written without an upper bound is searched up to Graph:Query:MaxShortestPathHops ({max}). Give a bound, e.g. *..{max}") { AtRuntime = true };

            foreach (var t in reachedOrder)
            {
                if (target >= 0 && t != target) continue;
                foreach (var (nodes, rels) in Paths(s, t, preds, all))
                {
                    ctx.Spend();
                    // Searched from the pattern's far end: the path still reads in pattern order.
                    if (reversePath) { Array.Reverse(nodes); Array.Reverse(rels); }
                    if (!targetBound) ctx.Row[targetSlot] = Value.Node(t);
                    if (pathSlot >= 0) ctx.Row[pathSlot] = Value.Path(new PathValue(nodes, rels));
                    if (listSlot >= 0) ctx.Row[listSlot] = Value.List(rels.Select(Value.Relationship).ToArray());
                    yield return true;
                    if (!all) break;
                }
            }
        }
    }

    private bool HasUnseen(ExecutionContext ctx, ICypherGraph g, List<int> frontier, Dictionary<int, int> depth, RelDirection searchDir)
    {
        var probe = new List<CypherAdjacent>();
        foreach (var v in frontier)
        {
            ctx.Spend(Adjacency.Collect(g, v, searchDir, types.Ids, probe));
            foreach (var a in probe) if (!depth.ContainsKey(a.Peer)) return true;
        }
        return false;
    }

    /// <summary>Every shortest path from s to t (one, unless all), walking predecessor lists back from t.</summary>
    private static IEnumerable<(int[] Nodes, int[] Rels)> Paths(int s, int t, Dictionary<int, List<(int From, int Rel)>> preds, bool all)
    {
        if (s == t)
        {
            yield return ([s], []);
            yield break;
        }
        var nodes = new List<int> { t };
        var rels = new List<int>();
        var choice = new List<int> { 0 };
        // Depth-first over predecessor choices; the stack holds the index taken at each step.
        while (true)
        {
            var at = nodes[^1];
            if (at == s)
            {
                var n = nodes.ToArray();
                var r = rels.ToArray();
                Array.Reverse(n);
                Array.Reverse(r);
                yield return (n, r);
                if (!all) yield break;
                // Backtrack.
                if (!Backtrack()) yield break;
                continue;
            }
            var list = preds[at];
            var i = choice[^1];
            if (i >= list.Count)
            {
                if (!Backtrack()) yield break;
                continue;
            }
            nodes.Add(list[i].From);
            rels.Add(list[i].Rel);
            choice.Add(0);
        }

        bool Backtrack()
        {
            while (true)
            {
                choice.RemoveAt(choice.Count - 1);
                if (choice.Count == 0) return false;
                nodes.RemoveAt(nodes.Count - 1);
                rels.RemoveAt(rels.Count - 1);
                choice[^1]++;
                var at = nodes[^1];
                if (choice[^1] < preds[at].Count) return true;
            }
        }
    }

    public override string Describe() => $"{(all ? "AllShortestPaths" : "ShortestPath")} {text}";
}

/// <summary>Builder mode only (tests): CREATE of the pattern's new nodes and relationships for each row.</summary>
internal sealed class CreateOp(Op input, IReadOnlyList<CreateOp.Element[]> parts) : Op
{
    /// <summary>A node (Labels) or a relationship (Type, between the previous and next node) in a CREATE pattern.</summary>
    public sealed record Element(int Slot, bool Bound, bool IsNode, IReadOnlyList<string> Labels, string? Type, RelDirection Direction, (string Key, Eval Value)[] Properties, int PathSlot);

    public override Op Input => input;

    public override IEnumerable<bool> Run(ExecutionContext ctx)
    {
        if (ctx.Graph is not IWritableCypherGraph g) throw new CypherException(CypherErrorKind.ReadOnly, "ReadOnly", "this graph is read-only");
        foreach (var _ in input.Run(ctx))
        {
            foreach (var part in parts)
            {
                for (var i = 0; i < part.Length; i += 2)
                {
                    var e = part[i];
                    if (e.Bound) continue;
                    ctx.Row[e.Slot] = Value.Node(g.CreateNode(e.Labels, Props(ctx, e)));
                }
                for (var i = 1; i < part.Length; i += 2)
                {
                    var e = part[i];
                    var a = ctx.Row[part[i - 1].Slot].NodeId;
                    var b = ctx.Row[part[i + 1].Slot].NodeId;
                    var (s, t) = e.Direction == RelDirection.Left ? (b, a) : (a, b);
                    ctx.Row[e.Slot] = Value.Relationship(g.CreateRelationship(s, e.Type!, t, Props(ctx, e)));
                }
                if (part[0].PathSlot >= 0)
                {
                    var slots = part.Select(p => p.Slot).ToArray();
                    ctx.Row[part[0].PathSlot] = BuildPathOp.Build(ctx, slots, new bool[slots.Length]);
                }
            }
            yield return true;
        }
    }

    private static List<KeyValuePair<string, Value>> Props(ExecutionContext ctx, Element e)
    {
        var list = new List<KeyValuePair<string, Value>>();
        foreach (var (k, v) in e.Properties)
        {
            var x = v(ctx);
            if (k == "\u0000map")
            {
                // CREATE (n $props): the entries of a parameter map.
                if (x.Kind != ValueKind.Map) throw CypherException.Type("InvalidArgumentType", $"CREATE needs a map of properties, got {x.KindName()}");
                foreach (var (mk, mv) in x.AsMap) if (!mv.IsNull) list.Add(new(mk, mv));
            }
            else if (!x.IsNull) list.Add(new(k, x));
        }
        return list;
    }

    public override string Describe() => "Create";
}

using Redoubt.Graph.Engine;

namespace Redoubt.Graph.Algorithms;

/// <summary>A node inside the blast radius: cheapest cost to reach it within the hop limit, the hops of that cheapest path, and the fewest hops any path within the limit needs.</summary>
public readonly record struct ReachedNode(int Node, long Cost, int Hops, int MinHops, int TreeIndex);

/// <summary>
/// The cheapest paths of a blast radius, as a tree of steps shared between them (a path is a walk
/// up from its node's entry); small however many nodes were reached. Either four columns, or the
/// search's own records as they were (a record's previous one is its parent).
/// </summary>
public sealed class PathTree
{
    private readonly int[] _node = [], _step = [], _parent = [];
    private readonly long[] _cost = [];
    private readonly BlastRecord[]? _records;

    public PathTree(int[] node, int[] step, int[] parent, long[] cost) => (_node, _step, _parent, _cost) = (node, step, parent, cost);

    internal PathTree(BlastRecord[] records) => _records = records;

    private int Parent(int i) => _records is { } r ? r[i].Prev : _parent[i];

    public GraphPath PathTo(int index)
    {
        var hops = 0;
        for (var i = index; Parent(i) >= 0; i = Parent(i)) hops++;
        var nodes = new int[hops + 1];
        var steps = new int[hops];
        var k = hops;
        for (var i = index; ; i = Parent(i))
        {
            nodes[k] = _records is { } r ? r[i].Node : _node[i];
            if (Parent(i) < 0) break;
            steps[--k] = _records is { } q ? q[i].Step : _step[i];
        }
        return new GraphPath(nodes, steps, _records is { } c ? c[index].Cost : _cost[index], 0);
    }

    /// <summary>The step into this entry and the entry it came from (-1 at a start).</summary>
    public (int Step, int Parent) Via(int index) => _records is { } r ? (r[index].Step, r[index].Prev) : (_step[index], _parent[index]);
}

/// <summary>The reached nodes of an uncut blast radius, cheapest first, read off its records (no copy of each into a list).</summary>
internal sealed class ReachedList(BlastRecord[] records, int[] order) : IReadOnlyList<ReachedNode>
{
    public int Count => order.Length;

    public ReachedNode this[int index]
    {
        get
        {
            var r = order[index];
            ref var x = ref records[r];
            return new ReachedNode(x.Node, x.Cost, x.Hops, x.MinHops, r);
        }
    }

    public IEnumerator<ReachedNode> GetEnumerator()
    {
        for (var i = 0; i < order.Length; i++) yield return this[i];
    }

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
}

public sealed record BlastRadiusResult(IReadOnlyList<int> Starts, IReadOnlyList<ReachedNode> Reached, PathTree Tree, BudgetHit Truncated, long Visits);

/// <summary>
/// Everything an attacker holding the start nodes can reach over attack steps within a hop limit,
/// cheapest first, each with its cheapest path. Exact, by hop-layered Bellman-Ford: layer h holds the
/// cheapest cost of every node over at most h steps, relaxed only from the nodes that improved in
/// layer h-1 (their improvements over the layers are exactly the Pareto front of cost and hops). No
/// priority queue: flat arrays and two frontiers, which is what keeps a 6-hop radius over a large
/// part of the graph fast. A node's records (one per layer it improved in) chain back to the start.
/// A result limit keeps the cheapest nodes; a time or work budget stops between or inside layers, and
/// then the nodes found may not yet show their cheapest cost.
/// The inner loops read the compacted CSR runs directly (the attack steps lead each run) as spans;
/// per step they read one 8-byte slot (cheapest cost, latest record; untouched slots hold
/// int.MaxValue, so one compare skips a step into a node already reached at most as cheaply, before
/// the exploit cost is read); they allocate nothing per step, and the runs and slots the next nodes
/// of the frontier will read are prefetched. Delta edges (not yet compacted) go through the general enumerator.
/// </summary>
public static class BlastRadius
{
    public static BlastRadiusResult Run(GraphSnapshot g, IReadOnlyList<int> starts, int maxHops, long? maxCost, in EdgeFilter filter, QueryBudget budget)
    {
        if (maxHops is < 1 or > LabelSearch.MaxHopLimit) throw new ArgumentOutOfRangeException(nameof(maxHops), $"a hop limit is 1..{LabelSearch.MaxHopLimit}");
        // Every cost fits an int (see BlastSlot), so a larger limit is no limit.
        var limit = maxCost is { } m ? (int)Math.Clamp(m, -1, int.MaxValue - 1) : int.MaxValue - 1;
        using var s = Scratch.Rent(g.NodeCount);
        var slots = s.BeginBlast(g.NodeCount);
        var records = new BlastRecords(s.BlastRecords, limit);
        try
        {
            var frontier = s.Frontier;
            var frontierCount = 0;
            foreach (var v in starts)
            {
                ref var slot = ref slots[v];
                if (slot.Latest >= 0) continue;
                slot = new BlastSlot { Best = 0, Latest = records.Add(new BlastRecord { Node = v, Cost = 0, Prev = -1, Step = -1 }) };
                if (frontierCount == frontier.Length) Array.Resize(ref frontier, frontierCount * 2);
                frontier[frontierCount++] = new FrontierEntry { Node = v, Cost = 0, Record = slot.Latest };
            }

            var b = g.Edges.Base;
            var costs = g.Costs;
            var exploit = g.Nodes.ExploitCost;
            var checkEdges = filter.TypeMask != uint.MaxValue || filter.HasWindow;
            var f = filter;
            var hasDelta = g.Edges.Delta.Count > 0;

            for (var layer = 1; layer <= maxHops && frontierCount > 0 && !budget.Exhausted; layer++)
            {
                var layerStart = records.Count;
                records.Layer = layer;
                for (var k = 0; k < frontierCount; k++)
                {
                    // Relax from the node as the previous layer left it (its record is not changed in this one).
                    var (u, cost, r) = (frontier[k].Node, frontier[k].Cost, frontier[k].Record);
                    var seen = 0;
                    Prefetch(b, frontier, frontierCount, k, slots);
                    if (u < b.NodeCount)
                    {
                        // The compacted runs list a node's attack steps first: forward along its out-run, reverse along its in-run.
                        var from = b.OutOffsets[u];
                        var outRun = b.OutSteps[u];
                        var inFrom = b.InOffsets[u];
                        var inRun = b.InSteps[u];
                        if (checkEdges)
                        {
                            FilteredRun(b, f, b.OutTarget.AsSpan(from, outRun), b.Type.AsSpan(from, outRun), default, from, costs.Forward, costs.ForwardExploit, exploit, slots, cost, r, records);
                            FilteredRun(b, f, b.InSource.AsSpan(inFrom, inRun), b.InType.AsSpan(inFrom, inRun), b.InEdge.AsSpan(inFrom, inRun), 0, costs.Reverse, costs.ReverseExploit, exploit, slots, cost, r, records);
                        }
                        else
                        {
                            ForwardRun(b.OutTarget.AsSpan(from, outRun), b.Type.AsSpan(from, outRun), from, costs.Forward, costs.ForwardExploit, exploit, slots, cost, r, records);
                            ReverseRun(b.InSource.AsSpan(inFrom, inRun), b.InType.AsSpan(inFrom, inRun), b.InEdge.AsSpan(inFrom, inRun), costs.Reverse, costs.ReverseExploit, exploit, slots, cost, r, records);
                        }
                        seen = outRun + inRun;
                    }
                    if (hasDelta)
                    {
                        // Delta edges (not yet compacted) are neither sorted nor checked for the kind they enter.
                        foreach (var a in g.DeltaOut(u))
                        {
                            seen++;
                            var c = costs.Forward[(int)a.Type];
                            if (c == 0 || !costs.Enterable[(int)g.Kind(a.Peer)] || !f.Allows(g, a)) continue;
                            var nc = cost + c + (costs.ForwardExploit[(int)a.Type] ? exploit[a.Peer] : 0);
                            ref var slot = ref slots[a.Peer];
                            if (slot.Best > nc) records.Relax(ref slot, a.Peer, nc, Step.Of(a.Edge, false), r);
                        }
                        foreach (var a in g.DeltaIn(u))
                        {
                            seen++;
                            var c = costs.Reverse[(int)a.Type];
                            if (c == 0 || !costs.Enterable[(int)g.Kind(a.Peer)] || !f.Allows(g, a)) continue;
                            var nc = cost + c + (costs.ReverseExploit[(int)a.Type] ? exploit[a.Peer] : 0);
                            ref var slot = ref slots[a.Peer];
                            if (slot.Best > nc) records.Relax(ref slot, a.Peer, nc, Step.Of(a.Edge, true), r);
                        }
                    }
                    if (!budget.Spend(seen + 1)) break;
                }
                // The records this layer added are the next frontier; taken in node order, the loop above
                // reads the offsets and CSR runs front to back instead of jumping around them.
                frontierCount = InNodeOrder(records.Array, layerStart, records.Count, s.NodeBits, slots, ref frontier);
            }
            s.Frontier = frontier;
            return Collect(records.Array, records.Count, s.NodeBits, slots, starts, budget);
        }
        finally
        {
            // Leave every slot untouched for the next query: the records name each node touched.
            var array = records.Array;
            for (var r = 0; r < records.Count; r++) slots[array[r].Node] = BlastSlot.Untouched;
            s.BlastRecords = array;
        }
    }

    // The two loops below are where a blast radius spends its time: one compare per step for most
    // steps (spans over the run, no bounds checks on them; compiled optimised from the first call,
    // as they run per node: tiering them up would take a few slow queries); the rare improvement goes to
    // BlastRecords.Relax, out of line. The runs' step prefixes hold only types with a cost in that
    // direction under the snapshot's own cost model (compaction sorts them so), so no zero check.

    /// <summary>Forward steps along one out-run; edge ids are positions (<paramref name="firstEdge"/> onwards).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static void ForwardRun(ReadOnlySpan<int> peers, ReadOnlySpan<byte> types, int firstEdge, int[] baseCost, bool[] addsExploit,
        ChunkedArray<int> exploit, BlastSlot[] slots, int cost, int r, BlastRecords records)
    {
        for (var j = 0; j < types.Length; j++)
        {
            int t = types[j];
            var nc = cost + baseCost[t];
            var v = peers[j];
            // Most steps lead to nodes already reached at most as cheaply: skip them before reading the exploit cost.
            ref var slot = ref slots[v];
            if (slot.Best <= nc || (addsExploit[t] && slot.Best <= (nc += exploit[v]))) continue;
            records.Relax(ref slot, v, nc, (firstEdge + j) << 1, r);
        }
    }

    /// <summary>Reverse steps against one in-run (<paramref name="edges"/>: the edge ids).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static void ReverseRun(ReadOnlySpan<int> peers, ReadOnlySpan<byte> types, ReadOnlySpan<int> edges, int[] baseCost, bool[] addsExploit,
        ChunkedArray<int> exploit, BlastSlot[] slots, int cost, int r, BlastRecords records)
    {
        for (var j = 0; j < types.Length; j++)
        {
            int t = types[j];
            var nc = cost + baseCost[t];
            var v = peers[j];
            ref var slot = ref slots[v];
            if (slot.Best <= nc || (addsExploit[t] && slot.Best <= (nc += exploit[v]))) continue;
            records.Relax(ref slot, v, nc, (edges[j] << 1) | 1, r);
        }
    }

    /// <summary>Either run under a type filter or time window (<paramref name="edges"/> empty: forward, ids from <paramref name="firstEdge"/>).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private static void FilteredRun(EdgeBase b, in EdgeFilter f, ReadOnlySpan<int> peers, ReadOnlySpan<byte> types, ReadOnlySpan<int> edges, int firstEdge,
        int[] baseCost, bool[] addsExploit, ChunkedArray<int> exploit, BlastSlot[] slots, int cost, int r, BlastRecords records)
    {
        var reverse = !edges.IsEmpty;
        for (var j = 0; j < types.Length; j++)
        {
            int t = types[j];
            var c = baseCost[t];
            var e = reverse ? edges[j] : firstEdge + j;
            if (c == 0 || !Allowed(b, f, t, e)) continue;
            var nc = cost + c;
            var v = peers[j];
            ref var slot = ref slots[v];
            if (slot.Best <= nc || (addsExploit[t] && slot.Best <= (nc += exploit[v]))) continue;
            records.Relax(ref slot, v, nc, (e << 1) | (reverse ? 1 : 0), r);
        }
    }

    /// <summary>Nodes ahead in the frontier whose runs are fetched while this one is relaxed.</summary>
    private const int RunsAhead = 3;
    /// <summary>How many reverse steps of the next node have their slots fetched (a host's users, an address's accounts: scattered).</summary>
    private const int SlotsAhead = 8;

    /// <summary>
    /// The frontier is known a layer ahead: start loading the runs of the node <see cref="RunsAhead"/>
    /// places on, and the slots its reverse steps lead to for the next node (whose runs were asked for
    /// earlier), so their memory latency overlaps this node's work. Measured at full size: 11-16% off
    /// the blast radius (random reads are most of it).
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static void Prefetch(EdgeBase b, FrontierEntry[] frontier, int frontierCount, int k, BlastSlot[] slots)
    {
        if (k + RunsAhead < frontierCount && frontier[k + RunsAhead].Node is var ahead && ahead < b.NodeCount)
        {
            var o = b.OutOffsets[ahead];
            var i = b.InOffsets[ahead];
            if (o < b.Count)
            {
                CacheHint.Prefetch(ref b.OutTarget[o]);
                CacheHint.Prefetch(ref b.Type[o]);
            }
            if (i < b.Count)
            {
                CacheHint.Prefetch(ref b.InSource[i]);
                CacheHint.Prefetch(ref b.InType[i]);
                CacheHint.Prefetch(ref b.InEdge[i]);
            }
        }
        if (k + 1 < frontierCount && frontier[k + 1].Node is var next && next < b.NodeCount)
        {
            var i = b.InOffsets[next];
            var n = Math.Min(SlotsAhead, b.InSteps[next]);
            for (var q = 0; q < n; q++) CacheHint.Prefetch(ref slots[b.InSource[i + q]]);
        }
    }

    private static bool Allowed(EdgeBase b, in EdgeFilter f, int type, int edge) =>
        ((f.TypeMask >> type) & 1) != 0
        && (!f.HasWindow || (b.LastSeen[edge] >= f.FromMs && b.FirstSeen[edge] <= f.ToMs));

    /// <summary>
    /// The records [from, to) as the next frontier, ordered by node: a node has at most one record
    /// per layer, and it is still the node's latest. Returns the frontier's length.
    /// </summary>
    private static int InNodeOrder(BlastRecord[] records, int from, int to, ulong[] bits, BlastSlot[] slots, ref FrontierEntry[] frontier)
    {
        if (frontier.Length < to - from) frontier = new FrontierEntry[Math.Max(to - from, frontier.Length * 2)];
        int lo = int.MaxValue, hi = -1;
        for (var r = from; r < to; r++)
        {
            var v = records[r].Node;
            bits[v >> 6] |= 1UL << v;
            lo = Math.Min(lo, v >> 6);
            hi = Math.Max(hi, v >> 6);
        }
        var n = 0;
        for (var w = lo; w <= hi; w++)
        {
            var word = bits[w];
            if (word == 0) continue;
            bits[w] = 0;
            while (word != 0)
            {
                var v = (w << 6) + System.Numerics.BitOperations.TrailingZeroCount(word);
                ref var slot = ref slots[v];
                frontier[n++] = new FrontierEntry { Node = v, Cost = slot.Best, Record = slot.Latest };
                word &= word - 1;
            }
        }
        return n;
    }

    /// <summary>A reached node as sorted for the answer: cheapest, then fewest hops, then id.</summary>
    private readonly record struct Ranked(long Cost, int Hops, int Node, int Record) : IComparable<Ranked>
    {
        public int CompareTo(Ranked o) => Cost != o.Cost ? Cost.CompareTo(o.Cost) : Hops != o.Hops ? Hops.CompareTo(o.Hops) : Node.CompareTo(o.Node);
    }

    private static BlastRadiusResult Collect(BlastRecord[] records, int count, ulong[] bits, BlastSlot[] slots, IReadOnlyList<int> starts, QueryBudget budget)
    {
        // A node's answer is its one record not superseded (its slot's latest); the starts are the records of layer 0.
        var reached = 0;
        var maxCost = 0;
        var maxHops = 0;
        int lo = int.MaxValue, hi = -1;
        for (var r = 0; r < count; r++)
        {
            ref var x = ref records[r];
            if (x.Superseded || x.Hops == 0) continue;
            reached++;
            maxCost = Math.Max(maxCost, x.Cost);
            maxHops = Math.Max(maxHops, x.Hops);
            var v = x.Node;
            bits[v >> 6] |= 1UL << v;
            lo = Math.Min(lo, v >> 6);
            hi = Math.Max(hi, v >> 6);
        }
        // Cheapest first, then fewest hops, then node id: the answers are listed in node order (a
        // pass over the bit set), then sorted stably on (cost, hops) alone. Packed as one ulong, the
        // record's index in the low half riding along, that is a radix sort of two or three passes
        // (linear, and several times faster than comparing); struct sort when (cost, hops) needs more than 32 bits.
        var order = new int[reached]; // records, cheapest first
        var hopBits = Bits(maxHops);
        var sortBits = Bits(maxCost) + hopBits;
        var keys = System.Buffers.ArrayPool<ulong>.Shared.Rent(Math.Max(1, reached));
        try
        {
            var k = 0;
            for (var w = lo; w <= hi; w++)
            {
                var word = bits[w];
                if (word == 0) continue;
                bits[w] = 0;
                while (word != 0)
                {
                    var r = slots[(w << 6) + System.Numerics.BitOperations.TrailingZeroCount(word)].Latest;
                    keys[k++] = ((((ulong)(uint)records[r].Cost << hopBits) | records[r].Hops) << 32) | (uint)r;
                    word &= word - 1;
                }
            }
            if (sortBits <= 32)
            {
                RadixSortHigh(keys.AsSpan(0, reached), sortBits);
                for (var i = 0; i < reached; i++) order[i] = (int)(uint)keys[i];
            }
            else
            {
                var ranked = new Ranked[reached];
                for (var i = 0; i < reached; i++)
                {
                    var r = (int)(uint)keys[i];
                    ranked[i] = new Ranked(records[r].Cost, records[r].Hops, records[r].Node, r);
                }
                ranked.AsSpan().Sort();
                for (var i = 0; i < reached; i++) order[i] = ranked[i].Record;
            }
        }
        finally
        {
            System.Buffers.ArrayPool<ulong>.Shared.Return(keys);
        }

        var kept = reached;
        if (reached > budget.MaxResults)
        {
            kept = budget.MaxResults;
            budget.ResultsFull();
        }
        if (kept < reached)
        {
            var result = new ReachedNode[kept];
            return new BlastRadiusResult(starts, result, KeptTree(records, count, order, result), budget.Hit, budget.Visits);
        }
        // Everything is answered: the records themselves are the path tree (a record's previous one
        // is always older, so parents come first) and give each reached node, in the sorted order.
        var tree = records.AsSpan(0, count).ToArray();
        return new BlastRadiusResult(starts, new ReachedList(tree, order), new PathTree(tree), budget.Hit, budget.Visits);
    }

    /// <summary>
    /// A result limit cut the answer: the path tree holds only the records on a kept node's path,
    /// parents before children, numbered in that order (not every record of the search).
    /// </summary>
    private static PathTree KeptTree(BlastRecord[] records, int count, int[] order, ReachedNode[] result)
    {
        var ints = System.Buffers.ArrayPool<int>.Shared;
        var exported = ints.Rent(count);
        try
        {
            Array.Fill(exported, -1, 0, count);
            var node = new List<int>();
            var step = new List<int>();
            var parent = new List<int>();
            var cost = new List<long>();
            var chain = new List<int>();
            for (var i = 0; i < result.Length; i++)
            {
                var record = order[i];
                chain.Clear();
                for (var r = record; r >= 0 && exported[r] < 0; r = records[r].Prev) chain.Add(r);
                for (var c = chain.Count - 1; c >= 0; c--)
                {
                    var r = chain[c];
                    var p = records[r].Prev;
                    exported[r] = node.Count;
                    node.Add(records[r].Node);
                    step.Add(records[r].Step);
                    parent.Add(p >= 0 ? exported[p] : -1);
                    cost.Add(records[r].Cost);
                }
                ref var x = ref records[record];
                result[i] = new ReachedNode(x.Node, x.Cost, x.Hops, x.MinHops, exported[record]);
            }
            return new PathTree([.. node], [.. step], [.. parent], [.. cost]);
        }
        finally
        {
            ints.Return(exported);
        }
    }

    /// <summary>Bits needed to write <paramref name="max"/> (at least 1).</summary>
    private static int Bits(int max) => Math.Max(1, 32 - System.Numerics.BitOperations.LeadingZeroCount((uint)max));

    /// <summary>
    /// Sorts by the upper half's low <paramref name="bits"/> bits, stably (least significant digit
    /// first, 11 bits a pass, a pass whose digit every key shares skipped); the lower half rides along.
    /// </summary>
    private static void RadixSortHigh(Span<ulong> keys, int bits)
    {
        const int Digit = 11;
        if (keys.Length < 2) return;
        var pool = System.Buffers.ArrayPool<ulong>.Shared;
        var spare = pool.Rent(keys.Length);
        var counts = new int[1 << Digit];
        try
        {
            Span<ulong> from = keys, to = spare.AsSpan(0, keys.Length);
            for (var shift = 32; shift < 32 + bits; shift += Digit)
            {
                var width = Math.Min(Digit, 32 + bits - shift);
                var mask = (1 << width) - 1;
                Array.Clear(counts);
                foreach (var key in from) counts[(int)(key >> shift) & mask]++;
                if (counts[(int)(from[0] >> shift) & mask] == from.Length) continue; // one digit for all
                var sum = 0;
                for (var d = 0; d <= mask; d++) (counts[d], sum) = (sum, sum + counts[d]);
                foreach (var key in from) to[counts[(int)(key >> shift) & mask]++] = key;
                var swap = from;
                from = to;
                to = swap;
            }
            if (from != keys) from.CopyTo(keys);
        }
        finally
        {
            pool.Return(spare);
        }
    }
}

/// <summary>
/// A blast radius's records, growing, and how one is added: the out-of-line part of the inner loop,
/// taken by the few steps that improve a node.
/// </summary>
internal sealed class BlastRecords(BlastRecord[] array, int limit)
{
    public BlastRecord[] Array = array;
    public int Count;
    /// <summary>The layer being relaxed.</summary>
    public int Layer;
    private readonly int _limit = limit;

    public int Add(in BlastRecord record)
    {
        if (Count == Array.Length) System.Array.Resize(ref Array, Count * 2);
        Array[Count] = record;
        return Count++;
    }

    /// <summary>
    /// <paramref name="v"/> costs <paramref name="nc"/>, less than its slot's best, over <see cref="Layer"/>
    /// steps from record <paramref name="r"/>: the layer's record for it, new or made cheaper.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    public void Relax(ref BlastSlot slot, int v, int nc, int step, int r)
    {
        if (nc > _limit) return;
        slot.Best = nc;
        var lv = slot.Latest;
        var minHops = Layer;
        if (lv >= 0)
        {
            ref var latest = ref Array[lv];
            if (latest.Hops == Layer)
            {
                // Improved again within this layer: the layer keeps one record, the cheapest.
                latest.Cost = nc;
                latest.Prev = r;
                latest.Step = step;
                return;
            }
            latest.Superseded = true;
            minHops = latest.MinHops;
        }
        slot.Latest = Add(new BlastRecord { Node = v, Cost = nc, Prev = r, Step = step, Hops = (byte)Layer, MinHops = (byte)minHops });
    }
}

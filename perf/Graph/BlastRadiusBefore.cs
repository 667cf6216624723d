using System.Collections.Concurrent;
using Redoubt.Graph.Algorithms;
using Redoubt.Graph.Engine;

namespace Redoubt.Perf.Graph;

// The engine's blast radius as it was at commit 62a139c (before the branch graphspeed), kept so the
// bench times before and after in the same run on the same snapshot and checks they answer alike.
// Self-contained (its own per-node slots and pool), so later changes to the engine's scratch do not
// change it. Do not use elsewhere.

/// <summary>
/// Everything an attacker holding the start nodes can reach over attack steps within a hop limit,
/// cheapest first, each with its cheapest path. Exact, by hop-layered Bellman-Ford: layer h holds the
/// cheapest cost of every node over at most h steps, relaxed only from the nodes that improved in
/// layer h-1 (their improvements over the layers are exactly the Pareto front of cost and hops). No
/// priority queue: flat arrays and two frontiers, which is what keeps a 6-hop radius over a large
/// part of the graph fast. A node's records (one per layer it improved in) chain back to the start.
/// A result limit keeps the cheapest nodes; a time or work budget stops between or inside layers, and
/// then the nodes found may not yet show their cheapest cost.
/// The inner loop reads the compacted CSR runs directly (the attack steps lead each run) with every
/// array in a local, keeps a node's epoch, latest record and best cost in one 16-byte slot, skips a
/// step into a node already reached more cheaply before reading the exploit cost, and allocates
/// nothing per step; delta edges (not yet compacted) go through the general enumerator.
/// </summary>
public static class BlastRadiusBefore
{
    public static BlastRadiusResult Run(GraphSnapshot g, IReadOnlyList<int> starts, int maxHops, long? maxCost, in EdgeFilter filter, QueryBudget budget)
    {
        if (maxHops is < 1 or > LabelSearch.MaxHopLimit) throw new ArgumentOutOfRangeException(nameof(maxHops), $"a hop limit is 1..{LabelSearch.MaxHopLimit}");
        var limit = maxCost ?? long.MaxValue;
        using var s = BeforeScratch.Rent(g.NodeCount);
        var epoch = s.BeginReach(g.NodeCount);
        var slots = s.Reach;
        var firstLayer = s.NodeA;          // per touched node: the layer it was first reached in (its fewest hops)
        var records = s.Labels;            // records: node, cost, layer (Hops), previous record, step
        var frontier = s.ListA;            // the records of the previous layer, in node order
        foreach (var v in starts)
        {
            ref var slot = ref slots[v];
            if (slot.Epoch == epoch) continue;
            slot = new BeforeScratch.ReachSlot { Epoch = epoch, Latest = records.Add(v, 0, 0, -1, -1, -1), Best = 0 };
            firstLayer[v] = 0;
            frontier.Add(slot.Latest);
        }

        // Everything the inner loops read, as locals.
        var b = g.Edges.Base;
        var baseNodes = b.NodeCount;
        var outOffsets = b.OutOffsets;
        var outSteps = b.OutSteps;
        var outTarget = b.OutTarget;
        var outType = b.Type;
        var inOffsets = b.InOffsets;
        var inSteps = b.InSteps;
        var inSource = b.InSource;
        var inType = b.InType;
        var inEdge = b.InEdge;
        var costs = g.Costs;
        var forward = costs.Forward;
        var reverse = costs.Reverse;
        var forwardExploit = costs.ForwardExploit;
        var reverseExploit = costs.ReverseExploit;
        var exploit = g.Nodes.ExploitCost;
        var checkEdges = filter.TypeMask != uint.MaxValue || filter.HasWindow;
        var f = filter;
        var hasDelta = g.Edges.Delta.Count > 0;

        for (var layer = 1; layer <= maxHops && frontier.Count > 0 && !budget.Exhausted; layer++)
        {
            var layerStart = records.Count;
            foreach (var r in frontier)
            {
                // Relax from the record as it stood after the previous layer (never changed in this one).
                var u = records.Node[r];
                var cost = records.Cost[r];
                var seen = 0;
                if (u < baseNodes)
                {
                    // The compacted runs list a node's attack steps first: forward along its out-run, reverse along its in-run.
                    var from = outOffsets[u];
                    var end = from + outSteps[u];
                    for (var i = from; i < end; i++)
                    {
                        int t = outType[i];
                        var c = forward[t];
                        if (c == 0 || (checkEdges && !Allowed(b, f, t, i))) continue;
                        var v = outTarget[i];
                        // Most steps lead to nodes already reached more cheaply: skip them before reading the exploit cost.
                        ref var slot = ref slots[v];
                        if (slot.Epoch == epoch && slot.Best <= cost + c) continue;
                        if (forwardExploit[t]) c += exploit[v];
                        Relax(ref slot, epoch, layer, records, firstLayer, v, cost + c, limit, i << 1, r);
                    }
                    var inFrom = inOffsets[u];
                    var inEnd = inFrom + inSteps[u];
                    for (var i = inFrom; i < inEnd; i++)
                    {
                        int t = inType[i];
                        var c = reverse[t];
                        var e = inEdge[i];
                        if (c == 0 || (checkEdges && !Allowed(b, f, t, e))) continue;
                        var v = inSource[i];
                        ref var slot = ref slots[v];
                        if (slot.Epoch == epoch && slot.Best <= cost + c) continue;
                        if (reverseExploit[t]) c += exploit[v];
                        Relax(ref slot, epoch, layer, records, firstLayer, v, cost + c, limit, (e << 1) | 1, r);
                    }
                    seen = end - from + inEnd - inFrom;
                }
                if (hasDelta)
                {
                    // Delta edges (not yet compacted) are neither sorted nor checked for the kind they enter.
                    foreach (var a in g.DeltaOut(u))
                    {
                        seen++;
                        var c = forward[(int)a.Type];
                        if (c == 0 || !costs.Enterable[(int)g.Kind(a.Peer)] || !f.Allows(g, a)) continue;
                        if (forwardExploit[(int)a.Type]) c += exploit[a.Peer];
                        Relax(ref slots[a.Peer], epoch, layer, records, firstLayer, a.Peer, cost + c, limit, Step.Of(a.Edge, false), r);
                    }
                    foreach (var a in g.DeltaIn(u))
                    {
                        seen++;
                        var c = reverse[(int)a.Type];
                        if (c == 0 || !costs.Enterable[(int)g.Kind(a.Peer)] || !f.Allows(g, a)) continue;
                        if (reverseExploit[(int)a.Type]) c += exploit[a.Peer];
                        Relax(ref slots[a.Peer], epoch, layer, records, firstLayer, a.Peer, cost + c, limit, Step.Of(a.Edge, true), r);
                    }
                }
                if (!budget.Spend(seen + 1)) break;
            }
            // The records this layer added are the next frontier; taken in node order, the loop above
            // reads the offsets and CSR runs front to back instead of jumping around them.
            InNodeOrder(records, layerStart, s.NodeBits, slots, frontier);
        }
        return Collect(s, slots, firstLayer, records, starts, budget);
    }

    private static bool Allowed(EdgeBase b, in EdgeFilter f, int type, int edge) =>
        ((f.TypeMask >> type) & 1) != 0
        && (!f.HasWindow || (b.LastSeen[edge] >= f.FromMs && b.FirstSeen[edge] <= f.ToMs));

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static void Relax(ref BeforeScratch.ReachSlot slot, int epoch, int layer, Labels records, int[] firstLayer, int v, long nc, long limit, int step, int r)
    {
        if (nc > limit) return;
        if (slot.Epoch != epoch)
        {
            slot.Epoch = epoch;
            slot.Latest = -1;
            firstLayer[v] = layer;
        }
        else if (slot.Best <= nc) return;
        slot.Best = nc;
        var lv = slot.Latest;
        if (lv >= 0 && records.Hops[lv] == layer)
        {
            // Improved again within this layer: the layer keeps one record, the cheapest.
            records.Cost[lv] = nc;
            records.Prev[lv] = r;
            records.Step[lv] = step;
        }
        else slot.Latest = records.Add(v, nc, layer, r, step, -1);
    }

    /// <summary>
    /// Replaces <paramref name="frontier"/> with records [from, records.Count), ordered by node: a
    /// node has at most one record per layer, and it is still the node's latest.
    /// </summary>
    private static void InNodeOrder(Labels records, int from, ulong[] bits, BeforeScratch.ReachSlot[] slots, List<int> frontier)
    {
        frontier.Clear();
        int lo = int.MaxValue, hi = -1;
        for (var r = from; r < records.Count; r++)
        {
            var v = records.Node[r];
            bits[v >> 6] |= 1UL << v;
            lo = Math.Min(lo, v >> 6);
            hi = Math.Max(hi, v >> 6);
        }
        for (var w = lo; w <= hi; w++)
        {
            var word = bits[w];
            if (word == 0) continue;
            bits[w] = 0;
            while (word != 0)
            {
                frontier.Add(slots[(w << 6) + System.Numerics.BitOperations.TrailingZeroCount(word)].Latest);
                word &= word - 1;
            }
        }
    }

    /// <summary>A reached node as sorted for the answer: cheapest, then fewest hops, then id.</summary>
    private readonly record struct Ranked(long Cost, int Hops, int Node) : IComparable<Ranked>
    {
        public int CompareTo(Ranked o) => Cost != o.Cost ? Cost.CompareTo(o.Cost) : Hops != o.Hops ? Hops.CompareTo(o.Hops) : Node.CompareTo(o.Node);
    }

    /// <summary>Bits of the packed sort key (cost, hops, node) in one ulong: hops below 64, node ids below 2^31, leaving 27 for the cost.</summary>
    private const int NodeBits = 31, HopBits = 6, CostBits = 64 - NodeBits - HopBits;

    private static BlastRadiusResult Collect(BeforeScratch s, BeforeScratch.ReachSlot[] slots, int[] firstLayer, Labels records, IReadOnlyList<int> starts, QueryBudget budget)
    {
        // Each touched node's latest record is its cheapest; the starts are the records of layer 0.
        // Sorted as one packed ulong per node when the costs fit (a primitive sort, several times
        // faster than comparing structs), else as structs; a node's record is its slot's latest.
        var count = 0;
        long maxCost = 0;
        for (var r = 0; r < records.Count; r++)
        {
            if (slots[records.Node[r]].Latest != r || records.Hops[r] == 0) continue;
            count++;
            maxCost = Math.Max(maxCost, records.Cost[r]);
        }
        var order = new int[count]; // nodes, cheapest first
        if (maxCost < 1L << CostBits)
        {
            var keys = System.Buffers.ArrayPool<ulong>.Shared.Rent(count);
            var k = 0;
            for (var r = 0; r < records.Count; r++)
            {
                if (slots[records.Node[r]].Latest != r || records.Hops[r] == 0) continue;
                keys[k++] = ((ulong)records.Cost[r] << (NodeBits + HopBits)) | ((ulong)records.Hops[r] << NodeBits) | (uint)records.Node[r];
            }
            keys.AsSpan(0, count).Sort();
            for (var i = 0; i < count; i++) order[i] = (int)(keys[i] & ((1UL << NodeBits) - 1));
            System.Buffers.ArrayPool<ulong>.Shared.Return(keys);
        }
        else
        {
            var ranked = new Ranked[count];
            var k = 0;
            for (var r = 0; r < records.Count; r++)
                if (slots[records.Node[r]].Latest == r && records.Hops[r] != 0) ranked[k++] = new Ranked(records.Cost[r], records.Hops[r], records.Node[r]);
            ranked.AsSpan().Sort();
            for (var i = 0; i < count; i++) order[i] = ranked[i].Node;
        }
        var kept = count;
        if (count > budget.MaxResults)
        {
            kept = budget.MaxResults;
            budget.ResultsFull();
        }

        // The path tree: every record on a kept node's path, parents before children, numbered in that order.
        // Working arrays from the pool (fresh ones this size would be large-object allocations); the answer gets exact copies.
        var ints = System.Buffers.ArrayPool<int>.Shared;
        var exported = ints.Rent(records.Count);
        var node = ints.Rent(records.Count);
        var step = ints.Rent(records.Count);
        var parent = ints.Rent(records.Count);
        var cost = System.Buffers.ArrayPool<long>.Shared.Rent(records.Count);
        try
        {
            Array.Fill(exported, -1, 0, records.Count);
            var size = 0;
            var chain = s.ListA;
            var result = new ReachedNode[kept];
            for (var i = 0; i < kept; i++)
            {
                var v = order[i];
                var record = slots[v].Latest;
                chain.Clear();
                for (var r = record; r >= 0 && exported[r] < 0; r = records.Prev[r]) chain.Add(r);
                for (var c = chain.Count - 1; c >= 0; c--)
                {
                    var r = chain[c];
                    var p = records.Prev[r];
                    exported[r] = size;
                    node[size] = records.Node[r];
                    step[size] = records.Step[r];
                    parent[size] = p >= 0 ? exported[p] : -1;
                    cost[size] = records.Cost[r];
                    size++;
                }
                result[i] = new ReachedNode(v, records.Cost[record], records.Hops[record], firstLayer[v], exported[record]);
            }
            return new BlastRadiusResult(starts, result, new PathTree(node[..size], step[..size], parent[..size], cost[..size]), budget.Hit, budget.Visits);
        }
        finally
        {
            ints.Return(exported);
            ints.Return(node);
            ints.Return(step);
            ints.Return(parent);
            System.Buffers.ArrayPool<long>.Shared.Return(cost);
        }
    }
}

/// <summary>The per-query memory the code above used (the engine's Scratch of 62a139c, the parts it read).</summary>
internal sealed class BeforeScratch : IDisposable
{
    private static readonly ConcurrentBag<BeforeScratch> Pool = [];
    public int[] NodeA = [];
    public ReachSlot[] Reach = [];
    public ulong[] NodeBits = [];
    public readonly List<int> ListA = [];
    public readonly Labels Labels = new();
    private int _reachEpoch;

    public static BeforeScratch Rent(int nodeCount)
    {
        var s = Pool.TryTake(out var pooled) ? pooled : new BeforeScratch();
        if (s.NodeA.Length < nodeCount) s.NodeA = new int[Math.Max(nodeCount, s.NodeA.Length + s.NodeA.Length / 2)];
        s.ListA.Clear();
        s.Labels.Clear();
        return s;
    }

    public int BeginReach(int nodeCount)
    {
        if (NodeBits.Length < (nodeCount + 63) >> 6) NodeBits = new ulong[(Math.Max(nodeCount, Reach.Length + Reach.Length / 2) + 63) >> 6];
        if (Reach.Length < nodeCount)
        {
            Reach = new ReachSlot[Math.Max(nodeCount, Reach.Length + Reach.Length / 2)];
            _reachEpoch = 0;
        }
        if (++_reachEpoch == int.MaxValue)
        {
            Array.Clear(Reach);
            _reachEpoch = 1;
        }
        return _reachEpoch;
    }

    public void Dispose()
    {
        if (Pool.Count < 4) Pool.Add(this);
    }

    /// <summary>One node's state: valid when <see cref="Epoch"/> is the query's.</summary>
    internal struct ReachSlot
    {
        public int Epoch;
        public int Latest;
        public long Best;
    }
}

using System.Collections.Concurrent;

namespace Redoubt.Graph.Algorithms;

/// <summary>
/// Per-query working memory sized to the graph, reused across queries: a stamp array makes
/// "visited" and the per-node slots valid for the current query only, so nothing is cleared
/// between queries (a new epoch is one increment). Rent with <see cref="Rent"/>, dispose to return.
/// </summary>
internal sealed class Scratch : IDisposable
{
    private static readonly ConcurrentBag<Scratch> Pool = [];
    private const int MaxPooled = 4;

    /// <summary>Nodes taken off the queue (first label popped), and the "visited" set of BFS.</summary>
    public readonly StampSet Settled = new();
    /// <summary>Nodes that hold at least one label.</summary>
    public readonly StampSet Touched = new();
    public readonly StampSet Banned = new();
    public readonly StampSet Targets = new();
    /// <summary>Nodes a spur search's existence check (<see cref="SpurReach"/>) has seen.</summary>
    public readonly StampSet Reached = new();

    /// <summary>Per-node slots, valid where the owning set says so.</summary>
    public long[] Dist = [];
    public int[] NodeA = [];
    public int[] NodeB = [];
    public double[] Real = [];
    public double[] Real2 = [];

    /// <summary>
    /// Blast radius: per node, its cheapest cost and latest record side by side (8 bytes, one cache
    /// line). Kept at <see cref="BlastSlot.Untouched"/> between queries: a query resets the slots it
    /// touched (its records name them), so there is no epoch to compare in the inner loop.
    /// </summary>
    public BlastSlot[] Blast = [];
    /// <summary>Blast radius records (one per node and layer it improved in) and a layer's frontier.</summary>
    public BlastRecord[] BlastRecords = new BlastRecord[1024];
    public FrontierEntry[] Frontier = new FrontierEntry[1024];

    public readonly PriorityQueue<int, long> Heap = new();
    public readonly List<int> ListA = [];
    public readonly List<int> ListB = [];
    public readonly Labels Labels = new();

    public static Scratch Rent(int nodeCount)
    {
        var s = Pool.TryTake(out var pooled) ? pooled : new Scratch();
        s.Begin(nodeCount);
        return s;
    }

    private void Begin(int nodeCount)
    {
        if (Dist.Length < nodeCount)
        {
            var size = Math.Max(nodeCount, Dist.Length + Dist.Length / 2);
            Dist = new long[size];
            NodeA = new int[size];
            NodeB = new int[size];
            Real = new double[size];
            Real2 = new double[size];
        }
        Settled.Begin(nodeCount);
        Touched.Begin(nodeCount);
        Banned.Begin(nodeCount);
        Targets.Begin(nodeCount);
        Reached.Begin(nodeCount);
        Heap.Clear();
        ListA.Clear();
        ListB.Clear();
        Labels.Clear();
    }

    /// <summary>A bit per node, all clear between uses (whoever sets bits clears them).</summary>
    public ulong[] NodeBits = [];

    /// <summary>Starts a blast radius: every slot is untouched, the bit set clear.</summary>
    public BlastSlot[] BeginBlast(int nodeCount)
    {
        if (NodeBits.Length < (nodeCount + 63) >> 6) NodeBits = new ulong[(Math.Max(nodeCount, Blast.Length + Blast.Length / 2) + 63) >> 6];
        if (Blast.Length < nodeCount)
        {
            var slots = new BlastSlot[Math.Max(nodeCount, Blast.Length + Blast.Length / 2)];
            slots.AsSpan().Fill(BlastSlot.Untouched);
            Blast = slots;
        }
        return Blast;
    }

    /// <summary>Forgets the search state (not the bans or targets) for the next search of the same query.</summary>
    public void NextSearch(int nodeCount)
    {
        Settled.Begin(nodeCount);
        Touched.Begin(nodeCount);
        Heap.Clear();
        Labels.Clear();
    }

    public void Dispose()
    {
        if (Pool.Count < MaxPooled) Pool.Add(this);
    }
}

/// <summary>
/// One node's state in a blast radius. Costs fit an int: a step costs at most 2,000,000 milli-units
/// (a base of at most 1000 units plus an exploit cost of at most NoVulnerability, itself at most
/// 1000), so 63 hops cost at most 126,000,000.
/// </summary>
internal struct BlastSlot
{
    /// <summary>Cheapest cost so far; int.MaxValue while untouched, so one compare skips both.</summary>
    public int Best;
    /// <summary>The node's latest (cheapest) record, or -1.</summary>
    public int Latest;

    public static readonly BlastSlot Untouched = new() { Best = int.MaxValue, Latest = -1 };
}

/// <summary>A blast radius record: the node's cheapest cost over at most <see cref="Hops"/> steps, reached from record <see cref="Prev"/> by <see cref="Step"/>.</summary>
internal struct BlastRecord
{
    public int Node;
    public int Cost;
    public int Prev;
    public int Step;
    public byte Hops;
    /// <summary>The layer the node was first reached in (its fewest hops), carried from record to record.</summary>
    public byte MinHops;
    /// <summary>A later layer found the node cheaper: not its answer (but may be on other nodes' paths).</summary>
    public bool Superseded;
}

/// <summary>A node to relax from in the next layer: its cost and record as the previous layer left them.</summary>
internal struct FrontierEntry
{
    public int Node;
    public int Cost;
    public int Record;
}

/// <summary>A set of node ids that empties in O(1): a node is in it when its stamp is the current epoch.</summary>
internal sealed class StampSet
{
    private int[] _stamp = [];
    private int _epoch;

    public void Begin(int nodeCount)
    {
        if (_stamp.Length < nodeCount)
        {
            _stamp = new int[Math.Max(nodeCount, _stamp.Length + _stamp.Length / 2)];
            _epoch = 0;
        }
        if (++_epoch == int.MaxValue)
        {
            Array.Clear(_stamp);
            _epoch = 1;
        }
    }

    /// <summary>Empties the set.</summary>
    public void Clear()
    {
        if (++_epoch == int.MaxValue)
        {
            Array.Clear(_stamp);
            _epoch = 1;
        }
    }

    public bool Contains(int node) => _stamp[node] == _epoch;

    /// <summary>True when the node was not in the set.</summary>
    public bool Add(int node)
    {
        if (_stamp[node] == _epoch) return false;
        _stamp[node] = _epoch;
        return true;
    }
}

/// <summary>
/// Search labels: (node, cost, hops, previous label, step) in parallel arrays, chained per node.
/// A node may hold several labels when a hop limit applies (cheaper-but-longer beside
/// dearer-but-shorter); without one, at most one stays alive.
/// </summary>
internal sealed class Labels
{
    public long[] Cost = new long[1024];
    public int[] Node = new int[1024];
    public int[] Hops = new int[1024];
    public int[] Prev = new int[1024];
    public int[] Step = new int[1024];
    public int[] NextOfNode = new int[1024];
    public bool[] Dead = new bool[1024];
    public int Count;

    public void Clear() => Count = 0;

    public int Add(int node, long cost, int hops, int prev, int step, int nextOfNode)
    {
        if (Count == Cost.Length)
        {
            var n = Count * 2;
            Array.Resize(ref Cost, n); Array.Resize(ref Node, n); Array.Resize(ref Hops, n); Array.Resize(ref Prev, n);
            Array.Resize(ref Step, n); Array.Resize(ref NextOfNode, n); Array.Resize(ref Dead, n);
        }
        var i = Count++;
        Cost[i] = cost; Node[i] = node; Hops[i] = hops; Prev[i] = prev; Step[i] = step; NextOfNode[i] = nextOfNode; Dead[i] = false;
        return i;
    }
}

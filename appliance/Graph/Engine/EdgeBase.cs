namespace Redoubt.Graph.Engine;

/// <summary>
/// The compacted part of the edges: CSR arrays sorted by source, so an edge's id is its position in
/// the out-adjacency and a node's out-edges are one contiguous run (id, target and type side by side
/// for the traversal loops). A second CSR by target serves in-edges. Within a run, the edges that are
/// attack steps under the cost model come first, so attack traversals skip the rest of a hub's run
/// (a server's hundred thousand incoming flows, a group's members) without looking at it. Structure is immutable once
/// built; the attribute columns (count, first/last seen, first evidence) are updated in place by the
/// writer. Readers may see an attribute half a batch old, never a torn structure.
/// </summary>
internal sealed class EdgeBase
{
    public static readonly EdgeBase Empty = new(0, 0);

    /// <summary>Nodes 0..NodeCount-1 have entries in the offset arrays; later nodes have no base edges.</summary>
    public readonly int NodeCount;
    public readonly int Count;

    public readonly int[] OutOffsets;
    /// <summary>Per node: how many edges at the start of its out-run are forward attack steps (the run puts them first).</summary>
    public readonly int[] OutSteps;
    public readonly int[] OutTarget;
    public readonly byte[] Type;
    public readonly int[] Source;

    public readonly int[] InOffsets;
    /// <summary>Per node: how many edges at the start of its in-run are reverse attack steps.</summary>
    public readonly int[] InSteps;
    public readonly int[] InSource;
    public readonly int[] InEdge;
    public readonly byte[] InType;

    public readonly int[] Seen;
    public readonly long[] FirstSeen;
    public readonly long[] LastSeen;
    public readonly long[] Evidence;

    public EdgeBase(int nodeCount, int count)
    {
        NodeCount = nodeCount;
        Count = count;
        OutOffsets = new int[nodeCount + 1];
        OutSteps = new int[nodeCount];
        InSteps = new int[nodeCount];
        OutTarget = new int[count];
        Type = new byte[count];
        Source = new int[count];
        InOffsets = new int[nodeCount + 1];
        InSource = new int[count];
        InEdge = new int[count];
        InType = new byte[count];
        Seen = new int[count];
        FirstSeen = new long[count];
        LastSeen = new long[count];
        Evidence = new long[count];
    }

    /// <summary>Bytes held per edge by these arrays (offsets excluded).</summary>
    public const int BytesPerEdge = 4 + 1 + 4 + 4 + 4 + 1 + 4 + 8 + 8 + 8;

    public long ApproximateBytes() => (long)Count * BytesPerEdge + 4L * 4 * (NodeCount + 1);
}

/// <summary>
/// Edges added since the last compaction, as prepend-only linked lists per node. The writer fills an
/// edge's columns, links it, then publishes the list head; a reader walks from the head and skips ids
/// at or past its snapshot's edge count, so it sees exactly the edges its snapshot had.
/// </summary>
internal sealed class EdgeDelta(int firstId)
{
    public readonly int FirstId = firstId;
    public int Count;

    public readonly ChunkedArray<int> Source = new();
    public readonly ChunkedArray<int> Target = new();
    public readonly ChunkedArray<byte> Type = new();
    public readonly ChunkedArray<int> NextOut = new();
    public readonly ChunkedArray<int> NextIn = new();
    public readonly ChunkedArray<int> Seen = new();
    public readonly ChunkedArray<long> FirstSeen = new();
    public readonly ChunkedArray<long> LastSeen = new();
    public readonly ChunkedArray<long> Evidence = new();

    /// <summary>Per node: the newest delta edge (delta index) out of / into it, or -1.</summary>
    public readonly ChunkedArray<int> HeadOut = new(-1);
    public readonly ChunkedArray<int> HeadIn = new(-1);

    public long ApproximateBytes() =>
        Source.AllocatedBytes(4) + Target.AllocatedBytes(4) + Type.AllocatedBytes(1) + NextOut.AllocatedBytes(4) + NextIn.AllocatedBytes(4)
        + Seen.AllocatedBytes(4) + FirstSeen.AllocatedBytes(8) + LastSeen.AllocatedBytes(8) + Evidence.AllocatedBytes(8)
        + HeadOut.AllocatedBytes(4) + HeadIn.AllocatedBytes(4);
}

namespace Redoubt.Graph.Engine;

/// <summary>
/// Writer-only open-addressing hash from (source, type, target) to edge id, so an observation of an
/// existing edge bumps it instead of adding a twin. Slots hold id+1 (0 = empty); keys are read back
/// from the edge columns, so the index costs 4 bytes per slot (about 5-7 per edge) and nothing else.
/// Rebuilt at each compaction, since compaction renumbers edges.
/// </summary>
internal sealed class EdgeIndex
{
    private int[] _slots;
    private int _count;
    private readonly EdgeStore _edges;

    public EdgeIndex(EdgeStore edges, int expected)
    {
        _edges = edges;
        _slots = new int[SlotsFor(expected)];
        for (var e = 0; e < edges.Count; e++) Insert(e);
    }

    public long ApproximateBytes => _slots.Length * 4L;

    private static int SlotsFor(int count)
    {
        var n = 1024;
        while (n * 3L / 4 < count + 1) n *= 2;
        return n;
    }

    private static uint Hash(int src, byte type, int dst)
    {
        var h = (ulong)(uint)src * 0x9E3779B97F4A7C15UL ^ ((ulong)(uint)dst << 8 | type) * 0xC2B2AE3D27D4EB4FUL;
        return (uint)(h >> 32) ^ (uint)h;
    }

    public int Find(int src, byte type, int dst)
    {
        var mask = _slots.Length - 1;
        for (var i = (int)(Hash(src, type, dst) & mask); ; i = (i + 1) & mask)
        {
            var slot = _slots[i];
            if (slot == 0) return -1;
            var e = slot - 1;
            if (_edges.Source(e) == src && _edges.Target(e) == dst && _edges.Type(e) == type) return e;
        }
    }

    /// <summary>Indexes edge <paramref name="e"/>, whose columns are already written.</summary>
    public void Insert(int e)
    {
        if ((_count + 1) * 4L > _slots.Length * 3L) Grow();
        Place(_slots, e);
        _count++;
    }

    private void Place(int[] slots, int e)
    {
        var mask = slots.Length - 1;
        var i = (int)(Hash(_edges.Source(e), _edges.Type(e), _edges.Target(e)) & mask);
        while (slots[i] != 0) i = (i + 1) & mask;
        slots[i] = e + 1;
    }

    private void Grow()
    {
        var slots = new int[_slots.Length * 2];
        foreach (var s in _slots) if (s != 0) Place(slots, s - 1);
        _slots = slots;
    }
}

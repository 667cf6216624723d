namespace Redoubt.Graph.Engine;

/// <summary>
/// A growable array that never moves its elements: storage is a directory of fixed-size chunks, so
/// the single writer can append while readers index the part they were published, without copying
/// or locking. Chunks are allocated as needed; a longer directory holds the same chunks.
/// </summary>
internal sealed class ChunkedArray<T>
{
    private const int Shift = 14;
    private const int ChunkSize = 1 << Shift;
    private const int Mask = ChunkSize - 1;

    private readonly T _fill;
    private readonly bool _hasFill;
    private T[][] _chunks = [];
    private int _allocated;

    public ChunkedArray() { _fill = default!; }

    public ChunkedArray(T fill) { _fill = fill; _hasFill = true; }

    /// <summary>Elements addressable without growing.</summary>
    public int Capacity => _allocated << Shift;

    public ref T this[int index] => ref _chunks[index >> Shift][index & Mask];

    /// <summary>Writer only: make <paramref name="count"/> elements addressable (new ones hold the fill value).</summary>
    public void EnsureCapacity(int count)
    {
        var needed = (count + Mask) >> Shift;
        if (needed <= _allocated) return;
        var dir = _chunks;
        if (needed > dir.Length)
        {
            var grown = new T[Math.Max(needed, Math.Max(4, dir.Length * 2))][];
            Array.Copy(dir, grown, _allocated);
            dir = grown;
        }
        for (var i = _allocated; i < needed; i++)
        {
            var chunk = new T[ChunkSize];
            if (_hasFill) Array.Fill(chunk, _fill);
            dir[i] = chunk;
        }
        // Chunks are complete before the directory that names them is published.
        Volatile.Write(ref _chunks, dir);
        _allocated = needed;
    }

    public long AllocatedBytes(int elementSize) => ((long)_allocated << Shift) * elementSize + _chunks.Length * 8L;
}

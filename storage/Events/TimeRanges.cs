namespace Redoubt.Storage.Events;

/// <summary>
/// The event times of one index block as at most <see cref="MaxRanges"/> disjoint ranges (the idea
/// of PostgreSQL's BRIN "minmax-multi"): when a new time would make one range too many, the two
/// ranges with the smallest gap between them merge. A late event — a day-old batch an agent
/// flushed — keeps a range of its own instead of stretching the block's [min, max] over the whole
/// day, so queries for the hours in between skip the block.
/// </summary>
internal sealed class TimeRanges
{
    public const int MaxRanges = 8;
    // Sorted pairs lo0, hi0, lo1, hi1…; one spare pair for the insert before a merge.
    private readonly long[] _bounds = new long[2 * (MaxRanges + 1)];
    private int _count;

    public int Count => _count;

    public void Add(long t)
    {
        // Find the first range whose hi >= t.
        var i = 0;
        while (i < _count && _bounds[2 * i + 1] < t) i++;
        if (i < _count && _bounds[2 * i] <= t) return; // inside
        Array.Copy(_bounds, 2 * i, _bounds, 2 * i + 2, 2 * (_count - i));
        _bounds[2 * i] = t;
        _bounds[2 * i + 1] = t;
        _count++;
        if (_count > MaxRanges) MergeClosest();
    }

    private void MergeClosest()
    {
        var best = 0;
        var bestGap = long.MaxValue;
        for (var i = 0; i + 1 < _count; i++)
        {
            var gap = _bounds[2 * (i + 1)] - _bounds[2 * i + 1];
            if (gap < bestGap) { bestGap = gap; best = i; }
        }
        _bounds[2 * best + 1] = _bounds[2 * best + 3];
        Array.Copy(_bounds, 2 * best + 4, _bounds, 2 * best + 2, 2 * (_count - best - 2));
        _count--;
    }

    public long[] ToArray() => _bounds.AsSpan(0, 2 * _count).ToArray();

    public static TimeRanges FromArray(long[]? bounds)
    {
        var r = new TimeRanges();
        if (bounds is null) return r;
        for (var i = 0; i + 1 < bounds.Length && r._count < MaxRanges; i += 2)
        {
            r._bounds[2 * r._count] = bounds[i];
            r._bounds[2 * r._count + 1] = bounds[i + 1];
            r._count++;
        }
        return r;
    }

    /// <summary>Whether some range meets [from, to) (either bound open when null).</summary>
    public static bool Overlaps(long[] bounds, long? fromMs, long? toMs)
    {
        for (var i = 0; i + 1 < bounds.Length; i += 2)
            if ((fromMs is not { } from || bounds[i + 1] >= from) && (toMs is not { } to || bounds[i] < to)) return true;
        return false;
    }
}

using System.Numerics;

namespace Redoubt.Storage.Events;

/// <summary>
/// A lock-free histogram with four buckets per power of two (values within 25% of each other share a
/// bucket), for batch sizes and latencies since start. Percentiles report a bucket's upper bound.
/// </summary>
public sealed class Histogram
{
    private readonly long[] _buckets = new long[4 + 62 * 4];
    private long _count, _sum, _max;

    public long Count => Interlocked.Read(ref _count);
    public long Max => Interlocked.Read(ref _max);
    public double Mean => Count == 0 ? 0 : (double)Interlocked.Read(ref _sum) / Count;

    public void Record(long value)
    {
        if (value < 0) value = 0;
        Interlocked.Increment(ref _buckets[BucketOf(value)]);
        Interlocked.Increment(ref _count);
        Interlocked.Add(ref _sum, value);
        long max;
        while (value > (max = Interlocked.Read(ref _max)) && Interlocked.CompareExchange(ref _max, value, max) != max) { }
    }

    /// <summary>Smallest bucket bound that at least <paramref name="fraction"/> of the values are below or at.</summary>
    public long Percentile(double fraction)
    {
        var total = Count;
        if (total == 0) return 0;
        var wanted = (long)Math.Ceiling(total * fraction);
        long seen = 0;
        for (var i = 0; i < _buckets.Length; i++)
        {
            seen += Interlocked.Read(ref _buckets[i]);
            if (seen >= wanted) return Math.Min(UpperBound(i), Max);
        }
        return Max;
    }

    private static int BucketOf(long v)
    {
        if (v < 4) return (int)v;
        var e = 63 - BitOperations.LeadingZeroCount((ulong)v); // v in [2^e, 2^(e+1))
        var m = (int)(v >> (e - 2)) & 3;
        return 4 + (e - 2) * 4 + m;
    }

    private static long UpperBound(int bucket)
    {
        if (bucket < 4) return bucket;
        var e = (bucket - 4) / 4 + 2;
        var m = (bucket - 4) % 4;
        return ((4L + m + 1) << (e - 2)) - 1;
    }
}

/// <summary>What group commit did since start: how many events each commit covered and how long writers waited.</summary>
public sealed class CommitMetrics
{
    private long _lastBatchEvents;

    /// <summary>Events per commit.</summary>
    public Histogram BatchEvents { get; } = new();
    /// <summary>Duration of the commit itself (the durable write), microseconds.</summary>
    public Histogram CommitMicros { get; } = new();
    /// <summary>From a write being queued to its acknowledgement (queueing + batching + commit), microseconds.</summary>
    public Histogram AckMicros { get; } = new();
    public long Failures => Interlocked.Read(ref _failures);
    public long LastBatchEvents => Interlocked.Read(ref _lastBatchEvents);
    private long _failures;

    internal void Committed(int events, long commitMicros)
    {
        BatchEvents.Record(events);
        CommitMicros.Record(commitMicros);
        Interlocked.Exchange(ref _lastBatchEvents, events);
    }

    internal void Failed() => Interlocked.Increment(ref _failures);
}

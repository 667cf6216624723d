using System.Collections.Concurrent;
using MessagePack;

namespace Redoubt.Storage.Events;

/// <summary>
/// Counts over a run of events. Each time-index block keeps one (persisted with it), so the store's
/// totals come back at open without a scan, and retention subtracts exactly what it drops.
/// Persisted: keys are part of the index format, append new ones only.
/// </summary>
[MessagePackObject]
public sealed class BlockCounters
{
    [Key(0)] public long ParseErrors { get; set; }
    [Key(1)] public long Truncated { get; set; }
    [Key(2)] public long InvalidUtf8 { get; set; }
    /// <summary>Indexed by the <see cref="Transport"/> byte.</summary>
    [Key(3)] public long[] ByTransport { get; set; } = new long[8];
    [Key(4)] public Dictionary<string, long> BySource { get; set; } = new(StringComparer.Ordinal);

    public void Count(EventRecord e)
    {
        if ((e.Flags & EventFlags.ParseError) != 0) ParseErrors++;
        if ((e.Flags & EventFlags.Truncated) != 0) Truncated++;
        if ((e.Flags & EventFlags.InvalidUtf8) != 0) InvalidUtf8++;
        var t = (int)e.Transport;
        if (t >= ByTransport.Length) ByTransport = [.. ByTransport, .. new long[t + 1 - ByTransport.Length]];
        ByTransport[t]++;
        var source = e.Source ?? "unknown";
        BySource[source] = BySource.GetValueOrDefault(source) + 1;
    }
}

/// <summary>Counters over the events the store holds now: loaded with the time index, kept current by the writer and by retention.</summary>
public sealed class EventStats
{
    private long _events, _parseErrors, _truncated, _invalidUtf8;
    private readonly ConcurrentDictionary<Transport, long> _byTransport = new();
    private readonly ConcurrentDictionary<string, long> _bySource = new(StringComparer.Ordinal);

    public long Events => Interlocked.Read(ref _events);
    public long ParseErrors => Interlocked.Read(ref _parseErrors);
    public long Truncated => Interlocked.Read(ref _truncated);
    public long InvalidUtf8 => Interlocked.Read(ref _invalidUtf8);
    public IReadOnlyDictionary<Transport, long> ByTransport => _byTransport;
    public IReadOnlyDictionary<string, long> BySource => _bySource;

    internal void Count(EventRecord e)
    {
        Interlocked.Increment(ref _events);
        if ((e.Flags & EventFlags.ParseError) != 0) Interlocked.Increment(ref _parseErrors);
        if ((e.Flags & EventFlags.Truncated) != 0) Interlocked.Increment(ref _truncated);
        if ((e.Flags & EventFlags.InvalidUtf8) != 0) Interlocked.Increment(ref _invalidUtf8);
        _byTransport.AddOrUpdate(e.Transport, 1, static (_, v) => v + 1);
        _bySource.AddOrUpdate(e.Source ?? "unknown", 1, static (_, v) => v + 1);
    }

    internal void Add(long events, BlockCounters c, int sign = 1)
    {
        Interlocked.Add(ref _events, sign * events);
        Interlocked.Add(ref _parseErrors, sign * c.ParseErrors);
        Interlocked.Add(ref _truncated, sign * c.Truncated);
        Interlocked.Add(ref _invalidUtf8, sign * c.InvalidUtf8);
        for (var t = 0; t < c.ByTransport.Length; t++)
        {
            if (c.ByTransport[t] == 0) continue;
            var n = sign * c.ByTransport[t];
            var after = _byTransport.AddOrUpdate((Transport)t, n, (_, v) => v + n);
            if (after == 0) _byTransport.TryRemove(new KeyValuePair<Transport, long>((Transport)t, 0));
        }
        foreach (var (source, count) in c.BySource)
        {
            var n = sign * count;
            var after = _bySource.AddOrUpdate(source, n, (_, v) => v + n);
            if (after == 0) _bySource.TryRemove(new KeyValuePair<string, long>(source, 0));
        }
    }

    internal void Subtract(long events, BlockCounters c) => Add(events, c, -1);
}

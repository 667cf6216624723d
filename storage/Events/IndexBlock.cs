using MessagePack;

namespace Redoubt.Storage.Events;

/// <summary>
/// One entry of the sparse time index: a contiguous run of the log (first event's address to the
/// address after the last) with the range of event and received times inside it and its counters.
/// Persisted in time.idx: keys are part of the index format, append new ones only.
/// </summary>
[MessagePackObject]
public sealed class IndexBlock
{
    [Key(0)] public long Start { get; set; }
    [Key(1)] public long End { get; set; }
    [Key(2)] public int Count { get; set; }
    [Key(3)] public long MinTimeMs { get; set; } = long.MaxValue;
    [Key(4)] public long MaxTimeMs { get; set; } = long.MinValue;
    [Key(5)] public long MinReceivedMs { get; set; } = long.MaxValue;
    [Key(6)] public long MaxReceivedMs { get; set; } = long.MinValue;
    [Key(7)] public BlockCounters Counters { get; set; } = new();
    /// <summary>Event times as up to eight disjoint ranges (see <see cref="TimeRanges"/>), pairs lo, hi.</summary>
    [Key(8)] public long[]? Ranges { get => _ranges.ToArray(); set => _ranges = TimeRanges.FromArray(value); }
    /// <summary>
    /// <see cref="ValueSketch"/> of the block's hosts and apps, set when the block closes. Null in blocks
    /// written before sketches existed (those are scanned); an older build reading this file skips the keys.
    /// </summary>
    [Key(9)] public byte[]? Hosts { get; set; }
    [Key(10)] public byte[]? Apps { get; set; }

    private TimeRanges _ranges = new();
    private SketchBuilder? _hosts, _apps;

    internal void Add(long address, long end, EventRecord e)
    {
        if (Count == 0) Start = address;
        End = end;
        Count++;
        MinTimeMs = Math.Min(MinTimeMs, e.TimeMs);
        MaxTimeMs = Math.Max(MaxTimeMs, e.TimeMs);
        _ranges.Add(e.TimeMs);
        MinReceivedMs = Math.Min(MinReceivedMs, e.ReceivedAtMs);
        MaxReceivedMs = Math.Max(MaxReceivedMs, e.ReceivedAtMs);
        Counters.Count(e);
        (_hosts ??= new()).Add(e.Host);
        (_apps ??= new()).Add(e.App);
    }

    /// <summary>The block is closed: its host and app sketches are made (queries use them from now on).</summary>
    internal void Seal()
    {
        Hosts = _hosts?.Seal();
        Apps = _apps?.Seal();
        _hosts = _apps = null;
    }

    [IgnoreMember] public BlockSpan Span => new(Start, End, Count, MinTimeMs, MaxTimeMs, MinReceivedMs, MaxReceivedMs, _ranges.Count > 0 ? _ranges.ToArray() : null)
    {
        Hosts = Hosts,
        Apps = Apps,
    };
}

/// <summary>What a query needs of a block: where it lies in the log and which times it holds.</summary>
public readonly record struct BlockSpan(long Start, long End, int Count, long MinTimeMs, long MaxTimeMs, long MinReceivedMs, long MaxReceivedMs, long[]? TimeRanges)
{
    public long Bytes => End - Start;

    /// <summary>Whether the block may hold an event with <paramref name="fromMs"/> &lt;= time &lt; <paramref name="toMs"/>.</summary>
    public bool MayHoldTime(long? fromMs, long? toMs) =>
        (fromMs is not { } from || MaxTimeMs >= from) && (toMs is not { } to || MinTimeMs < to)
        && (TimeRanges is not { } ranges || Events.TimeRanges.Overlaps(ranges, fromMs, toMs));

    /// <summary>Host sketch (<see cref="ValueSketch"/>); null: unknown, the block may hold any host.</summary>
    internal byte[]? Hosts { get; init; }
    internal byte[]? Apps { get; init; }

    /// <summary>Whether the block may hold the host and app <paramref name="probe"/> looks for (a sketch never misses one it holds).</summary>
    public bool MayHold(SketchProbe probe) =>
        (probe.Host is not { } host || ValueSketch.MayContain(Hosts, host)) && (probe.App is not { } app || ValueSketch.MayContain(Apps, app));
}

using System.Collections.Concurrent;
using System.Net;
using Redoubt.Storage.Events;

namespace Redoubt.Ingest;

/// <summary>Counters of one source: a host as the events name it, or the sender's address when they name none.</summary>
public sealed class SourceCounters(string key)
{
    internal long ReceivedCount, ParsedCount, ParseErrorCount, TruncatedCount, DroppedCount, ByteCount;
    internal long FirstSeen = long.MaxValue, LastSeen;
    private string? _lastAddress, _lastListener;

    public string Key { get; } = key;
    public long Received => Interlocked.Read(ref ReceivedCount);
    public long Parsed => Interlocked.Read(ref ParsedCount);
    public long ParseErrors => Interlocked.Read(ref ParseErrorCount);
    public long Truncated => Interlocked.Read(ref TruncatedCount);
    public long Dropped => Interlocked.Read(ref DroppedCount);
    public long Bytes => Interlocked.Read(ref ByteCount);
    /// <summary>Unix ms of the first and last event seen (the last survives restarts: rebuilt from the log).</summary>
    public long FirstSeenMs => Interlocked.Read(ref FirstSeen);
    public long LastSeenMs => Interlocked.Read(ref LastSeen);
    public string? LastAddress => Volatile.Read(ref _lastAddress);
    public string? LastListener => Volatile.Read(ref _lastListener);

    internal void Seen(long atMs, string? address, string? listener)
    {
        InterlockedMax(ref LastSeen, atMs);
        InterlockedMin(ref FirstSeen, atMs);
        if (address is not null && !ReferenceEquals(address, _lastAddress)) Volatile.Write(ref _lastAddress, address);
        if (listener is not null) Volatile.Write(ref _lastListener, listener);
    }

    private static void InterlockedMax(ref long target, long value)
    {
        var seen = Interlocked.Read(ref target);
        while (value > seen)
        {
            var was = Interlocked.CompareExchange(ref target, value, seen);
            if (was == seen) return;
            seen = was;
        }
    }

    private static void InterlockedMin(ref long target, long value)
    {
        var seen = Interlocked.Read(ref target);
        while (value < seen)
        {
            var was = Interlocked.CompareExchange(ref target, value, seen);
            if (was == seen) return;
            seen = was;
        }
    }
}

/// <summary>A source as shown in stats and metrics, with its quiet flag worked out at read time.</summary>
public sealed record SourceView(SourceCounters Counters, bool Quiet);

/// <summary>
/// Per-source counters (issue 3 item 12) and the quiet-source flag (item 13). A source is the host
/// an event names (syslog HOSTNAME, the agent's host field), else the sender's IP address: what an
/// analyst calls "this device stopped logging", even behind a relay. Bounded: past
/// <see cref="MaxSources"/> new sources are counted together under "(other)". Last-seen times are
/// rebuilt from the event log at open, so a source that went quiet before a restart is still flagged.
/// </summary>
public sealed class SourceTable(int maxSources, TimeSpan quietAfter, TimeSpan forgetAfter, TimeProvider clock)
{
    public const string OtherKey = "(other)";
    private readonly ConcurrentDictionary<string, SourceCounters> _sources = new(StringComparer.OrdinalIgnoreCase);
    private readonly SourceCounters _other = new(OtherKey);
    private long _overflowed;

    public int MaxSources { get; } = maxSources;
    public TimeSpan QuietAfter { get; } = quietAfter;
    /// <summary>Events counted under "(other)" because the table was full.</summary>
    public long Overflowed => Interlocked.Read(ref _overflowed);

    public static string KeyOf(EventRecord e) =>
        e.Host is { Length: > 0 } host ? host : AddressOf(e.Sender) ?? "unknown";

    /// <summary>"10.0.0.1:5140" → "10.0.0.1", "[::1]:5140" → "::1"; other text as it is.</summary>
    public static string? AddressOf(string? sender)
    {
        if (string.IsNullOrEmpty(sender)) return null;
        return IPEndPoint.TryParse(sender, out var ep) ? ep.Address.ToString() : sender;
    }

    internal void Count(EventRecord e, long bytes, string listener)
    {
        var s = For(KeyOf(e));
        Interlocked.Increment(ref s.ReceivedCount);
        if ((e.Flags & EventFlags.ParseError) != 0) Interlocked.Increment(ref s.ParseErrorCount);
        else Interlocked.Increment(ref s.ParsedCount);
        if ((e.Flags & EventFlags.Truncated) != 0) Interlocked.Increment(ref s.TruncatedCount);
        Interlocked.Add(ref s.ByteCount, bytes);
        s.Seen(e.ReceivedAtMs, e.Sender, listener);
    }

    internal void CountRejected(string? senderAddress, long bytes, long nowMs, string listener)
    {
        var s = For(AddressOf(senderAddress) ?? "unknown");
        Interlocked.Increment(ref s.ReceivedCount);
        Interlocked.Increment(ref s.ParseErrorCount);
        Interlocked.Add(ref s.ByteCount, bytes);
        s.Seen(nowMs, senderAddress, listener);
    }

    internal void CountDropped(EventRecord e) => Interlocked.Increment(ref For(KeyOf(e)).DroppedCount);

    /// <summary>An event found in the log at open: only its time counts (counters start at zero each run).</summary>
    public void Restore(EventRecord e)
    {
        if (clock.GetUtcNow().ToUnixTimeMilliseconds() - e.ReceivedAtMs > forgetAfter.TotalMilliseconds) return;
        For(KeyOf(e)).Seen(e.ReceivedAtMs, e.Sender, e.Source);
    }

    /// <summary>A source as the log remembers it (<see cref="SourceHistory"/>), at open: its first and last times, last sender and listener.</summary>
    public void Restore(SourceMark mark)
    {
        if (clock.GetUtcNow().ToUnixTimeMilliseconds() - mark.LastMs > forgetAfter.TotalMilliseconds) return;
        var s = For(mark.Key);
        s.Seen(mark.FirstMs, null, null);
        s.Seen(mark.LastMs, mark.Address, mark.Listener);
    }

    private SourceCounters For(string key)
    {
        if (_sources.TryGetValue(key, out var s)) return s;
        if (_sources.Count >= MaxSources)
        {
            Interlocked.Increment(ref _overflowed);
            return _other;
        }
        return _sources.GetOrAdd(key, static k => new SourceCounters(k));
    }

    public bool IsQuiet(SourceCounters s, long nowMs) => s.LastSeenMs > 0 && nowMs - s.LastSeenMs > QuietAfter.TotalMilliseconds;

    /// <summary>Every source (and "(other)" once used), most recently seen first; forgets sources past the horizon.</summary>
    public IReadOnlyList<SourceView> Snapshot()
    {
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        var list = new List<SourceView>(_sources.Count + 1);
        foreach (var (key, s) in _sources)
        {
            if (now - s.LastSeenMs > forgetAfter.TotalMilliseconds) { _sources.TryRemove(key, out _); continue; }
            list.Add(new SourceView(s, IsQuiet(s, now)));
        }
        if (_other.Received > 0 || _other.Dropped > 0) list.Add(new SourceView(_other, false));
        list.Sort((a, b) => b.Counters.LastSeenMs.CompareTo(a.Counters.LastSeenMs));
        return list;
    }
}

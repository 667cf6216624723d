using System.Collections.Concurrent;

namespace Redoubt.Storage.Events;

/// <summary>Counters over the stored events, rebuilt by the scan at open and kept current by the writer.</summary>
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
}

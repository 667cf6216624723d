using Redoubt.Storage.Events;

namespace Redoubt.Ingest;

/// <summary>What the log says about one source: first and last received time, the last sender address and listener.</summary>
public sealed record SourceMark(string Key, long FirstMs, long LastMs, string? Address, string? Listener);

/// <summary>
/// The part of <see cref="SourceTable"/> that survives a restart, folded from the committed events in
/// log order: per source (<see cref="SourceTable.KeyOf"/>), the first and last received time, the last
/// sender address and listener the events name. The event log feeds it on its appender (and at open)
/// and checkpoints it (<see cref="IngestState"/>), so an open reads the checkpoint and the events after
/// it instead of every recent event; at open it fills the table. The table itself also counts what is
/// never stored (rejected lines, events not yet committed), so it cannot be the checkpoint.
/// Bounded like the table: past <c>maxSources</c> new sources are not tracked; sources quiet for
/// longer than <c>forgetAfter</c> are dropped when captured. One thread at a time (the appender).
/// </summary>
public sealed class SourceHistory(int maxSources, TimeSpan forgetAfter, TimeProvider clock)
{
    private sealed class Mark(long atMs)
    {
        public long First = atMs, Last = atMs;
        public string? Address, Listener;
    }

    private readonly Dictionary<string, Mark> _marks = new(StringComparer.OrdinalIgnoreCase);
    // Events without a host are keyed by their sender's address: parse each sender string once.
    private string? _lastSender;
    private string _lastSenderKey = "unknown";

    public int Count => _marks.Count;

    /// <summary>One committed event, in log order (as <see cref="SourceTable.Restore(EventRecord)"/> sees it).</summary>
    public void Observe(EventRecord e)
    {
        var key = e.Host is { Length: > 0 } host ? host : SenderKey(e.Sender);
        if (!_marks.TryGetValue(key, out var m))
        {
            if (_marks.Count >= maxSources) return;
            _marks[key] = m = new Mark(e.ReceivedAtMs);
        }
        if (e.ReceivedAtMs > m.Last) m.Last = e.ReceivedAtMs;
        if (e.ReceivedAtMs < m.First) m.First = e.ReceivedAtMs;
        if (e.Sender is not null) m.Address = e.Sender;
        if (e.Source is not null) m.Listener = e.Source;
    }

    private string SenderKey(string? sender)
    {
        if (sender is null) return "unknown";
        if (!string.Equals(sender, _lastSender, StringComparison.Ordinal))
        {
            _lastSenderKey = SourceTable.AddressOf(sender) ?? "unknown";
            _lastSender = sender;
        }
        return _lastSenderKey;
    }

    /// <summary>Every source still remembered, after dropping those quiet for longer than the horizon.</summary>
    public SourceMark[] Capture()
    {
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        var horizon = (long)forgetAfter.TotalMilliseconds;
        var list = new List<SourceMark>(_marks.Count);
        List<string>? forgotten = null;
        foreach (var (key, m) in _marks)
        {
            if (now - m.Last > horizon) { (forgotten ??= []).Add(key); continue; }
            list.Add(new SourceMark(key, m.First, m.Last, m.Address, m.Listener));
        }
        if (forgotten is not null) foreach (var key in forgotten) _marks.Remove(key);
        return [.. list];
    }

    /// <summary>At open: the sources of a checkpoint (before the events after it are observed).</summary>
    public void Load(IEnumerable<SourceMark> marks)
    {
        foreach (var s in marks)
        {
            if (_marks.Count >= maxSources) break;
            _marks[s.Key] = new Mark(s.FirstMs) { Last = s.LastMs, Address = s.Address, Listener = s.Listener };
        }
    }

    public void Clear() => _marks.Clear();
}

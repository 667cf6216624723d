using System.Collections.Concurrent;
using System.Globalization;
using Redoubt.Storage.State;

namespace Redoubt.Api.Access;

/// <summary>
/// Who did what, when, from where (collection "audit", key = 20-digit sequence number). Entries are
/// appended, never changed; each is durable before <see cref="RecordAsync"/> completes. Secrets never
/// go in: tokens are named by id, passwords and setup codes not at all.
/// </summary>
public sealed class AuditLog
{
    private const string Collection = "audit";
    private static readonly TimeSpan RepeatWindow = TimeSpan.FromHours(1);
    private readonly StateStore _store;
    private readonly TimeProvider _clock;
    private readonly SemaphoreSlim _append = new(1, 1);
    private readonly ConcurrentDictionary<string, long> _lastOnce = new(StringComparer.Ordinal);
    private long _seq;

    public AuditLog(StateStore store, TimeProvider clock)
    {
        _store = store;
        _clock = clock;
        foreach (var (key, _) in store.List<AuditEntry>(Collection))
            if (long.TryParse(key, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > _seq) _seq = n;
    }

    public async Task<AuditEntry> RecordAsync(string actor, string action, string outcome = "ok", string? target = null, string? address = null, string? detail = null, CancellationToken ct = default)
    {
        await _append.WaitAsync(ct);
        try
        {
            var entry = new AuditEntry
            {
                Seq = _seq + 1,
                TimeMs = _clock.GetUtcNow().ToUnixTimeMilliseconds(),
                Actor = actor,
                Action = action,
                Outcome = outcome,
                Target = target,
                Address = address,
                Detail = detail,
            };
            await _store.PutAsync(Collection, entry.Seq.ToString("D20", CultureInfo.InvariantCulture), entry, ct);
            _seq = entry.Seq;
            return entry;
        }
        finally { _append.Release(); }
    }

    /// <summary>
    /// Records an entry unless one with the same <paramref name="onceKey"/> was recorded within the
    /// last hour: token use and token rejections are audited per token and address, not per request.
    /// </summary>
    public Task RecordOncePerHourAsync(string onceKey, string actor, string action, string outcome, string? target, string? address, string? detail)
    {
        var now = _clock.GetUtcNow().ToUnixTimeMilliseconds();
        var last = _lastOnce.GetValueOrDefault(onceKey, long.MinValue);
        if (last != long.MinValue && now - last < RepeatWindow.TotalMilliseconds) return Task.CompletedTask;
        if (!_lastOnce.TryUpdate(onceKey, now, last) && !_lastOnce.TryAdd(onceKey, now)) return Task.CompletedTask; // another request won
        if (_lastOnce.Count > 100_000) Forget(now);
        return RecordAsync(actor, action, outcome, target, address, detail);
    }

    private void Forget(long now)
    {
        foreach (var (key, at) in _lastOnce)
            if (now - at >= RepeatWindow.TotalMilliseconds) _lastOnce.TryRemove(key, out _);
    }

    /// <summary>Newest first, entries before <paramref name="beforeSeq"/>, filtered.</summary>
    public IReadOnlyList<AuditEntry> Query(AuditQuery q)
    {
        IEnumerable<AuditEntry> all = _store.List<AuditEntry>(Collection).Select(kv => kv.Value).OrderByDescending(e => e.Seq);
        if (q.BeforeSeq is { } b) all = all.Where(e => e.Seq < b);
        if (q.FromMs is { } f) all = all.Where(e => e.TimeMs >= f);
        if (q.ToMs is { } t) all = all.Where(e => e.TimeMs < t);
        if (q.Action is { } a) all = all.Where(e => e.Action.StartsWith(a, StringComparison.Ordinal));
        if (q.Actor is { } who) all = all.Where(e => e.Actor == who);
        return all.Take(q.Limit).ToList();
    }

    /// <summary>Removes entries older than <paramref name="before"/> (the retention policy); returns how many.</summary>
    public async Task<int> DeleteOlderThanAsync(DateTimeOffset before, CancellationToken ct = default)
    {
        var cutoff = before.ToUnixTimeMilliseconds();
        var n = 0;
        foreach (var (key, e) in _store.List<AuditEntry>(Collection))
        {
            if (e.TimeMs >= cutoff) break; // keys are sequence numbers: oldest first, and time only grows
            if (await _store.DeleteAsync(Collection, key, ct)) n++;
        }
        return n;
    }

    /// <summary>Everything, oldest first (the export).</summary>
    public IEnumerable<AuditEntry> All() => _store.List<AuditEntry>(Collection).Select(kv => kv.Value).OrderBy(e => e.Seq);
}

public sealed record AuditQuery(long? FromMs = null, long? ToMs = null, string? Action = null, string? Actor = null, long? BeforeSeq = null, int Limit = 100);

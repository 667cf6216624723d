using Redoubt.Storage.Events;

namespace Redoubt.Ingest.Http;

/// <summary>A batch that was stored under an idempotency key: enough to give a retry the same answer.</summary>
public sealed record KnownBatch(string Key, byte[] BodySha256, long[] Ids, long StoredAtMs);

public enum KeyState { New, InFlight, Known }

/// <summary>What <see cref="IdempotencyKeys.Capture"/> takes: the remembered batches, oldest first, and a batch still coming in.</summary>
public sealed record KeysSnapshot(KnownBatch[] Known, KnownBatch? Pending, int PendingCount);

/// <summary>
/// Idempotency keys of NDJSON batches (the <c>Idempotency-Key</c> header). The key travels in the
/// events themselves (<see cref="EventRecord.Batch"/>), written in the same durable append as the
/// batch, so "stored" and "remembered" can never disagree, not even across kill -9; this index is
/// rebuilt from the log's scan at open and kept current by the commit hook. A batch whose events
/// are not all in the log (torn) is not remembered, so its retry is stored again rather than answered
/// with ids that do not exist. Bounded: keys live for a set time, and the oldest go first when there
/// are too many keys or ids.
/// </summary>
public sealed class IdempotencyKeys(TimeSpan lifetime, int maxKeys, int maxIds, TimeProvider clock)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, LinkedListNode<KnownBatch>> _known = new(StringComparer.Ordinal);
    private readonly LinkedList<KnownBatch> _oldestFirst = new();
    private readonly HashSet<string> _inFlight = new(StringComparer.Ordinal);
    private long _ids;
    // Only the log's single writer (or its scan at open) calls Observe: no lock needed for this.
    private Pending? _pending;

    public const int MaxKeyLength = 255;

    public int Count { get { lock (_gate) return _known.Count; } }

    /// <summary>A key must be 1..255 visible ASCII characters (a quoted structured-field string is unquoted first).</summary>
    public static string? Normalize(string? header)
    {
        if (header is null) return null;
        var key = header.Trim();
        if (key.Length >= 2 && key[0] == '"' && key[^1] == '"') key = key[1..^1];
        if (key.Length is 0 or > MaxKeyLength) return null;
        foreach (var c in key)
            if (c is < '!' or > '~') return null;
        return key;
    }

    /// <summary>Sees every committed event (and every event found at open), in log order.</summary>
    public void Observe(long id, EventRecord e)
    {
        if (e.Batch is not { } mark)
        {
            _pending = null;
            return;
        }
        if (mark.BodySha256 is { } sha) _pending = new Pending(mark.Key, sha, mark.Count, e.ReceivedAtMs);
        if (_pending is null || !string.Equals(_pending.Key, mark.Key, StringComparison.Ordinal))
        {
            _pending = null; // the rest of a batch whose start is gone
            return;
        }
        _pending.Ids.Add(id);
        if (_pending.Ids.Count < _pending.Count) return;
        var done = new KnownBatch(_pending.Key, _pending.Sha, _pending.Ids.ToArray(), _pending.AtMs);
        _pending = null;
        if (Expired(done, clock.GetUtcNow().ToUnixTimeMilliseconds())) return;
        lock (_gate) Remember(done);
    }

    /// <summary>Starts a request with this key: new (now in flight until <see cref="End"/>), in flight elsewhere, or already stored.</summary>
    public KeyState Begin(string key, out KnownBatch? known)
    {
        lock (_gate)
        {
            Prune(clock.GetUtcNow().ToUnixTimeMilliseconds());
            known = _known.TryGetValue(key, out var node) ? node.Value : null;
            if (known is not null) return KeyState.Known;
            return _inFlight.Add(key) ? KeyState.New : KeyState.InFlight;
        }
    }

    public void End(string key)
    {
        lock (_gate) _inFlight.Remove(key);
    }

    private void Remember(KnownBatch batch)
    {
        if (_known.Remove(batch.Key, out var old))
        {
            _oldestFirst.Remove(old);
            _ids -= old.Value.Ids.Length;
        }
        _known[batch.Key] = _oldestFirst.AddLast(batch);
        _ids += batch.Ids.Length;
        while (_oldestFirst.First is { } first && (_known.Count > maxKeys || _ids > maxIds)) Forget(first);
    }

    private void Prune(long nowMs)
    {
        while (_oldestFirst.First is { } first && Expired(first.Value, nowMs)) Forget(first);
    }

    private void Forget(LinkedListNode<KnownBatch> node)
    {
        _oldestFirst.Remove(node);
        _known.Remove(node.Value.Key);
        _ids -= node.Value.Ids.Length;
    }

    /// <summary>
    /// The log's appender, between commits (or the open): the remembered batches, oldest first, and a
    /// batch whose first events are committed but not yet all of them (<see cref="KeysSnapshot.Pending"/>,
    /// holding the ids so far, and how many it will have).
    /// </summary>
    public KeysSnapshot Capture()
    {
        var pending = _pending is { } p ? new KnownBatch(p.Key, p.Sha, [.. p.Ids], p.AtMs) : null;
        lock (_gate) return new KeysSnapshot([.. _oldestFirst], pending, _pending?.Count ?? 0);
    }

    /// <summary>At open, before the events after the checkpoint are observed: takes back a <see cref="Capture"/>; expired keys stay forgotten.</summary>
    public void Load(KeysSnapshot saved)
    {
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        lock (_gate)
            foreach (var batch in saved.Known)
                if (!Expired(batch, now)) Remember(batch);
        if (saved.Pending is { } p && saved.PendingCount > p.Ids.Length)
        {
            _pending = new Pending(p.Key, p.BodySha256, saved.PendingCount, p.StoredAtMs);
            _pending.Ids.AddRange(p.Ids);
        }
    }

    /// <summary>Forgets every key (a checkpoint that could not be loaded whole).</summary>
    public void Clear()
    {
        _pending = null;
        lock (_gate)
        {
            _known.Clear();
            _oldestFirst.Clear();
            _ids = 0;
        }
    }

    private bool Expired(KnownBatch batch, long nowMs) => nowMs - batch.StoredAtMs > lifetime.TotalMilliseconds;

    private sealed class Pending(string key, byte[] sha, int count, long atMs)
    {
        public string Key { get; } = key;
        public byte[] Sha { get; } = sha;
        public int Count { get; } = count;
        public long AtMs { get; } = atMs;
        public List<long> Ids { get; } = new(Math.Min(count, 4096));
    }
}

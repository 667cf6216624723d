using System.Text;
using MessagePack;
using Redoubt.Detection.Correlation;
using Redoubt.Storage.Checkpoints;
using Redoubt.Storage.State;

namespace Redoubt.Detection.Alerts;

public sealed class AlertOptions
{
    /// <summary>The same rule on the same entities within this long (event time) updates one alert instead of opening another.</summary>
    public int DedupWindowSeconds { get; set; } = 3600;
    /// <summary>Event ids kept per alert (the first half, then the most recent).</summary>
    public int MaxEvidence { get; set; } = 100;
    /// <summary>Triage changes kept per alert (oldest dropped first).</summary>
    public int MaxHistory { get; set; } = 500;
    /// <summary>Alert changes buffered before they are written (also written when detection is idle and at each checkpoint).</summary>
    public int FlushAfter { get; set; } = 512;
}

/// <summary>
/// Durable alerts, derived from the durable event log. Detection hits create or update alerts in
/// memory (dedup by rule and entities within a window); changed alerts are written to the state
/// store in batches, and a checkpoint writes — after every alert change before it is durable — the
/// correlation state and the cursor: the event-log address everything before which is in the alerts.
/// On start detection resumes from the cursor; each alert remembers the address after the last event
/// applied to it, so an event replayed after a kill -9 changes no alert twice, and none is lost.
/// Triage and graph enrichment change alerts through the same lock, written through at once.
/// </summary>
public sealed class AlertStore : ICheckpointedStore
{
    public const string Collection = "alerts", CursorCollection = "detection", CursorKey = "cursor", SnapshotCollection = "detection-snapshot";
    private const int SnapshotChunkBytes = 192 * 1024;

    private readonly StateStore _state;
    private readonly AlertOptions _options;
    private readonly ILogger _logger;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Alert> _alerts = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _open = new(StringComparer.Ordinal); // dedup key → alert id
    private readonly HashSet<string> _dirty = new(StringComparer.Ordinal);
    private readonly List<Task> _pending = [];
    private long _appliedUntil, _checkpointedUntil, _snapshotGeneration;
    private int _snapshotChunks;
    private long _created, _updated, _skipped;

    /// <summary>Called (outside the lock) with an alert id when an alert is created, or changes its entities, so enrichment can follow.</summary>
    public event Action<string>? Changed;
    /// <summary>Takes the correlation state at a checkpoint (set by the detection sink); restored with <see cref="RestoreCorrelation"/>.</summary>
    public Func<CorrelationSnapshot>? SnapshotCorrelation { get; set; }
    /// <summary>Whether correlation state changed since the last checkpoint.</summary>
    public Func<bool>? CorrelationChanged { get; set; }

    public long ResumeFrom { get; }
    public long AppliedUntil => Interlocked.Read(ref _appliedUntil);
    public long CheckpointedUntil => Interlocked.Read(ref _checkpointedUntil);
    public long Created => Interlocked.Read(ref _created);
    public long Updated => Interlocked.Read(ref _updated);
    /// <summary>Hits of events an alert already held (replayed after a restart), not applied again.</summary>
    public long SkippedReplays => Interlocked.Read(ref _skipped);
    public AlertOptions Options => _options;
    public int Count { get { lock (_lock) return _alerts.Count; } }

    public AlertStore(StateStore state, AlertOptions options, long freshStart, long logBegin, ILogger logger)
    {
        _state = state;
        _options = options;
        _logger = logger;
        foreach (var (id, alert) in state.List<Alert>(Collection))
        {
            _alerts[id] = alert;
            if (alert.State != AlertStates.Closed && (!_open.TryGetValue(alert.DedupKey, out var other) || _alerts[other].LastSeenMs < alert.LastSeenMs))
                _open[alert.DedupKey] = id;
        }
        var resumed = state.TryGet<DetectionCursor>(CursorCollection, CursorKey, out var cursor);
        if (resumed)
        {
            ResumeFrom = cursor!.AppliedUntil;
            _snapshotGeneration = cursor.SnapshotGeneration;
            _snapshotChunks = cursor.SnapshotChunks;
        }
        else
        {
            // The first start: from here on everything is covered. Written now, so a kill before the first
            // checkpoint resumes here rather than at the end of a log that grew meanwhile.
            ResumeFrom = freshStart;
            state.PutAsync(CursorCollection, CursorKey, new DetectionCursor { AppliedUntil = freshStart, WrittenAtMs = Now() }).AsTask().GetAwaiter().GetResult();
        }
        _appliedUntil = _checkpointedUntil = ResumeFrom;
        // ResumeFrom is a log address (a byte offset), not an event number: an empty log already begins at 64.
        if (ResumeFrom <= logBegin)
            logger.LogInformation("alerts: {Count} stored; detection {Verb} from the start of the event log", _alerts.Count, resumed ? "resumes" : "starts");
        else if (resumed)
            logger.LogInformation("alerts: {Count} stored; detection resumes where it stopped, at log address {Resume}", _alerts.Count, ResumeFrom);
        else
            logger.LogInformation("alerts: {Count} stored; first start: detection covers events stored from now on (log address {Resume}; Detection:ReplayOnStart evaluates the stored ones)",
                _alerts.Count, ResumeFrom);
    }

    /// <summary>The correlation state saved with the cursor, or null.</summary>
    public CorrelationSnapshot? RestoreCorrelation()
    {
        if (_snapshotChunks == 0) return null;
        using var buffer = new MemoryStream();
        for (var i = 0; i < _snapshotChunks; i++)
        {
            if (!_state.TryGet<byte[]>(SnapshotCollection, ChunkKey(_snapshotGeneration, i), out var chunk))
                throw new StoreRecoveryException($"detection checkpoint: correlation snapshot chunk {i} of generation {_snapshotGeneration} is missing");
            buffer.Write(chunk);
        }
        return MessagePackSerializer.Deserialize<CorrelationSnapshot>(buffer.ToArray(), MessagePackSerializerOptions.Standard.WithSecurity(MessagePackSecurity.UntrustedData));
    }

    private static string ChunkKey(long generation, int i) => $"{generation:D12}/{i:D6}";
    private static long Now() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    // ------------------------------------------------------------ hits (detection task)

    /// <summary>Folds a hit into its alert (new or deduplicated). <paramref name="nextAddress"/> is the event-log address after the event being applied.</summary>
    public void Apply(DetectionHit hit, long nextAddress)
    {
        string? changed = null;
        lock (_lock)
        {
            var key = DedupKey(hit);
            Alert? alert = null;
            var window = _options.DedupWindowSeconds * 1000L;
            if (_open.TryGetValue(key, out var openId) && _alerts.TryGetValue(openId, out var open) && open.State != AlertStates.Closed
                && hit.EventTimeMs - open.LastSeenMs <= window && open.FirstSeenMs - hit.EventTimeMs <= window)
                alert = open;
            if (alert is null)
            {
                var id = AlertId(hit, key);
                if (_alerts.TryGetValue(id, out var existing)) alert = existing; // created before a restart
                else
                {
                    alert = New(id, key, hit);
                    _alerts[id] = alert;
                    _open[key] = id;
                    Interlocked.Increment(ref _created);
                    changed = id;
                }
            }
            if (nextAddress <= alert.AppliedUntil) { Interlocked.Increment(ref _skipped); return; }
            Fold(alert, hit, nextAddress);
            if (changed is null)
            {
                Interlocked.Increment(ref _updated);
                // The graph moves on: enrich again when the context is a minute old.
                if (alert.Context is null || Now() - alert.Context.ComputedAtMs > 60_000) changed = alert.Id;
            }
            _dirty.Add(alert.Id);
            if (_dirty.Count >= _options.FlushAfter) FlushLocked();
        }
        if (changed is not null) Changed?.Invoke(changed);
    }

    private Alert New(string id, string key, DetectionHit hit)
    {
        var now = Now();
        var alert = new Alert
        {
            Id = id, Kind = hit.Kind.ToString().ToLowerInvariant(), RuleId = hit.RuleId, RuleTitle = hit.RuleTitle,
            Level = hit.Level, Severity = AlertStates.Severity(hit.Level), Author = hit.Author,
            References = [.. hit.References], Tags = [.. hit.Tags],
            LicenceName = hit.Licence?.Name, LicenceNotice = hit.Licence?.Notice, LicenceLink = hit.Licence?.Link, RuleLicenseField = hit.RuleLicenseField,
            Entities = new Dictionary<string, string>(hit.Entities),
            FirstSeenMs = hit.EventTimeMs, LastSeenMs = hit.EventTimeMs, CreatedAtMs = now, UpdatedAtMs = now,
            DedupKey = key, LogSource = hit.LogSource,
            Matched = hit.Matched.Select(m => new MatchedRecord { Field = m.Field, Value = m.Value }).ToList(),
            Ioc = hit.Ioc is { } i ? new IocRecord { List = i.List, Type = i.Type, Indicator = i.Indicator, Ref = i.Ref, Source = i.Source, Field = i.Field, Observed = i.Observed, ExpiresMs = i.ExpiresMs } : null,
        };
        foreach (var tag in hit.Tags)
        {
            if (!tag.StartsWith("attack.", StringComparison.OrdinalIgnoreCase)) continue;
            var rest = tag[7..];
            if (rest.Length > 1 && (rest[0] is 't' or 'T') && char.IsAsciiDigit(rest[1])) alert.Techniques.Add(rest.ToUpperInvariant());
            else if (!(rest.Length > 1 && (rest[0] is 'g' or 's' or 'G' or 'S') && char.IsAsciiDigit(rest[1]))) alert.Tactics.Add(rest.ToLowerInvariant());
        }
        alert.History.Add(new TriageEntry { AtMs = now, Who = "detection", Field = "state", To = AlertStates.New });
        return alert;
    }

    private void Fold(Alert alert, DetectionHit hit, long nextAddress)
    {
        alert.Count++;
        alert.AppliedUntil = nextAddress;
        alert.FirstSeenMs = Math.Min(alert.FirstSeenMs, hit.EventTimeMs);
        alert.LastSeenMs = Math.Max(alert.LastSeenMs, hit.EventTimeMs);
        alert.UpdatedAtMs = Now();
        if (hit.CorrelationCount is { } c) alert.CorrelationCount = c;
        foreach (var id in hit.Evidence)
        {
            alert.EvidenceTotal++;
            if (alert.Evidence.Contains(id)) continue;
            if (alert.Evidence.Count >= _options.MaxEvidence) alert.Evidence.RemoveAt(_options.MaxEvidence / 2); // keep the first half and the latest
            alert.Evidence.Add(id);
        }
    }

    /// <summary>Rule plus entity values, sorted by entity name (IOC hits: the indicator and the host).</summary>
    public static string DedupKey(DetectionHit hit)
    {
        var b = new StringBuilder(hit.RuleId);
        foreach (var (k, v) in hit.Entities.OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            // An indicator is one alert per host, whoever the events name besides.
            if (hit.Kind == HitKind.Ioc && k is not ("indicator" or "host")) continue;
            b.Append('\u001f').Append(k).Append('=').Append(v);
        }
        return b.ToString();
    }

    /// <summary>Deterministic (event and key), so a replay finds the alert it created before a crash.</summary>
    private static string AlertId(DetectionHit hit, string key)
    {
        var hash = 2166136261u;
        foreach (var c in key) { hash ^= c; hash *= 16777619u; }
        return $"{hit.EventId:x}-{hash:x8}";
    }

    private void FlushLocked()
    {
        foreach (var id in _dirty)
            _pending.Add(_state.PutAsync(Collection, id, _alerts[id]).AsTask());
        _dirty.Clear();
        _pending.RemoveAll(t => t.IsCompletedSuccessfully);
    }

    // ------------------------------------------------------------ ICheckpointedStore (detection task)

    public void MarkApplied(long nextAddress) => Interlocked.Exchange(ref _appliedUntil, nextAddress);

    public void Idle()
    {
        lock (_lock) if (_dirty.Count > 0) FlushLocked();
    }

    public async Task CheckpointAsync()
    {
        var until = AppliedUntil;
        Task[] pending;
        lock (_lock)
        {
            FlushLocked();
            pending = _pending.ToArray();
            _pending.Clear();
        }
        // Every alert change before `until` must be durable before the cursor says so.
        try { await Task.WhenAll(pending).ConfigureAwait(false); }
        catch
        {
            lock (_lock) foreach (var id in _alerts.Keys) _dirty.Add(id); // written again at the next try
            throw;
        }
        var generation = _snapshotGeneration;
        var chunks = _snapshotChunks;
        if (SnapshotCorrelation is { } snapshot && (CorrelationChanged?.Invoke() ?? true))
        {
            var bytes = MessagePackSerializer.Serialize(snapshot());
            generation = _snapshotGeneration + 1;
            chunks = (bytes.Length + SnapshotChunkBytes - 1) / SnapshotChunkBytes;
            var writes = new List<Task>();
            for (var i = 0; i < chunks; i++)
                writes.Add(_state.PutAsync(SnapshotCollection, ChunkKey(generation, i), bytes.AsSpan(i * SnapshotChunkBytes, Math.Min(SnapshotChunkBytes, bytes.Length - i * SnapshotChunkBytes)).ToArray()).AsTask());
            await Task.WhenAll(writes).ConfigureAwait(false);
        }
        await _state.PutAsync(CursorCollection, CursorKey, new DetectionCursor
        {
            AppliedUntil = until, SnapshotGeneration = generation, SnapshotChunks = chunks, WrittenAtMs = Now(),
        }).ConfigureAwait(false);
        if (generation != _snapshotGeneration)
            for (var i = 0; i < _snapshotChunks; i++) await _state.DeleteAsync(SnapshotCollection, ChunkKey(_snapshotGeneration, i)).ConfigureAwait(false);
        _snapshotGeneration = generation;
        _snapshotChunks = chunks;
        Interlocked.Exchange(ref _checkpointedUntil, until);
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    // ------------------------------------------------------------ reads and changes (API, enrichment)

    public Alert? Get(string id)
    {
        lock (_lock) return _alerts.TryGetValue(id, out var a) ? a.Clone() : null;
    }

    /// <summary>Alerts passing <paramref name="filter"/>, read under the lock (the filter must be quick).</summary>
    public List<Alert> Query(Func<Alert, bool> filter)
    {
        lock (_lock) return _alerts.Values.Where(filter).Select(a => a.Clone()).ToList();
    }

    /// <summary>
    /// As <see cref="Query"/>, and the time of the read under the same lock: every change stamped before
    /// <paramref name="readAtMs"/> is in the result, and every later change is stamped at or after it
    /// (changes take their time under this lock), which makes (updatedAt, id) a safe resume point.
    /// </summary>
    public List<Alert> Query(Func<Alert, bool> filter, out long readAtMs)
    {
        lock (_lock)
        {
            readAtMs = Now();
            return _alerts.Values.Where(filter).Select(a => a.Clone()).ToList();
        }
    }

    public List<string> Ids()
    {
        lock (_lock) return [.. _alerts.Keys];
    }

    /// <summary>Applies a change to one alert and writes it through; completes once durable. Null when no such alert.</summary>
    public async Task<Alert?> ChangeAsync(string id, Func<Alert, bool> change)
    {
        Task write;
        Alert copy;
        lock (_lock)
        {
            if (!_alerts.TryGetValue(id, out var alert)) return null;
            if (!change(alert)) return alert.Clone();
            alert.UpdatedAtMs = Now();
            if (alert.State == AlertStates.Closed && _open.TryGetValue(alert.DedupKey, out var openId) && openId == id) _open.Remove(alert.DedupKey);
            else if (alert.State != AlertStates.Closed && !_open.ContainsKey(alert.DedupKey)) _open[alert.DedupKey] = id;
            _dirty.Remove(id);
            write = _state.PutAsync(Collection, id, alert).AsTask();
            copy = alert.Clone();
        }
        await write.ConfigureAwait(false);
        return copy;
    }

    public int Trim(List<TriageEntry> history)
    {
        var over = history.Count - _options.MaxHistory;
        if (over > 0) history.RemoveRange(0, over);
        return Math.Max(0, over);
    }
}

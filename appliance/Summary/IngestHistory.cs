using MessagePack;
using Redoubt.Commit;
using Redoubt.Storage.Checkpoints;
using Redoubt.Storage.Events;
using Redoubt.Storage.State;

namespace Redoubt.Summary;

/// <summary>One source in one UTC hour of arrival time: how much came, how much did not parse, and which minutes had anything.</summary>
[MessagePackObject]
public sealed class SourceHour
{
    [Key(0)] public long Events { get; set; }
    [Key(1)] public long ParseErrors { get; set; }
    [Key(2)] public long Truncated { get; set; }
    /// <summary>Bit m set: at least one event arrived in minute m of the hour.</summary>
    [Key(3)] public ulong Minutes { get; set; }
}

/// <summary>All sources of one UTC hour (state store collection "ingest-history", key yyyyMMddHH).</summary>
[MessagePackObject]
public sealed class IngestHour
{
    [Key(0)] public long HourStartMs { get; set; }
    /// <summary>Event-log address after the last event counted here: a replay after a crash skips what is already in.</summary>
    [Key(1)] public long AppliedUntil { get; set; }
    [Key(2)] public Dictionary<string, SourceHour> Sources { get; set; } = new(StringComparer.Ordinal);
}

[MessagePackObject]
public sealed class IngestHistoryCursor
{
    [Key(0)] public long AppliedUntil { get; set; }
}

/// <summary>
/// Per-source ingestion history by arrival hour, derived from the event log after commit, so summaries
/// of any past window (also one computed late, after the appliance was down) can say how much each
/// source sent, what did not parse, and where it fell silent. A source is the host an event names, else
/// its sender's address (as the ingest counters name it). Hours live in the state store; the ones being
/// filled are written at each checkpoint with the cursor after them, and each hour remembers the address
/// after its last event, so an event replayed after a kill -9 is never counted twice.
/// </summary>
public sealed class IngestHistory : ICheckpointedStore
{
    public const string Collection = "ingest-history", CursorCollection = "summary-cursor", CursorKey = "ingest-history";
    public const string OtherSource = "(other)";
    private const long HourMs = 3_600_000;

    private readonly StateStore _state;
    private readonly int _maxSourcesPerHour;
    private readonly long _keepMs;
    private readonly Lock _lock = new();
    private readonly Dictionary<long, IngestHour> _open = [];
    private readonly HashSet<long> _dirty = [];
    private long _appliedUntil, _checkpointedUntil, _lastForgetMs;

    public long ResumeFrom { get; }
    public long AppliedUntil => Interlocked.Read(ref _appliedUntil);
    public long CheckpointedUntil => Interlocked.Read(ref _checkpointedUntil);

    public IngestHistory(StateStore state, int historyDays, int maxSourcesPerHour = 2_000)
    {
        _state = state;
        _maxSourcesPerHour = maxSourcesPerHour;
        _keepMs = Math.Max(1, historyDays) * 24 * HourMs;
        // Fresh: count what the log already holds (an upgrade fills the history from stored events).
        ResumeFrom = state.TryGet<IngestHistoryCursor>(CursorCollection, CursorKey, out var cursor) ? cursor.AppliedUntil : 0;
        _appliedUntil = _checkpointedUntil = ResumeFrom;
    }

    public static string Key(long hourStartMs) => DateTimeOffset.FromUnixTimeMilliseconds(hourStartMs).UtcDateTime.ToString("yyyyMMddHH", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The source as the ingest counters name it (the host an event names, else its sender's address), lower-cased.</summary>
    public static string SourceOf(EventRecord e) => Ingest.SourceTable.KeyOf(e).ToLowerInvariant();

    public void Apply(in StoredEvent stored)
    {
        var e = stored.Event;
        var hourStart = e.ReceivedAtMs - (e.ReceivedAtMs % HourMs);
        lock (_lock)
        {
            var hour = Hour(hourStart);
            if (stored.NextId <= hour.AppliedUntil) return; // replayed: already in this hour
            var name = SourceOf(e);
            if (!hour.Sources.TryGetValue(name, out var s))
            {
                if (hour.Sources.Count >= _maxSourcesPerHour && !hour.Sources.TryGetValue(OtherSource, out s)) hour.Sources[OtherSource] = s = new SourceHour();
                s ??= hour.Sources[name] = new SourceHour();
            }
            s.Events++;
            if ((e.Flags & EventFlags.ParseError) != 0) s.ParseErrors++;
            if ((e.Flags & EventFlags.Truncated) != 0) s.Truncated++;
            s.Minutes |= 1UL << (int)(e.ReceivedAtMs % HourMs / 60_000);
            hour.AppliedUntil = stored.NextId;
            _dirty.Add(hourStart);
        }
    }

    private IngestHour Hour(long hourStart)
    {
        if (_open.TryGetValue(hourStart, out var hour)) return hour;
        hour = _state.TryGet<IngestHour>(Collection, Key(hourStart), out var stored) ? stored : new IngestHour { HourStartMs = hourStart };
        _open[hourStart] = hour;
        return hour;
    }

    /// <summary>The hours overlapping [fromMs, toMs), with what is applied but not yet written.</summary>
    public List<IngestHour> Hours(long fromMs, long toMs)
    {
        var list = new List<IngestHour>();
        for (var h = fromMs - (fromMs % HourMs); h < toMs; h += HourMs)
        {
            lock (_lock)
            {
                if (_open.TryGetValue(h, out var open)) { list.Add(MessagePackSerializer.Deserialize<IngestHour>(MessagePackSerializer.Serialize(open))); continue; }
            }
            if (_state.TryGet<IngestHour>(Collection, Key(h), out var stored)) list.Add(stored);
        }
        return list;
    }

    public void MarkApplied(long nextAddress) => Interlocked.Exchange(ref _appliedUntil, nextAddress);

    public void Idle() { }

    public async Task CheckpointAsync()
    {
        var until = AppliedUntil;
        List<(string Key, IngestHour Hour)> writes;
        lock (_lock)
        {
            writes = _dirty.Select(h => (Key(h), MessagePackSerializer.Deserialize<IngestHour>(MessagePackSerializer.Serialize(_open[h])))).ToList();
            _dirty.Clear();
        }
        try
        {
            foreach (var (key, hour) in writes) await _state.PutAsync(Collection, key, hour).ConfigureAwait(false);
        }
        catch
        {
            lock (_lock) foreach (var (_, hour) in writes) _dirty.Add(hour.HourStartMs);
            throw;
        }
        await _state.PutAsync(CursorCollection, CursorKey, new IngestHistoryCursor { AppliedUntil = until }).ConfigureAwait(false);
        Interlocked.Exchange(ref _checkpointedUntil, until);
        lock (_lock)
        {
            // Written: keep only the hours still being filled in memory (the newest two, unless changed since).
            foreach (var old in _open.Keys.OrderDescending().Skip(2).Where(h => !_dirty.Contains(h)).ToList()) _open.Remove(old);
        }
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        if (now - _lastForgetMs < HourMs) return;
        _lastForgetMs = now;
        await ForgetOldAsync(now).ConfigureAwait(false);
    }

    private async Task ForgetOldAsync(long now)
    {
        var horizon = Key(now - _keepMs);
        foreach (var (key, _) in _state.List<IngestHour>(Collection))
            if (string.CompareOrdinal(key, horizon) < 0) await _state.DeleteAsync(Collection, key).ConfigureAwait(false);
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

/// <summary>Feeds <see cref="IngestHistory"/> from the fan-out, on its own task, checkpointed every 15 s while events flow.</summary>
public sealed class IngestHistorySink(IngestHistory history, ILogger<IngestHistorySink> logger)
    : CheckpointedSink(history, new CheckpointSchedule { Interval = TimeSpan.FromSeconds(15), AfterEvents = 500_000 }, logger)
{
    public override string Name => "ingest-history";

    protected override void ApplyToStore(in StoredEvent stored) => history.Apply(stored);
}

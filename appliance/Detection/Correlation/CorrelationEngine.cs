using Redoubt.Detection.Engine;

namespace Redoubt.Detection.Correlation;

public sealed class CorrelationOptions
{
    /// <summary>Most windows (correlation × group) held at once; beyond it the least recently used is dropped.</summary>
    public int MaxWindows { get; set; } = 100_000;
    /// <summary>Most events (value_count: distinct values) one window keeps.</summary>
    public int MaxEntriesPerWindow { get; set; } = 10_000;
    /// <summary>Most event ids a correlation hit carries as evidence.</summary>
    public int MaxEvidence { get; set; } = 100;
}

/// <summary>
/// Streaming Sigma correlation over detection hits, by event time. One instance on the detection task
/// (not thread-safe; the counters it publishes are read atomically).
///
/// Windows: event_count and value_count slide over event time — an event joins its group's window,
/// events older than the window's newest minus the timespan leave it, and the correlation fires as soon
/// as the count reaches the condition's lower bound (then the window starts afresh). A condition with
/// an upper bound (lt, lte, eq, ranges) can only be decided when the window is over, so such windows
/// are tumbling: they open at their first event and close one timespan later, when an event past the
/// end arrives for the group or the watermark (newest event time seen) passes the end.
/// temporal fires when the condition's number of different rules (default: all) matched within one
/// timespan; temporal_ordered when they matched in the listed order within one timespan.
///
/// Late events: a hit older than its window allows (before the newest event of the group minus the
/// timespan, or before a tumbling window's start) cannot be placed and is counted as late; a hit out of
/// order but inside the window is placed by its event time. State is bounded: windows whose time has
/// passed the watermark are dropped, and past <see cref="CorrelationOptions.MaxWindows"/> the least
/// recently used window is evicted (counted per correlation).
/// </summary>
public sealed class CorrelationEngine(CorrelationOptions options)
{
    private readonly Dictionary<(string, string), CorrelationWindow> _windows = [];
    private readonly LinkedList<CorrelationWindow> _lru = new();
    private readonly PriorityQueue<CorrelationWindow, long> _closing = new();
    private long _watermark = long.MinValue;
    private long _sequence, _evicted, _expired;
    private int _held;

    public CorrelationOptions Options => options;
    /// <summary>Windows held now (read from any thread).</summary>
    public int WindowsHeld => Volatile.Read(ref _held);
    public long Evicted => Interlocked.Read(ref _evicted);
    public long Expired => Interlocked.Read(ref _expired);
    public long Watermark => Interlocked.Read(ref _watermark);
    /// <summary>Grows with every change to a window: a checkpoint rewrites the state only when it moved.</summary>
    public long Sequence => _sequence + _changes;
    private long _changes;

    /// <summary>
    /// Time moves on: windows that ended before the event time are closed (conditions with an upper
    /// bound are decided now) or dropped. Call for every event, before its hits. Allocates nothing when nothing ends.
    /// </summary>
    public void Advance(RuleSet set, long eventTimeMs, List<DetectionHit> output)
    {
        if (eventTimeMs <= _watermark) return;
        Interlocked.Exchange(ref _watermark, eventTimeMs);
        while (_closing.TryPeek(out var w, out var end) && end < eventTimeMs)
        {
            _closing.Dequeue();
            if (!IsCurrent(w) || w.Start == long.MinValue || w.Start + SpanOf(set, w) != end) continue; // stale entry
            if (Find(set, w.CorrelationId) is { } c) CloseTumbling(set, c, w, output);
        }
        // Least recently used first: drop windows nothing can complete any more.
        while (_lru.First is { } head && head.Value.MaxTime != long.MinValue && head.Value.MaxTime + SpanOf(set, head.Value) < eventTimeMs && head.Value.Start == long.MinValue)
        {
            Remove(head.Value);
            Interlocked.Increment(ref _expired);
        }
    }

    /// <summary>A hit of a rule or correlation: every correlation that uses it takes it; what fires is added to <paramref name="output"/> (and fed on to chained correlations).</summary>
    public void Observe(RuleSet set, DetectionHit hit, IReadOnlyList<(int Correlation, int Input)> consumers, List<DetectionHit> output)
    {
        foreach (var (index, input) in consumers)
        {
            var c = set.Correlations[index];
            if (!c.Enabled) continue;
            Interlocked.Increment(ref c.Counters.Inputs);
            var fired = Take(set, c, input, hit);
            if (fired is null) continue;
            output.Add(fired);
            if (c.Consumers.Count > 0) Observe(set, fired, c.Consumers, output);
        }
    }

    private static CompiledCorrelation? Find(RuleSet set, string id)
    {
        foreach (var c in set.Correlations) if (c.Rule.Id == id) return c;
        return null;
    }

    private static long SpanOf(RuleSet set, CorrelationWindow w) => Find(set, w.CorrelationId)?.Rule.TimespanMs ?? 0;

    private bool IsCurrent(CorrelationWindow w) => _windows.TryGetValue((w.CorrelationId, w.Group), out var current) && ReferenceEquals(current, w);

    private DetectionHit? Take(RuleSet set, CompiledCorrelation c, int inputIndex, DetectionHit hit)
    {
        var input = c.Inputs[inputIndex];
        var values = new string[input.GroupFields.Length];
        for (var i = 0; i < values.Length; i++) values[i] = hit.Values.TryGetValue(input.GroupFields[i], out var v) ? v : "";
        var group = string.Join('\u001f', values);
        var w = Window(c, group, values);
        var rule = c.Rule;
        var t = hit.EventTimeMs;
        var fired = rule.Type switch
        {
            CorrelationType.EventCount or CorrelationType.ValueCount when rule.Condition.HasUpperBound => Tumbling(c, w, hit, input),
            CorrelationType.EventCount or CorrelationType.ValueCount => Sliding(c, w, hit, input),
            _ => Temporal(c, w, inputIndex, hit),
        };
        Touch(w, t);
        return fired;
    }

    private void Touch(CorrelationWindow w, long t)
    {
        if (!IsCurrent(w)) return;
        if (t > w.MaxTime) w.MaxTime = t;
        w.Touched = ++_sequence;
        if (w.Lru is { } node) { _lru.Remove(node); _lru.AddLast(node); }
    }

    private CorrelationWindow Window(CompiledCorrelation c, string group, string[] values)
    {
        var key = (c.Rule.Id, group);
        if (_windows.TryGetValue(key, out var w)) return w;
        while (_windows.Count >= options.MaxWindows && _lru.First is { } oldest)
        {
            // Counted against the correlation that lost it.
            if (_countersById.TryGetValue(oldest.Value.CorrelationId, out var lost)) Interlocked.Increment(ref lost.Evicted);
            Remove(oldest.Value);
            Interlocked.Increment(ref _evicted);
        }
        w = new CorrelationWindow { CorrelationId = c.Rule.Id, Group = group, GroupValues = values };
        _countersById[c.Rule.Id] = c.Counters;
        Add(w);
        return w;
    }

    private readonly Dictionary<string, CorrelationCounters> _countersById = new(StringComparer.Ordinal);

    private void Add(CorrelationWindow w)
    {
        _windows[(w.CorrelationId, w.Group)] = w;
        w.Touched = ++_sequence;
        w.Lru = _lru.AddLast(w);
        Volatile.Write(ref _held, _windows.Count);
        if (_countersById.TryGetValue(w.CorrelationId, out var counters)) Interlocked.Increment(ref counters.Windows);
    }

    private void Remove(CorrelationWindow w)
    {
        _changes++;
        _windows.Remove((w.CorrelationId, w.Group));
        if (w.Lru is { } node) _lru.Remove(node);
        w.Lru = null;
        Volatile.Write(ref _held, _windows.Count);
        if (_countersById.TryGetValue(w.CorrelationId, out var counters)) Interlocked.Decrement(ref counters.Windows);
    }

    // ---- event_count / value_count, lower bound only: sliding window ----

    private DetectionHit? Sliding(CompiledCorrelation c, CorrelationWindow w, DetectionHit hit, CorrelationInput input)
    {
        var span = c.Rule.TimespanMs;
        var t = hit.EventTimeMs;
        if (w.MaxTime != long.MinValue && t < w.MaxTime - span) { Interlocked.Increment(ref c.Counters.Late); return null; }
        var value = c.Rule.Type == CorrelationType.ValueCount ? ValueOf(hit, input) : null;
        if (c.Rule.Type == CorrelationType.ValueCount && value is null) return null; // no value to count
        Insert(w, new WindowEntry { Time = t, EventId = hit.EventId, Value = value }, c.Rule.Type == CorrelationType.ValueCount);
        if (t > w.MaxTime) w.MaxTime = t;
        // Events older than the newest minus the timespan leave the window.
        var floor = w.MaxTime - span;
        var drop = 0;
        while (drop < w.Entries.Count && w.Entries[drop].Time < floor) drop++;
        if (drop > 0) { foreach (var e in w.Entries.GetRange(0, drop)) Forget(w, e); w.Entries.RemoveRange(0, drop); }
        Cap(w);
        var count = Count(c, w);
        if (!c.Rule.Condition.Holds(count)) return null;
        var fired = Fire(c, w, hit, count);
        w.Entries.Clear();
        w.ValueCounts?.Clear();
        return fired;
    }

    private static string? ValueOf(DetectionHit hit, CorrelationInput input)
    {
        if (input.ValueFields.Length == 1) return hit.Values.TryGetValue(input.ValueFields[0], out var v) && v.Length > 0 ? v : null;
        var parts = new string[input.ValueFields.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            if (!hit.Values.TryGetValue(input.ValueFields[i], out var v)) return null;
            parts[i] = v;
        }
        return string.Join('\u001f', parts);
    }

    /// <summary>Inserts by event time; for value_count a value keeps only its latest event.</summary>
    private static void Insert(CorrelationWindow w, WindowEntry entry, bool distinct)
    {
        var entries = w.Entries;
        if (distinct)
        {
            w.ValueCounts ??= Rebuild(entries);
            var at = entries.FindIndex(e => e.Value == entry.Value);
            if (at >= 0)
            {
                if (entries[at].Time > entry.Time) return; // an older sighting of a value already counted
                entries.RemoveAt(at);
                w.ValueCounts[entry.Value!]--;
            }
            w.ValueCounts[entry.Value!] = w.ValueCounts.GetValueOrDefault(entry.Value!) + 1;
        }
        var i = entries.Count;
        while (i > 0 && entries[i - 1].Time > entry.Time) i--;
        entries.Insert(i, entry);
    }

    private static Dictionary<string, int> Rebuild(List<WindowEntry> entries)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var e in entries) if (e.Value is { } v) counts[v] = counts.GetValueOrDefault(v) + 1;
        return counts;
    }

    private static void Forget(CorrelationWindow w, WindowEntry e)
    {
        if (e.Value is null || w.ValueCounts is null) return;
        if (--w.ValueCounts[e.Value] <= 0) w.ValueCounts.Remove(e.Value);
    }

    private void Cap(CorrelationWindow w)
    {
        var over = w.Entries.Count - options.MaxEntriesPerWindow;
        if (over <= 0) return;
        foreach (var e in w.Entries.GetRange(0, over)) Forget(w, e);
        w.Entries.RemoveRange(0, over);
    }

    private static long Count(CompiledCorrelation c, CorrelationWindow w) =>
        c.Rule.Type == CorrelationType.ValueCount ? (w.ValueCounts ??= Rebuild(w.Entries)).Count : w.Entries.Count;

    // ---- event_count / value_count with an upper bound: tumbling window decided at its end ----

    private DetectionHit? Tumbling(CompiledCorrelation c, CorrelationWindow w, DetectionHit hit, CorrelationInput input)
    {
        var span = c.Rule.TimespanMs;
        var t = hit.EventTimeMs;
        DetectionHit? fired = null;
        if (w.Start != long.MinValue && t > w.Start + span)
        {
            fired = Decide(c, w);
            w.Start = long.MinValue;
        }
        if (w.Start != long.MinValue && t < w.Start) { Interlocked.Increment(ref c.Counters.Late); return fired; }
        var value = c.Rule.Type == CorrelationType.ValueCount ? ValueOf(hit, input) : null;
        if (c.Rule.Type == CorrelationType.ValueCount && value is null) return fired;
        if (w.Start == long.MinValue)
        {
            w.Start = t;
            _closing.Enqueue(w, t + span);
        }
        // Past the upper bound the condition cannot hold again in this window: stop keeping entries.
        if (Count(c, w) <= c.Rule.Condition.Max) Insert(w, new WindowEntry { Time = t, EventId = hit.EventId, Value = value }, c.Rule.Type == CorrelationType.ValueCount);
        Cap(w);
        if (t > w.MaxTime) w.MaxTime = t;
        return fired;
    }

    private void CloseTumbling(RuleSet set, CompiledCorrelation c, CorrelationWindow w, List<DetectionHit> output)
    {
        var last = w.Entries.Count > 0 ? w.Entries[^1] : null;
        var fired = last is null ? null : Decide(c, w);
        Remove(w);
        if (fired is null) return;
        output.Add(fired);
        if (c.Consumers.Count > 0) Observe(set, fired, c.Consumers, output);
    }

    private DetectionHit? Decide(CompiledCorrelation c, CorrelationWindow w)
    {
        var count = Count(c, w);
        DetectionHit? fired = null;
        if (w.Entries.Count > 0 && c.Rule.Condition.Holds(count)) fired = Fire(c, w, null, count);
        w.Entries.Clear();
        w.ValueCounts?.Clear();
        return fired;
    }

    // ---- temporal and temporal_ordered: rules within one timespan (in the listed order) ----

    private DetectionHit? Temporal(CompiledCorrelation c, CorrelationWindow w, int input, DetectionHit hit)
    {
        var span = c.Rule.TimespanMs;
        var t = hit.EventTimeMs;
        if (w.MaxTime != long.MinValue && t < w.MaxTime - span) { Interlocked.Increment(ref c.Counters.Late); return null; }
        // Kept by event time, so hits that arrive out of order (inside the timespan) still line up.
        Insert(w, new WindowEntry { Time = t, EventId = hit.EventId, Input = input }, distinct: false);
        if (t > w.MaxTime) w.MaxTime = t;
        var floor = w.MaxTime - span;
        var drop = 0;
        while (drop < w.Entries.Count && w.Entries[drop].Time < floor) drop++;
        if (drop > 0) w.Entries.RemoveRange(0, drop);
        Cap(w);
        var found = c.Rule.Type == CorrelationType.TemporalOrdered
            ? OrderedChain(w.Entries, c.Inputs.Length, span)
            : Together(w.Entries, c.Inputs.Length, span, c.Rule.Condition);
        if (found is null) return null;
        var fired = Fire(c, w, hit, found.Select(e => e.Input).Distinct().Count(), found);
        w.Entries.Clear();
        return fired;
    }

    /// <summary>Entries within one timespan covering enough different inputs: the latest of each input in the first such stretch, or null.</summary>
    private static List<WindowEntry>? Together(List<WindowEntry> entries, int inputs, long span, CountCondition condition)
    {
        var counts = new int[inputs];
        var distinct = 0;
        var i = 0;
        for (var j = 0; j < entries.Count; j++)
        {
            if (counts[entries[j].Input]++ == 0) distinct++;
            while (entries[j].Time - entries[i].Time > span)
                if (--counts[entries[i++].Input] == 0) distinct--;
            if (distinct < condition.Min || distinct > condition.Max) continue;
            var latest = new WindowEntry?[inputs];
            for (var k = i; k <= j; k++) latest[entries[k].Input] = entries[k];
            return latest.Where(e => e is not null).Select(e => e!).OrderBy(e => e.Time).ToList();
        }
        return null;
    }

    /// <summary>One entry per input, in input order by event time (equal times count as in order), all within one timespan; or null.</summary>
    private static List<WindowEntry>? OrderedChain(List<WindowEntry> entries, int inputs, long span)
    {
        foreach (var start in entries)
        {
            if (start.Input != 0) continue;
            var chain = new List<WindowEntry> { start };
            var previous = start.Time;
            for (var k = 1; k < inputs; k++)
            {
                WindowEntry? next = null;
                foreach (var e in entries)
                    if (e.Input == k && e.Time >= previous && e.Time - start.Time <= span) { next = e; break; }
                if (next is null) break;
                chain.Add(next);
                previous = next.Time;
            }
            if (chain.Count == inputs) return chain;
        }
        return null;
    }

    // ---- output ----

    private DetectionHit Fire(CompiledCorrelation c, CorrelationWindow w, DetectionHit? trigger, long count, List<WindowEntry>? events = null)
    {
        Interlocked.Increment(ref c.Counters.Fired);
        events ??= w.Entries;
        var ids = new List<long>(Math.Min(events.Count, options.MaxEvidence));
        // Evidence: the first events and the last one (the window may hold thousands).
        foreach (var e in events)
        {
            if (ids.Count == options.MaxEvidence - 1) break;
            ids.Add(e.EventId);
        }
        var lastId = events.Count > 0 ? events[^1].EventId : trigger?.EventId ?? 0;
        if (ids.Count == 0 || ids[^1] != lastId) ids.Add(lastId);
        var lastTime = trigger?.EventTimeMs ?? (events.Count > 0 ? events[^1].Time : w.MaxTime);
        var values = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var entities = new Dictionary<string, string>();
        for (var i = 0; i < c.Rule.GroupBy.Count; i++)
        {
            var v = w.GroupValues[i];
            values[c.Rule.GroupBy[i]] = v;
            if (v.Length > 0) entities[EntityName(c.Rule.GroupBy[i])] = v;
        }
        var r = c.Rule;
        return new DetectionHit
        {
            Kind = HitKind.Correlation,
            RuleId = r.Id, RuleTitle = r.Title, Level = r.Level, Tags = r.Tags,
            Author = r.Author, References = r.References, Licence = r.Licence, RuleLicenseField = r.License,
            EventId = trigger?.EventId ?? lastId, EventTimeMs = lastTime, ReceivedAtMs = trigger?.ReceivedAtMs ?? 0,
            LogSource = "correlation:" + CorrelationTypeName(r.Type),
            Matched = [], Entities = entities, RuleIndex = c.Index, Generates = c.Generates,
            Values = values, EventIds = ids, CorrelationCount = count,
        };
    }

    public static string CorrelationTypeName(CorrelationType t) => t switch
    {
        CorrelationType.EventCount => "event_count",
        CorrelationType.ValueCount => "value_count",
        CorrelationType.Temporal => "temporal",
        _ => "temporal_ordered",
    };

    /// <summary>A group-by field that names an entity (SourceIp, TargetUserName…) is that entity in the alert.</summary>
    private static string EntityName(string field)
    {
        foreach (var (entity, fields) in RuleSet.EntityFields)
            if (entity.Equals(field, StringComparison.OrdinalIgnoreCase) || fields.Contains(field, StringComparer.OrdinalIgnoreCase)) return entity;
        return field;
    }

    // ---- checkpoint ----

    public CorrelationSnapshot Snapshot() => new()
    {
        Watermark = _watermark,
        Sequence = _sequence,
        Windows = _lru.ToList(), // least recently used first
    };

    public void Restore(CorrelationSnapshot snapshot, RuleSet set)
    {
        _windows.Clear();
        _lru.Clear();
        _closing.Clear();
        _watermark = snapshot.Watermark;
        _sequence = snapshot.Sequence;
        foreach (var w in snapshot.Windows.OrderBy(w => w.Touched))
        {
            if (Find(set, w.CorrelationId) is not { } c) continue; // the correlation is no longer loaded
            _countersById[c.Rule.Id] = c.Counters;
            _windows[(w.CorrelationId, w.Group)] = w;
            w.Lru = _lru.AddLast(w);
            Interlocked.Increment(ref c.Counters.Windows);
            if (w.Start != long.MinValue) _closing.Enqueue(w, w.Start + c.Rule.TimespanMs);
        }
        Volatile.Write(ref _held, _windows.Count);
    }

    /// <summary>A new rule set is in use: per-correlation counters move to its correlations.</summary>
    public void Rebind(RuleSet set)
    {
        _countersById.Clear();
        foreach (var c in set.Correlations) { _countersById[c.Rule.Id] = c.Counters; Interlocked.Exchange(ref c.Counters.Windows, 0); }
        foreach (var w in _windows.Values)
            if (_countersById.TryGetValue(w.CorrelationId, out var counters)) Interlocked.Increment(ref counters.Windows);
    }
}

using System.Diagnostics;
using System.Globalization;
using System.Numerics;
using Redoubt.Detection.Events;
using Redoubt.Detection.Iocs;
using Redoubt.Detection.Matching;
using Redoubt.Storage.Events;

namespace Redoubt.Detection.Engine;

/// <summary>
/// Runs one <see cref="RuleSet"/> over events, one at a time: reads the event once into slots,
/// classifies it into log sources, lets the literal index pick candidate rules, evaluates those.
/// All buffers are reused, so after warm-up an event that raises no hit allocates nothing.
/// Not thread-safe: one per detection task.
/// </summary>
public sealed class Evaluator
{
    private readonly RuleSet _set;
    private readonly EventFields _fields;
    private readonly JsonEventReader _json;
    private readonly MatchContext _ctx;
    private readonly ulong[] _sourceBits;
    private readonly ulong[] _ruleBits;
    private readonly ulong[] _applicable;
    private readonly int[] _active;
    private readonly int _format, _app, _host, _message, _messageField, _facility, _source;
    private long _sample;

    public RuleSet Set => _set;
    public EventFields Fields => _fields;
    /// <summary>Indicators looked up in every event (swapped in whole on import).</summary>
    public IocIndex Iocs { get; set; } = IocIndex.Empty;
    /// <summary>Alert level of IOC hits.</summary>
    public string IocLevel { get; set; } = "high";
    private readonly List<int> _iocSeen = [];

    /// <summary>Whether the literal indexes pick candidate sources and rules (false: every source's condition and every rule of its sources run; for tests and benchmarks).</summary>
    public bool Prefilter { get; }

    public Evaluator(RuleSet set, bool prefilter = true)
    {
        _set = set;
        Prefilter = prefilter;
        _fields = new EventFields(set.Slots);
        _json = new JsonEventReader(set.Map.Json);
        _ctx = new MatchContext(_fields);
        _sourceBits = new ulong[set.UngatedSources.Length];
        _ruleBits = new ulong[set.UngatedRules.Length];
        _applicable = new ulong[set.UngatedRules.Length];
        _active = new int[set.SourceCount];
        _format = Slot("redoubt.format");
        _app = Slot("redoubt.app");
        _host = Slot("redoubt.host");
        _message = Slot("redoubt.message");
        _messageField = Slot("message");
        _facility = Slot("redoubt.facility");
        _source = Slot("redoubt.source");
    }

    private int Slot(string name) => _set.Slots.TryGet(name, out var slot) ? slot : -1;

    /// <summary>Evaluates every applicable rule on one event; returns the number of hits given to <paramref name="hits"/>.</summary>
    public int Evaluate(long eventId, EventRecord record, IDetectionHitSink? hits)
    {
        // Keeping every string value (for keyword rules) costs more than reading the fields rules
        // name: do it only for events of a source that has keyword rules (a second read of the event).
        _fields.CollectKeywords = _set.KeywordsInSources;
        Read(record);
        var found = Iocs.IsEmpty ? 0 : MatchIocs(eventId, record, hits);
        var activeCount = Classify();
        if (activeCount == 0) return found;
        if (!_fields.CollectKeywords && _set.Keywords)
        {
            for (var a = 0; a < activeCount; a++)
            {
                if (!_set.Sources[_active[a]].KeywordRules) continue;
                _fields.CollectKeywords = true;
                Read(record);
                break;
            }
        }

        Array.Clear(_applicable);
        for (var a = 0; a < activeCount; a++)
        {
            var rules = _set.Sources[_active[a]].Rules;
            for (var w = 0; w < rules.Length; w++) _applicable[w] |= rules[w];
        }
        if (Prefilter)
        {
            Array.Clear(_ruleBits);
            _set.RuleIndex.Mark(_fields, _ruleBits);
        }
        else Array.Fill(_ruleBits, ulong.MaxValue);
        var ungated = _set.UngatedRules;
        for (var w = 0; w < _ruleBits.Length; w++)
        {
            var word = (_ruleBits[w] | ungated[w]) & _applicable[w];
            while (word != 0)
            {
                var bit = BitOperations.TrailingZeroCount(word);
                word &= word - 1;
                var rule = _set.Rules[(w << 6) + bit];
                if (!rule.Enabled) continue;
                var source = SourceFor(rule, activeCount);
                _ctx.SlotOf = _set.Sources[source].SlotOf;
                if (Run(rule))
                {
                    found++;
                    hits?.Add(Hit(rule, source, eventId, record));
                }
            }
        }
        return found;
    }

    private bool Run(CompiledRule rule)
    {
        var counters = rule.Counters;
        counters.Evaluations++;
        bool matched;
        if ((++_sample & 15) == 0)
        {
            var start = Stopwatch.GetTimestamp();
            matched = rule.Root.Eval(_ctx);
            counters.SampledTicks += Stopwatch.GetTimestamp() - start;
            counters.SampledEvaluations++;
        }
        else matched = rule.Root.Eval(_ctx);
        if (matched) counters.Matches++;
        return matched;
    }

    private int SourceFor(CompiledRule rule, int activeCount)
    {
        for (var a = 0; a < activeCount; a++)
        {
            var s = _active[a];
            if ((_set.Sources[s].Rules[rule.Index >> 6] & (1UL << rule.Index)) != 0) return s;
        }
        return _active[0];
    }

    /// <summary>The log sources this event belongs to, into <see cref="_active"/>.</summary>
    private int Classify()
    {
        if (Prefilter)
        {
            Array.Clear(_sourceBits);
            _set.SourceIndex.Mark(_fields, _sourceBits);
        }
        else Array.Fill(_sourceBits, ulong.MaxValue);
        _ctx.SlotOf = _set.IdentitySlots;
        var count = 0;
        var ungated = _set.UngatedSources;
        for (var w = 0; w < _sourceBits.Length; w++)
        {
            var word = _sourceBits[w] | ungated[w];
            while (word != 0)
            {
                var s = (w << 6) + BitOperations.TrailingZeroCount(word);
                word &= word - 1;
                if (s < _set.SourceCount && _set.Sources[s].When.Eval(_ctx)) _active[count++] = s;
            }
        }
        return count;
    }

    /// <summary>Reads the event into slots (public for benchmarks that measure reading apart from matching).</summary>
    public void Read(EventRecord record)
    {
        var f = _fields;
        f.Reset();
        AddMeta(_format, record.Format);
        AddMeta(_app, record.App);
        AddMeta(_host, record.Host);
        AddMeta(_source, record.Source);
        if (_facility >= 0 && record.Facility >= 0) AddFacility(record.Facility);
        if (record.Json is not null)
        {
            AddMeta(_message, record.Message);
            _json.Read(record, f);
            return;
        }
        if (record.Message is { } message)
        {
            if (_message >= 0) f.Add(_message, message, ValueKind.String);
            // A syslog line's MSG is its `message` field too (a JSON event's own `message`, if any, is read from the JSON).
            if (_messageField >= 0) f.Add(_messageField, message, ValueKind.String);
            if (f.CollectKeywords) f.Add(FieldNames.Keywords, message, ValueKind.String);
            if (record.Fields is null && Auditd.Looks(message)) Auditd.Read(message, f);
            else if (record.Fields is null && Sshd.Applies(record.App)) Sshd.Read(message, f);
        }
        if (record.Fields is { } fields)
            foreach (var (name, value) in fields)
                if (f.Names.TryGet(name, out var slot))
                {
                    f.Add(slot, value, ValueKind.String);
                    var alias = f.Names.AliasOf(slot);
                    if (alias >= 0) f.Add(alias, value, ValueKind.String);
                }
    }

    // Apart from Read: a method with stackalloc is compiled once, fully optimised but without tiering's
    // profile-guided inlining, and Read is on every event's path.
    private void AddFacility(int facility)
    {
        Span<char> digits = stackalloc char[4];
        facility.TryFormat(digits, out var n, default, CultureInfo.InvariantCulture);
        _fields.Add(_facility, digits[..n], ValueKind.Number);
    }

    private void AddMeta(int slot, string? value)
    {
        if (slot >= 0 && value is not null) _fields.Add(slot, value, ValueKind.String);
    }

    /// <summary>Looks every IOC field of the event (and a syslog message's tokens) up in the indicators; one hit per indicator per event.</summary>
    private int MatchIocs(long eventId, EventRecord record, IDetectionHitSink? hits)
    {
        var iocs = Iocs;
        _iocSeen.Clear();
        var found = 0;
        foreach (var (slot, field, kind) in _set.IocSlots)
        {
            for (var e = _fields.First(slot); e >= 0; e = _fields.Next(e))
            {
                if (_fields.KindOf(e) != ValueKind.String) continue;
                var text = _fields.Text(e);
                int at = 0, length = text.Length;
                var hit = kind switch
                {
                    IocField.Ip => iocs.MatchIp(text),
                    IocField.Domain => iocs.MatchDomain(text),
                    IocField.Url => iocs.MatchUrl(text),
                    IocField.Hash => iocs.MatchHash(text),
                    _ => iocs.MatchHashes(text, out at, out length),
                };
                if (hit is not null) found += IocHits(hit, field, text.Slice(at, length), eventId, record, hits);
            }
        }
        if (record.Json is null && record.Message is { } message)
        {
            var i = 0;
            while (iocs.ScanText(message, ref i, out var start, out var length) is { } hit)
                found += IocHits(hit, "message", message.AsSpan(start, length), eventId, record, hits);
        }
        return found;
    }

    private int IocHits(int[] indicators, string field, ReadOnlySpan<char> observed, long eventId, EventRecord record, IDetectionHitSink? hits)
    {
        var found = 0;
        var iocs = Iocs;
        foreach (var i in indicators)
        {
            var x = iocs.IndicatorAt(i);
            // Expired indicators stop matching; the event's arrival time decides, so a replay decides the same.
            if (x.ExpiresMs is { } until && until <= record.ReceivedAtMs) continue;
            if (_iocSeen.Contains(i)) continue;
            _iocSeen.Add(i);
            found++;
            if (hits is null) continue;
            var list = iocs.ListOf(i);
            var entities = Entities(record);
            entities["indicator"] = x.Value;
            var type = IocTypes.Name(x.Type);
            hits.Add(new DetectionHit
            {
                Kind = HitKind.Ioc,
                RuleId = "ioc:" + list, RuleTitle = $"Indicator of compromise from list '{list}'", Level = IocLevel,
                Author = x.Source, References = [],
                EventId = eventId, EventTimeMs = record.TimeMs, ReceivedAtMs = record.ReceivedAtMs,
                LogSource = "ioc",
                Matched = [new MatchedField(field, observed.ToString())], Entities = entities,
                Ioc = new IocMatch(list, type, x.Value, x.Ref, x.Source, field, observed.ToString(), x.ExpiresMs),
            });
        }
        return found;
    }

    private Dictionary<string, string> Entities(EventRecord record)
    {
        var entities = new Dictionary<string, string>();
        var i = 0;
        foreach (var (entity, names) in RuleSet.EntityFields)
        {
            foreach (var _ in names)
            {
                var slot = _set.EntitySlots[i++];
                if (entities.ContainsKey(entity)) continue;
                var e = _fields.First(slot);
                if (e >= 0 && _fields.KindOf(e) != ValueKind.Null && _fields.Text(e).Length > 0) entities[entity] = _fields.Text(e).ToString();
            }
        }
        if (!entities.ContainsKey("host") && record.Host is { } host) entities["host"] = host;
        return entities;
    }

    private DetectionHit Hit(CompiledRule rule, int source, long eventId, EventRecord record)
    {
        var matched = new List<MatchedField>();
        rule.Root.Explain(_ctx, matched);
        var entities = Entities(record);
        Dictionary<string, string>? values = null;
        if (rule.CorrelationFields.Count > 0)
        {
            // Group-by and value_count fields, read now while the event's fields are at hand.
            values = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            var slotOf = _set.Sources[source].SlotOf;
            foreach (var (name, fieldId) in rule.CorrelationFields)
            {
                var e = _fields.First(slotOf[fieldId]);
                if (e >= 0 && _fields.KindOf(e) != ValueKind.Null) values[name] = _fields.Text(e).ToString();
            }
        }
        var r = rule.Rule;
        return new DetectionHit
        {
            Kind = HitKind.Sigma,
            RuleId = r.Id, RuleTitle = r.Title, Level = r.Level, Tags = r.Tags,
            Author = r.Author, References = r.References, Licence = r.Licence, RuleLicenseField = r.License,
            EventId = eventId, EventTimeMs = record.TimeMs, ReceivedAtMs = record.ReceivedAtMs,
            LogSource = _set.Sources[source].Entry.Name,
            Matched = matched, Entities = entities,
            RuleIndex = rule.Index, Generates = rule.Generates,
            Values = values ?? DetectionHit.NoValues,
        };
    }
}

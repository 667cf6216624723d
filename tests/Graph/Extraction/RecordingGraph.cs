using System.IO.Pipelines;
using System.Text;
using Redoubt.Graph.Extraction;
using Redoubt.Ingest.Http;
using Redoubt.Ingest.Syslog;
using Redoubt.Storage.Events;
using Redoubt.Storage.Graph;

namespace Redoubt.Tests.Graph.Extraction;

/// <summary>What an extractor writes, kept in memory: nodes by (kind, key), edges as "Kind:key -TYPE-> Kind:key" with their counts.</summary>
public sealed class RecordingGraph : IGraphWrites
{
    private readonly Dictionary<(NodeKind, string), long> _ids = new();
    private readonly List<(NodeKind Kind, string Key)> _nodes = [(default, "")];
    public Dictionary<string, Dictionary<string, string>> Properties { get; } = new();
    public Dictionary<string, int> Edges { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, List<long>> Evidence { get; } = new(StringComparer.Ordinal);

    public long UpsertNode(NodeKind kind, string key, long timeMs, IReadOnlyDictionary<string, string>? properties = null)
    {
        if (!_ids.TryGetValue((kind, key), out var id))
        {
            id = _nodes.Count;
            _nodes.Add((kind, key));
            _ids[(kind, key)] = id;
        }
        if (properties is not null)
        {
            var name = $"{kind}:{key}";
            if (!Properties.TryGetValue(name, out var p)) Properties[name] = p = new Dictionary<string, string>();
            foreach (var (k, v) in properties) p[k] = v;
        }
        return id;
    }

    public void ObserveEdge(long source, EdgeType type, long target, long timeMs, Provenance provenance)
    {
        var s = _nodes[(int)source];
        var t = _nodes[(int)target];
        var name = $"{s.Kind}:{s.Key} -{GraphSchema.Name(type)}-> {t.Kind}:{t.Key}";
        Edges[name] = Edges.GetValueOrDefault(name) + 1;
        if (!Evidence.TryGetValue(name, out var ids)) Evidence[name] = ids = [];
        ids.Add(provenance.EventId);
    }

    public void AssertEdge(long source, EdgeType type, long target, long firstSeenMs, long lastSeenMs, Provenance provenance, long count = 1)
    {
        var s = _nodes[(int)source];
        var t = _nodes[(int)target];
        var name = $"{s.Kind}:{s.Key} -{GraphSchema.Name(type)}-> {t.Kind}:{t.Key}";
        Edges[name] = Math.Max(1, Edges.GetValueOrDefault(name));
        if (!Evidence.TryGetValue(name, out var ids)) Evidence[name] = ids = [];
        ids.Add(provenance.EventId);
    }

    public IEnumerable<string> Nodes => _nodes.Skip(1).Select(n => $"{n.Kind}:{n.Key}");

    public IReadOnlyList<string> EdgeList => Edges.Keys.Order(StringComparer.Ordinal).ToList();
}

/// <summary>Real lines and agent JSON through the real parsers and the shipped rules.</summary>
public sealed class ExtractionHarness
{
    private static readonly Lazy<ExtractionRuleSet> ShippedRules = new(() => ExtractionRuleSet.Load(null));
    private readonly RuleExtractor _extractor;
    private readonly SyslogEvents _syslog = new(TimeZoneInfo.Utc, TimeProvider.System);
    private long _nextId = 1;

    public RecordingGraph Graph { get; } = new();
    public ExtractionRuleSet Rules { get; }

    public ExtractionHarness(ExtractionRuleSet? rules = null)
    {
        Rules = rules ?? ExtractionRuleSet.Load(null);
        _extractor = new RuleExtractor(Rules);
    }

    public static ExtractionRuleSet Shipped => ShippedRules.Value;

    public EventRecord Syslog(string line)
    {
        var record = _syslog.FromFrame(Encoding.UTF8.GetBytes(line), false, Transport.SyslogTcp, null);
        Apply(record);
        return record;
    }

    public IReadOnlyList<EventRecord> Ndjson(IEnumerable<string> lines)
    {
        var text = string.Join('\n', lines) + "\n";
        var pipe = PipeReader.Create(new MemoryStream(Encoding.UTF8.GetBytes(text)));
        var (events, _, errors) = NdjsonIngest.ReadAsync(pipe, 1 << 22, null, TimeProvider.System, CancellationToken.None).GetAwaiter().GetResult();
        if (errors.Count > 0) throw new InvalidDataException(string.Join("; ", errors.Select(e => $"{e.Line}: {e.Error}")));
        foreach (var e in events) Apply(e);
        return events;
    }

    public void Apply(EventRecord record) => _extractor.Extract(new StoredEvent(_nextId++, record, _nextId), Graph);
}

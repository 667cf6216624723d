using System.Globalization;
using Redoubt.Graph.Extraction;
using Redoubt.Graph.Store;
using Redoubt.Storage.Events;
using Redoubt.Storage.Graph;

namespace Redoubt.Graph.Import;

/// <summary>Where a stored graph import is: its id, its events, and whether the graph had applied them when we stopped waiting.</summary>
public sealed record StoredImport(long ImportId, long FirstEvent, long LastEvent, bool Applied);

/// <summary>
/// A graph import document made durable the way the inventory imports are: every checked item is one
/// event in the event log (transport "import", import.kind "graph"), appended before the answer, and
/// the graph sink applies it in log order (<see cref="GraphImportExtractor"/>). So the import is in the
/// graph store, survives a crash (replayed from the log), is in backups, loads at start, and each
/// imported edge's evidence opens the item that stated it.
/// </summary>
public static class GraphImportEvents
{
    public const string Kind = "graph";
    public const string ItemField = "import.item";
    public const string NodeField = "graph.node", FromField = "graph.from", TypeField = "graph.type", ToField = "graph.to";
    public const string FirstSeenField = "graph.firstSeen", LastSeenField = "graph.lastSeen", CountField = "graph.count";
    public const string PropertyPrefix = "prop.";
    private const int AppendBatch = 1_000;
    private static readonly TimeSpan ApplyWait = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Appends the document's items (durable when this returns), then waits a while for the graph sink
    /// to apply them, so a client that queries next sees its import (Applied says whether it had).
    /// </summary>
    public static async Task<StoredImport> StoreAsync(GraphDocument doc, EventLog log, GraphStoreSink sink, long nowMs, CancellationToken cancellationToken)
    {
        var importId = InventoryImport.NextImportId(nowMs);
        var events = new List<EventRecord>(doc.Nodes.Count + doc.Edges.Count);
        foreach (var n in doc.Nodes) events.Add(Event(n, doc.Source, importId, nowMs));
        foreach (var e in doc.Edges) events.Add(Event(e, doc.Source, importId, nowMs));
        long firstId = 0, lastId = 0;
        for (var i = 0; i < events.Count; i += AppendBatch)
        {
            var ids = (await log.AppendAsync(events.GetRange(i, Math.Min(AppendBatch, events.Count - i)), cancellationToken)).Ids;
            if (firstId == 0) firstId = ids[0];
            lastId = ids[^1];
        }
        if (events.Count == 0) return new StoredImport(importId, 0, 0, Applied: true);
        var deadline = DateTime.UtcNow + ApplyWait;
        while (sink.AppliedUntil <= lastId && DateTime.UtcNow < deadline)
            await Task.Delay(20, cancellationToken);
        return new StoredImport(importId, firstId, lastId, sink.AppliedUntil > lastId);
    }

    public static EventRecord Event(NodeItem n, string source, long importId, long nowMs)
    {
        var fields = Header(source, importId, n.At, n.Properties.Count + 7);
        fields[NodeField] = NodeReference.Format(n.Kind, n.Key);
        Times(fields, n.FirstSeenMs, n.LastSeenMs);
        foreach (var (name, value) in n.Properties) fields[PropertyPrefix + name] = value;
        return Record(fields, nowMs, $"graph import '{source}' {n.At}: {NodeReference.Format(n.Kind, n.Key)}");
    }

    public static EventRecord Event(EdgeItem e, string source, long importId, long nowMs)
    {
        var fields = Header(source, importId, e.At, 10);
        fields[FromField] = NodeReference.Format(e.FromKind, e.FromKey);
        fields[TypeField] = GraphSchema.Name(e.Type);
        fields[ToField] = NodeReference.Format(e.ToKind, e.ToKey);
        Times(fields, e.FirstSeenMs, e.LastSeenMs);
        if (e.Count != 1) fields[CountField] = e.Count.ToString(CultureInfo.InvariantCulture);
        return Record(fields, nowMs, $"graph import '{source}' {e.At}: {fields[FromField]} -{fields[TypeField]}-> {fields[ToField]}");
    }

    private static Dictionary<string, string> Header(string source, long importId, string at, int capacity) => new(capacity, StringComparer.Ordinal)
    {
        [InventoryImport.KindField] = Kind,
        [InventoryImport.SourceField] = source,
        [InventoryImport.IdField] = importId.ToString(CultureInfo.InvariantCulture),
        [ItemField] = at,
    };

    private static void Times(Dictionary<string, string> fields, long? first, long? last)
    {
        if (first is { } f) fields[FirstSeenField] = f.ToString(CultureInfo.InvariantCulture);
        if (last is { } l) fields[LastSeenField] = l.ToString(CultureInfo.InvariantCulture);
    }

    private static EventRecord Record(Dictionary<string, string> fields, long nowMs, string message) => new()
    {
        ReceivedAtMs = nowMs, TimeMs = nowMs, Transport = Transport.InventoryImport, Source = "import", App = InventoryImport.App, Format = "graph-import",
        Message = message, Fields = fields,
    };
}

/// <summary>
/// Applies stored graph import items to the graph store: a node upserted with its properties (seen at
/// its firstSeen..lastSeen, else at the import), an edge asserted (idempotent: a re-import changes no
/// count) with the item's event as evidence.
/// </summary>
public sealed class GraphImportExtractor(ILogger<GraphImportExtractor> logger) : IGraphExtractor
{
    private readonly Dictionary<string, string> _properties = new(StringComparer.Ordinal);

    public long Applied { get; private set; }

    public void Extract(in StoredEvent stored, IGraphWrites graph)
    {
        var e = stored.Event;
        if (e.Transport != Transport.InventoryImport || e.Fields is not { } fields) return;
        if (!fields.TryGetValue(InventoryImport.KindField, out var kind) || kind != GraphImportEvents.Kind) return;
        var first = Time(fields, GraphImportEvents.FirstSeenField);
        var last = Time(fields, GraphImportEvents.LastSeenField);
        if (fields.TryGetValue(GraphImportEvents.NodeField, out var node) && NodeReference.TryParse(node, out var nodeKind, out var key))
        {
            _properties.Clear();
            foreach (var (name, value) in fields)
                if (name.StartsWith(GraphImportEvents.PropertyPrefix, StringComparison.Ordinal)) _properties[name[GraphImportEvents.PropertyPrefix.Length..]] = value;
            graph.UpsertNode(nodeKind, key, first ?? last ?? e.TimeMs, _properties);
            if (last is { } l) graph.UpsertNode(nodeKind, key, l);
            Applied++;
            return;
        }
        if (fields.TryGetValue(GraphImportEvents.FromField, out var from) && NodeReference.TryParse(from, out var fromKind, out var fromKey)
            && fields.TryGetValue(GraphImportEvents.ToField, out var to) && NodeReference.TryParse(to, out var toKind, out var toKey)
            && fields.TryGetValue(GraphImportEvents.TypeField, out var typeName) && GraphSchema.TryParseEdgeType(typeName, out var type))
        {
            var count = fields.TryGetValue(GraphImportEvents.CountField, out var c) && long.TryParse(c, CultureInfo.InvariantCulture, out var n) && n >= 1 ? n : 1;
            var importId = fields.TryGetValue(InventoryImport.IdField, out var idText) && long.TryParse(idText, CultureInfo.InvariantCulture, out var id) && id > 0 ? id : 0;
            var firstMs = first ?? e.TimeMs;
            var lastMs = Math.Max(firstMs, last ?? e.TimeMs);
            // The ends are upserted at the edge's first time, as the inventory rows' are.
            var source = graph.UpsertNode(fromKind, fromKey, firstMs);
            var target = graph.UpsertNode(toKind, toKey, firstMs);
            graph.AssertEdge(source, type, target, firstMs, lastMs, new Provenance(stored.Id, importId), count);
            Applied++;
            return;
        }
        // Checked before it was stored; an item that does not read now was stored by a version that wrote it differently.
        logger.LogWarning("graph import item at event {Id} does not read as a node or an edge; skipped", stored.Id);
    }

    private static long? Time(Dictionary<string, string> fields, string name) =>
        fields.TryGetValue(name, out var text) && long.TryParse(text, CultureInfo.InvariantCulture, out var ms) ? ms : null;
}

using System.Collections.Concurrent;
using System.Net;
using System.Threading.Channels;
using Redoubt.Graph.Algorithms;
using Redoubt.Graph.Engine;
using Redoubt.Storage.Graph;

namespace Redoubt.Detection.Alerts;

/// <summary>
/// Links alerts into the graph and enriches them with what it knows, off the detection task: each
/// alert becomes an Alert node with RAISED edges to its host, account and addresses (nodes created when
/// the graph does not know them yet), and gets, per entity, its blast radius size, whether an attack
/// path reaches a crown jewel and how many hops it takes, and its criticality; then its risk score.
/// At start every stored alert is linked again (the in-memory graph does not keep alert nodes), and an
/// alert is enriched again when it changes after its context is a minute old.
/// </summary>
public sealed class AlertEnricher : BackgroundService
{
    public const int BlastHops = 6;
    private readonly AlertStore _alerts;
    private readonly SecurityGraph _graph;
    private readonly ILogger<AlertEnricher> _logger;
    private readonly Channel<string> _queue = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true });
    private readonly ConcurrentDictionary<string, byte> _queued = new(StringComparer.Ordinal);
    private long _enriched, _failures;

    public long Enriched => Interlocked.Read(ref _enriched);
    public long Failures => Interlocked.Read(ref _failures);
    public int Queued => _queued.Count;

    public AlertEnricher(AlertStore alerts, SecurityGraph graph, ILogger<AlertEnricher> logger)
    {
        _alerts = alerts;
        _graph = graph;
        _logger = logger;
        alerts.Changed += Enqueue;
        foreach (var id in alerts.Ids()) Enqueue(id);
    }

    public void Enqueue(string id)
    {
        if (_queued.TryAdd(id, 0)) _queue.Writer.TryWrite(id);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await foreach (var id in _queue.Reader.ReadAllAsync(stoppingToken))
        {
            _queued.TryRemove(id, out _);
            try
            {
                if (_alerts.Get(id) is not { } alert) continue;
                var context = Link(alert);
                var risk = AlertRisk.Score(alert.Severity, context);
                await _alerts.ChangeAsync(id, a => { a.Context = context; a.Risk = risk; return true; });
                Interlocked.Increment(ref _enriched);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                Interlocked.Increment(ref _failures);
                _logger.LogError(e, "alert {Id}: graph enrichment failed", id);
            }
        }
    }

    /// <summary>The graph nodes an alert's entities are: host, user, addresses (an IP indicator too).</summary>
    public static IEnumerable<(string Entity, string Value, NodeKind Kind, string Key)> Nodes(Alert alert)
    {
        foreach (var (entity, value) in alert.Entities)
        {
            if (value.Length == 0) continue;
            switch (entity)
            {
                case "host": yield return (entity, value, NodeKind.Host, value.ToLowerInvariant()); break;
                case "user": yield return (entity, value, NodeKind.User, value); break;
                case "src_ip" or "dst_ip" or "indicator" when IPAddress.TryParse(value, out var ip):
                    yield return (entity, value, NodeKind.IpAddress, ip.ToString()); break;
            }
        }
    }

    /// <summary>Writes the Alert node and its RAISED edges, then reads the context from a snapshot.</summary>
    public AlertContext Link(Alert alert)
    {
        var nodes = Nodes(alert).ToList();
        var evidence = alert.Evidence.Count > 0 && alert.Evidence[0] > 0 ? Evidence.Event(alert.Evidence[0]) : Evidence.None;
        var seen = alert.LastSeenMs;
        var alertNode = _graph.Write(w =>
        {
            var a = w.Node(NodeKind.Alert, alert.Id, seen);
            foreach (var (_, _, kind, key) in nodes)
                w.ObserveEdge(a, EdgeType.Raised, w.Node(kind, key, seen), seen, evidence);
            return a;
        });
        return Context(_graph.Snapshot, alert, alertNode);
    }

    /// <summary>What the graph says now of the alert's entities (also used for the alert detail, fresh).</summary>
    public static AlertContext Context(GraphSnapshot g, Alert alert, int? alertNode)
    {
        var context = new AlertContext { ComputedAtMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), AlertNode = alertNode };
        var jewels = AttackPaths.CrownJewels(g);
        foreach (var (entity, value, kind, key) in Nodes(alert))
        {
            var e = new EntityContext { Entity = entity, Value = value, NodeKind = kind.ToString() };
            context.Entities.Add(e);
            if (!g.TryFind(kind, key, out var node)) continue;
            e.InGraph = true;
            e.Criticality = g.Criticality(node).ToString().ToLowerInvariant();
            var budget = new QueryBudget(new QueryLimits { MaxMillis = 250, MaxResults = 100_000, MaxVisits = 5_000_000 });
            e.BlastRadius = BlastRadius.Run(g, [node], BlastHops, null, EdgeFilter.All, budget).Reached.Count;
            e.Truncated |= budget.Exhausted;
            if ((g.Flags(node) & NodeFlags.CrownJewel) != 0) { e.CrownJewelHops = 0; e.CrownJewel = key; continue; }
            if (jewels.Count == 0) continue;
            var pathBudget = new QueryBudget(new QueryLimits { MaxMillis = 250, MaxResults = 1, MaxVisits = 5_000_000 });
            var paths = ShortestPaths.Find(g, new PathEnds([(node, 0L)], jewels), 1, null, EdgeFilter.All, pathBudget);
            e.Truncated |= pathBudget.Exhausted && paths.Paths.Count == 0;
            if (paths.Paths.Count > 0)
            {
                var p = paths.Paths[0];
                e.CrownJewelHops = p.Nodes.Length - 1;
                e.CrownJewel = g.Kind(p.Nodes[^1]) + ":" + g.Key(p.Nodes[^1]);
            }
        }
        return context;
    }
}

using Redoubt.Detection.Alerts;
using Redoubt.Graph.Algorithms;
using Redoubt.Graph.Engine;
using Redoubt.Storage.Events;
using Redoubt.Storage.Graph;

namespace Redoubt.Summary;

/// <summary>
/// Computes the summary of a window [since, until) from the alert store, the graph and the ingestion
/// history, with the redaction policy applied to every value as it is written (the clear value never
/// enters the document). Used by GET /api/v1/summary and by the scheduled runs.
/// </summary>
public sealed class SummaryBuilder(AlertStore alerts, SecurityGraph graph, IngestHistory history, EventLog log,
    SummaryOptions options, RedactionPolicy policy, TimeProvider clock)
{
    private const long MinuteMs = 60_000, HourMs = 3_600_000;

    public RedactionPolicy Policy => policy;

    public async Task<SummaryDocument> BuildAsync(DateTimeOffset since, DateTimeOffset until, string? id, string? schedule, bool late, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var all = alerts.Query(_ => true);
        var s = since.ToUnixTimeMilliseconds();
        var u = until.ToUnixTimeMilliseconds();
        var active = all.Where(a => a.FirstSeenMs < u && a.LastSeenMs >= s).ToList();
        return new SummaryDocument
        {
            Id = id, Schedule = schedule, Since = since, Until = until, GeneratedAt = now, Late = late,
            Redaction = Info(policy),
            Alerts = new AlertSection
            {
                Active = new AlertCounts(active.Count, BySeverity(active)),
                ByRule = active.GroupBy(a => a.RuleId)
                    .Select(g => new RuleCount(g.Key, g.First().RuleTitle, g.First().Kind, AlertStates.SeverityName(g.Max(a => a.Severity)), g.Count(), g.Sum(a => a.Count)))
                    .OrderByDescending(r => r.Alerts).ThenBy(r => r.Id, StringComparer.Ordinal).ToList(),
                New = await ListAsync(all.Where(a => a.CreatedAtMs >= s && a.CreatedAtMs < u).ToList(), ct),
                Open = await ListAsync(all.Where(a => a.State != AlertStates.Closed).ToList(), ct),
            },
            TopRiskyEntities = RiskyEntities(active),
            AttackPaths = AttackPathsIn(s, u),
            Ingestion = Ingestion(s, Math.Min(u, now.ToUnixTimeMilliseconds()), u),
        };
    }

    public static RedactionInfo Info(RedactionPolicy p) => new(p.Name, p.SettingsHash, p.Settings);

    /// <summary>A window that could not be summarised: marked, with the policy (nothing else in it).</summary>
    public SummaryDocument Gap(DateTimeOffset since, DateTimeOffset until, string id, string schedule, int missed, string reason) => new()
    {
        Id = id, Schedule = schedule, Since = since, Until = until, GeneratedAt = clock.GetUtcNow(), Late = true,
        Redaction = Info(policy), Gap = new GapInfo(reason, missed),
    };

    private static Dictionary<string, int> BySeverity(IEnumerable<Alert> alerts)
    {
        var d = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var level in new[] { 5, 4, 3, 2, 1 }) d[AlertStates.SeverityName(level)] = 0;
        foreach (var a in alerts) d[AlertStates.SeverityName(a.Severity)]++;
        return d;
    }

    private async Task<AlertList> ListAsync(List<Alert> list, CancellationToken ct)
    {
        var byState = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var state in AlertStates.All) byState[state] = 0;
        foreach (var a in list) byState[a.State]++;
        var top = list.OrderByDescending(a => a.Risk).ThenByDescending(a => a.Severity).ThenByDescending(a => a.LastSeenMs)
            .ThenBy(a => a.Id, StringComparer.Ordinal).Take(options.MaxAlertsListed).ToList();
        var items = new List<AlertItem>(top.Count);
        foreach (var a in top) items.Add(await ItemAsync(a, ct));
        return new AlertList(list.Count, BySeverity(list), byState, items, list.Count > top.Count);
    }

    private async Task<AlertItem> ItemAsync(Alert a, CancellationToken ct)
    {
        string? message = null;
        if (!policy.OmitMessages && a.Evidence.Count > 0 && await log.GetAsync(a.Evidence[0], ct) is { Message: { } m })
            message = policy.Text(m, a.Entities.Select(e => (e.Key, e.Value)));
        return new AlertItem
        {
            Id = a.Id, Kind = a.Kind, RuleId = a.RuleId, RuleTitle = a.RuleTitle, Severity = AlertStates.SeverityName(a.Severity),
            Risk = a.Risk, State = a.State, Entities = Entities(a.Entities),
            FirstSeen = Time(a.FirstSeenMs), LastSeen = Time(a.LastSeenMs), CreatedAt = Time(a.CreatedAtMs), Count = a.Count,
            CrownJewelHops = a.Context?.Entities.Where(e => e.CrownJewelHops is not null).Select(e => e.CrownJewelHops).Min(),
            Message = message,
        };
    }

    /// <summary>Entity values redacted; an omitted one is left out altogether.</summary>
    private Dictionary<string, string> Entities(Dictionary<string, string> entities)
    {
        var d = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in entities.OrderBy(e => e.Key, StringComparer.Ordinal))
            if (policy.Entity(name, value) is var v && v != RedactionPolicy.Omitted) d[name] = v;
        return d;
    }

    private List<RiskyEntity> RiskyEntities(List<Alert> active)
    {
        var by = new Dictionary<(string, string), List<(Alert Alert, EntityContext? Context)>>();
        foreach (var a in active)
            foreach (var (name, value) in a.Entities)
            {
                if (value.Length == 0) continue;
                var key = (name, value);
                if (!by.TryGetValue(key, out var list)) by[key] = list = [];
                list.Add((a, a.Context?.Entities.FirstOrDefault(c => c.Entity == name && c.Value == value)));
            }
        return by.Select(kv =>
            {
                var (name, value) = kv.Key;
                var contexts = kv.Value.Select(x => x.Context).OfType<EntityContext>().ToList();
                return new RiskyEntity(name, policy.Entity(name, value), kv.Value.Max(x => x.Alert.Risk), kv.Value.Count,
                    AlertStates.SeverityName(kv.Value.Max(x => x.Alert.Severity)),
                    contexts.Select(c => c.Criticality).OrderByDescending(CriticalityRank).FirstOrDefault() ?? "unknown",
                    contexts.Where(c => c.CrownJewelHops is not null).Select(c => c.CrownJewelHops).Min(),
                    contexts.Count == 0 ? 0 : contexts.Max(c => c.BlastRadius));
            })
            .Where(e => e.Value != RedactionPolicy.Omitted)
            .OrderByDescending(e => e.MaxRisk).ThenByDescending(e => e.Alerts).ThenBy(e => e.Entity, StringComparer.Ordinal).ThenBy(e => e.Value, StringComparer.Ordinal)
            .Take(options.TopEntities).ToList();
    }

    private static int CriticalityRank(string c) => c switch { "low" => 1, "medium" => 2, "high" => 3, "critical" => 4, _ => 0 };

    /// <summary>
    /// New attack paths: among the cheapest paths to crown jewels in the graph as it is now, those with an
    /// edge first seen inside the window — a way in that the window opened. Deterministic for a past
    /// window as long as the graph keeps its edges, so a summary computed late says the same.
    /// </summary>
    private AttackPathSection AttackPathsIn(long since, long until)
    {
        var g = graph.Snapshot;
        var ends = new PathEnds(AttackPaths.DefaultSources(g, includeAlerted: true), AttackPaths.CrownJewels(g));
        var budget = new QueryBudget(new QueryLimits { MaxMillis = options.AttackPathBudgetMs, MaxResults = options.AttackPathCandidates, MaxVisits = 50_000_000 });
        var result = AttackPaths.Run(g, ends, options.AttackPathCandidates, null, EdgeFilter.All, budget);
        var fresh = new List<NewAttackPath>();
        foreach (var path in result.Paths)
        {
            var newEdges = new List<PathEdge>();
            foreach (var step in path.Steps)
            {
                var e = g.Edge(Step.Edge(step));
                if (e.FirstSeenMs >= since && e.FirstSeenMs < until)
                    newEdges.Add(new PathEdge(Ref(g, e.Source), e.Type.Name(), Ref(g, e.Target), Time(e.FirstSeenMs)));
            }
            if (newEdges.Count == 0) continue;
            fresh.Add(new NewAttackPath(Math.Round((double)path.Cost / AttackCostModel.Milli, 3), path.Hops, path.Nodes.Select(n => Ref(g, n)).ToList(), newEdges));
        }
        return new AttackPathSection
        {
            Examined = result.Paths.Count, ToCrownJewels = result.Paths.Count,
            Truncated = result.Truncated == BudgetHit.None || result.Truncated == BudgetHit.Results ? null : result.Truncated.ToString().ToLowerInvariant(),
            New = fresh,
        };
    }

    private string Ref(GraphSnapshot g, int node)
    {
        var kind = g.Kind(node).Name();
        return kind + ":" + policy.NodeKey(kind, g.Key(node));
    }

    private IngestionSection Ingestion(long since, long end, long until)
    {
        var lookback = since - 24 * HourMs;
        var volumeFrom = since - (since % HourMs);
        var volumeUntil = until % HourMs == 0 ? until : until - (until % HourMs) + HourMs;
        var hours = history.Hours(Math.Min(lookback, volumeFrom), Math.Max(end, volumeUntil));
        var startMinute = since / MinuteMs;
        var lookMinute = lookback / MinuteMs;
        var endMinute = Math.Max(startMinute, (end + MinuteMs - 1) / MinuteMs); // exclusive
        var sources = new Dictionary<string, (long Events, long Errors, long Truncated, HashSet<long> Minutes)>(StringComparer.Ordinal);
        foreach (var hour in hours)
        {
            var inVolume = hour.HourStartMs >= volumeFrom && hour.HourStartMs < volumeUntil;
            var hourMinute = hour.HourStartMs / MinuteMs;
            foreach (var (name, s) in hour.Sources)
            {
                if (!sources.TryGetValue(name, out var acc)) acc = (0, 0, 0, []);
                if (inVolume) acc = (acc.Events + s.Events, acc.Errors + s.ParseErrors, acc.Truncated + s.Truncated, acc.Minutes);
                for (var m = 0; m < 60; m++)
                    if ((s.Minutes & (1UL << m)) != 0 && hourMinute + m >= lookMinute && hourMinute + m < endMinute) acc.Minutes.Add(hourMinute + m);
                sources[name] = acc;
            }
        }
        var health = new List<SourceHealth>();
        foreach (var (name, acc) in sources)
        {
            if (acc.Minutes.Count == 0 && acc.Events == 0) continue;
            var inWindow = acc.Minutes.Where(m => m >= startMinute).ToList();
            var lastBefore = acc.Minutes.Where(m => m < startMinute).DefaultIfEmpty(long.MinValue).Max();
            var gaps = new List<SourceGap>();
            long? runStart = lastBefore == long.MinValue ? null : lastBefore + 1;
            if (runStart is null && inWindow.Count == 0) continue; // never seen in the lookback: nothing to say
            var cursor = runStart ?? startMinute;
            var leading = runStart is null; // a source first seen in the window: the silence before it is no gap
            foreach (var m in inWindow.Order().Append(endMinute))
            {
                var silent = m - cursor;
                if (silent >= options.GapMinutes && m > startMinute && !leading)
                    gaps.Add(new SourceGap(Time(cursor * MinuteMs), Time(m * MinuteMs), (int)silent, m == endMinute));
                cursor = m + 1;
                leading = false;
            }
            var last = acc.Minutes.Max();
            health.Add(new SourceHealth
            {
                Source = policy.Host(name), Events = acc.Events, ParseErrors = acc.Errors, ParseErrorRate = Rate(acc.Errors, acc.Events), Truncated = acc.Truncated,
                FirstSeen = inWindow.Count > 0 ? Time(inWindow.Min() * MinuteMs) : null,
                LastSeen = inWindow.Count > 0 ? Time(inWindow.Max() * MinuteMs) : null,
                Quiet = end - (last + 1) * MinuteMs >= options.QuietAfterMinutes!.Value * MinuteMs,
                Gaps = gaps,
            });
        }
        var ordered = health.OrderByDescending(h => h.Quiet).ThenByDescending(h => h.Gaps.Count > 0).ThenByDescending(h => h.ParseErrors > 0)
            .ThenByDescending(h => h.Events).ThenBy(h => h.Source, StringComparer.Ordinal).ToList();
        var events = health.Sum(h => h.Events);
        var errors = health.Sum(h => h.ParseErrors);
        return new IngestionSection
        {
            VolumeFrom = Time(volumeFrom), VolumeUntil = Time(volumeUntil),
            Events = events, ParseErrors = errors, ParseErrorRate = Rate(errors, events), Truncated = health.Sum(h => h.Truncated),
            GapMinutes = options.GapMinutes, QuietAfterMinutes = options.QuietAfterMinutes!.Value,
            SourcesTotal = health.Count, QuietSources = health.Count(h => h.Quiet), SourcesWithGaps = health.Count(h => h.Gaps.Count > 0),
            Sources = ordered.Take(options.MaxSourcesListed).ToList(), MoreNotListed = ordered.Count > options.MaxSourcesListed,
        };
    }

    private static double Rate(long part, long whole) => whole == 0 ? 0 : Math.Round((double)part / whole, 6);

    private static DateTimeOffset Time(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);
}

using System.Text.Json;
using Redoubt.Graph.Algorithms;
using Redoubt.Graph.Engine;
using Redoubt.Storage.Graph;

namespace Redoubt.Graph.Api;

/// <summary>How nodes, edges and paths look in the API (docs/graph.md). Costs are in units (milli-cost / 1000).</summary>
internal static class GraphJson
{
    public static double Units(long milli) => milli / (double)AttackCostModel.Milli;

    private static void Time(Utf8JsonWriter w, string name, long ms)
    {
        if (ms is long.MinValue or long.MaxValue) w.WriteNull(name);
        else w.WriteString(name, DateTimeOffset.FromUnixTimeMilliseconds(ms).ToString("o"));
    }

    public static void Node(Utf8JsonWriter w, GraphSnapshot g, int node)
    {
        w.WriteStartObject();
        w.WriteNumber("id", node);
        w.WriteString("kind", g.Kind(node).Name());
        w.WriteString("key", g.Key(node));
        w.WriteString("ref", NodeReferenceText(g, node));
        var flags = g.Flags(node);
        var extras = g.Extras(node);
        w.WriteStartArray("tags");
        foreach (var t in NodeTags.Names(flags)) w.WriteStringValue(t);
        foreach (var t in extras.Tags) w.WriteStringValue(t);
        w.WriteEndArray();
        if (g.Criticality(node) is var c and not Criticality.Unknown) w.WriteString("criticality", c.ToString().ToLowerInvariant());
        if (g.Cvss(node) is { } cvss) w.WriteNumber("cvss", cvss);
        if ((flags & NodeFlags.KnownExploited) != 0) w.WriteBoolean("knownExploited", true);
        if ((flags & NodeFlags.Alerted) != 0) w.WriteBoolean("alerted", true);
        Time(w, "firstSeen", g.FirstSeenMs(node));
        Time(w, "lastSeen", g.LastSeenMs(node));
        if (extras.Properties.Count > 0)
        {
            w.WriteStartObject("properties");
            foreach (var (k, v) in extras.Properties.OrderBy(p => p.Key, StringComparer.Ordinal)) w.WriteString(k, v);
            w.WriteEndObject();
        }
        w.WriteEndObject();
    }

    public static string NodeReferenceText(GraphSnapshot g, int node) => g.Kind(node).Name() + ":" + g.Key(node);

    /// <summary>An edge with its evidence: event ids (GET /api/v1/events/{id}) and imports.</summary>
    public static void Edge(Utf8JsonWriter w, GraphSnapshot g, SecurityGraph graph, int edge, int? step = null)
    {
        var e = g.Edge(edge);
        w.WriteStartObject();
        w.WriteNumber("id", edge);
        w.WriteString("type", e.Type.Name());
        w.WriteString("from", NodeReferenceText(g, e.Source));
        w.WriteString("to", NodeReferenceText(g, e.Target));
        w.WriteNumber("fromId", e.Source);
        w.WriteNumber("toId", e.Target);
        if (step is { } s)
        {
            w.WriteString("traversed", Step.IsReverse(s) ? "reverse" : "forward");
            w.WriteNumber("cost", Units(g.StepCost(s)));
            Exploit(w, g, s);
        }
        Time(w, "firstSeen", e.FirstSeenMs);
        Time(w, "lastSeen", e.LastSeenMs);
        w.WriteNumber("count", e.Count);
        w.WriteStartObject("evidence");
        var evidence = g.EvidenceOf(edge);
        w.WriteStartArray("events");
        foreach (var x in evidence) if (x.IsEvent) w.WriteNumberValue(x.EventId);
        w.WriteEndArray();
        w.WriteStartArray("imports");
        foreach (var x in evidence)
        {
            if (!x.IsImport) continue;
            var import = graph.FindImport(x.ImportId);
            w.WriteStartObject();
            w.WriteNumber("id", x.ImportId);
            if (import is not null)
            {
                w.WriteString("source", import.Source);
                Time(w, "at", import.AtMs);
            }
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteEndObject();
    }

    /// <summary>For a network step: the vulnerability that makes its exploit cost, when one does.</summary>
    private static void Exploit(Utf8JsonWriter w, GraphSnapshot g, int step)
    {
        var type = g.EdgeTypeOf(Step.Edge(step));
        if (!g.Costs.StepAddsExploit(type, Step.IsReverse(step))) return;
        var target = g.StepTarget(step);
        var exploit = g.ExploitCost(target);
        w.WriteStartObject("exploit");
        w.WriteNumber("cost", Units(exploit));
        var via = -1;
        foreach (var a in g.Out(target))
        {
            if (a.Type != EdgeType.HasVulnerability) continue;
            if (g.Costs.VulnerabilityCost(g.Cvss(a.Peer), (g.Flags(a.Peer) & NodeFlags.KnownExploited) != 0) == exploit) { via = a.Peer; break; }
        }
        if (via >= 0)
        {
            w.WriteString("vulnerability", NodeReferenceText(g, via));
            if (g.Cvss(via) is { } cvss) w.WriteNumber("cvss", cvss);
            w.WriteBoolean("knownExploited", (g.Flags(via) & NodeFlags.KnownExploited) != 0);
        }
        else w.WriteNull("vulnerability");
        w.WriteEndObject();
    }

    public static void Path(Utf8JsonWriter w, GraphSnapshot g, SecurityGraph graph, GraphPath p)
    {
        w.WriteStartObject();
        w.WriteNumber("cost", Units(p.Cost));
        w.WriteNumber("entryCost", Units(p.EntryCost));
        w.WriteNumber("hops", p.Hops);
        w.WriteStartArray("nodes");
        foreach (var n in p.Nodes) Node(w, g, n);
        w.WriteEndArray();
        w.WriteStartArray("edges");
        foreach (var s in p.Steps) Edge(w, g, graph, Step.Edge(s), s);
        w.WriteEndArray();
        w.WriteEndObject();
    }

    public static void Outcome(Utf8JsonWriter w, BudgetHit hit, long visits, double tookMs)
    {
        if (hit == BudgetHit.None) w.WriteNull("truncated");
        else
        {
            w.WriteString("truncated", "budget");
            w.WriteString("budgetHit", hit.ToString().ToLowerInvariant());
        }
        w.WriteNumber("visits", visits);
        w.WriteNumber("tookMs", Math.Round(tookMs, 3));
    }
}

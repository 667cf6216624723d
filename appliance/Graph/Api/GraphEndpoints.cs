using System.Diagnostics;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;
using Redoubt.Api.Access;
using Redoubt.Graph.Algorithms;
using Redoubt.Graph.Engine;
using Redoubt.Graph.Import;
using Redoubt.Graph.Store;
using EventLog = Redoubt.Storage.Events.EventLog;
using Redoubt.Storage.Graph;

namespace Redoubt.Graph.Api;

/// <summary>/api/v1/graph: lookups and path queries over the in-memory graph (graph:read), and the import (admin). See docs/graph.md.</summary>
public static class GraphEndpoints
{
    public static void Map(WebApplication app)
    {
        var graph = app.MapGroup("/api/v1/graph");
        graph.MapGet("/stats", Stats).RequireScope(Scopes.GraphRead);
        graph.MapGet("/nodes", Nodes).RequireScope(Scopes.GraphRead);
        graph.MapGet("/nodes/{id:int}", NodeById).RequireScope(Scopes.GraphRead);
        foreach (var (path, handler) in new (string, Func<GraphParameters, GraphContext, Task>)[]
        {
            ("/neighbourhood", NeighbourhoodQuery),
            ("/blast-radius", BlastRadiusQuery),
            ("/shortest-path", (p, c) => ShortestPath(p, c, 1)),
            ("/shortest-paths", (p, c) => ShortestPath(p, c, null)),
            ("/attack-paths", AttackPathsQuery),
            ("/choke-points", ChokePointsQuery),
        })
        {
            graph.MapGet(path, (HttpContext http) => Run(http, handler)).RequireScope(Scopes.GraphRead);
            graph.MapPost(path, (HttpContext http) => Run(http, handler)).RequireScope(Scopes.GraphRead);
        }
        graph.MapPost("/query", CypherQueryEndpoint.Handle).RequireScope(Scopes.GraphRead);
        graph.MapPost("/import", Import).RequireScope(Scopes.Admin);
    }

    /// <summary>What a handler needs: the snapshot it reads, the engine (for import names), configuration, the writer for the response.</summary>
    private sealed record GraphContext(HttpContext Http, GraphSnapshot Snapshot, SecurityGraph Graph, GraphQueryOptions Options, Utf8JsonWriter Json, Stopwatch Clock);

    private static async Task Run(HttpContext http, Func<GraphParameters, GraphContext, Task> handler)
    {
        var clock = Stopwatch.StartNew();
        var graph = http.RequestServices.GetRequiredService<SecurityGraph>();
        var options = http.RequestServices.GetRequiredService<GraphQueryOptions>();
        var snapshot = graph.Snapshot;
        GraphParameters parameters;
        var buffer = new MemoryStream();
        try
        {
            parameters = await GraphParameters.ReadAsync(http.Request, http.RequestAborted);
            await using var json = new Utf8JsonWriter(buffer);
            await handler(parameters, new GraphContext(http, snapshot, graph, options, json, clock));
            await json.FlushAsync(http.RequestAborted);
        }
        catch (GraphRequestException e)
        {
            await Error(http, e.Status, e.Code, e.Message);
            return;
        }
        catch (Exception e) when (Redoubt.Api.JsonText.IsInvalidString(e))
        {
            await Error(http, 400, Redoubt.Api.JsonText.Code, Redoubt.Api.JsonText.Message);
            return;
        }
        catch (ArgumentOutOfRangeException e)
        {
            // Limits the algorithms enforce themselves (hop limits, k) that a parameter check missed.
            http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Redoubt.Graph").LogInformation(e, "graph query refused");
            await Error(http, 400, "bad_parameter", $"{e.ParamName}: out of range");
            return;
        }
        http.Response.ContentType = "application/json";
        buffer.Position = 0;
        await buffer.CopyToAsync(http.Response.Body, http.RequestAborted);
    }

    private static async Task Error(HttpContext http, int status, string code, string message)
    {
        http.Response.StatusCode = status;
        await http.Response.WriteAsJsonAsync(new { error = code, message }, http.RequestAborted);
    }

    private static QueryBudget Budget(GraphParameters p, GraphContext c, int defaultResults) =>
        new(p.Limits(c.Options.Budget, defaultResults), c.Http.RequestAborted);

    private static async Task NeighbourhoodQuery(GraphParameters p, GraphContext c)
    {
        var g = c.Snapshot;
        var start = p.Node("node", g);
        var hops = p.Int("hops", 1, 1, LabelSearch.MaxHopLimit);
        var direction = p.Direction("direction");
        var filter = p.Filter();
        var budget = Budget(p, c, 1_000);
        p.RejectUnknown();
        var r = Neighbourhood.Run(g, start, hops, direction, filter, budget);
        var w = c.Json;
        w.WriteStartObject();
        w.WriteString("node", GraphJson.NodeReferenceText(g, start));
        w.WriteNumber("hops", hops);
        w.WriteStartArray("nodes");
        foreach (var n in r.Nodes)
        {
            w.WriteStartObject();
            w.WriteNumber("depth", n.Depth);
            w.WritePropertyName("node");
            GraphJson.Node(w, g, n.Node);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteStartArray("edges");
        foreach (var e in r.Edges) GraphJson.Edge(w, g, c.Graph, e);
        w.WriteEndArray();
        GraphJson.Outcome(w, r.Truncated, r.Visits, c.Clock.Elapsed.TotalMilliseconds);
        w.WriteEndObject();
        await Task.CompletedTask;
    }

    private static async Task BlastRadiusQuery(GraphParameters p, GraphContext c)
    {
        var g = c.Snapshot;
        var starts = p.Nodes("node", g, required: true);
        var depth = p.Int("depth", 6, 1, LabelSearch.MaxHopLimit);
        var maxCost = p.OptionalNumber("maxCost", 0, 1e9);
        var filter = p.Filter();
        var budget = Budget(p, c, 1_000);
        p.RejectUnknown();
        var r = BlastRadius.Run(g, starts, depth, maxCost is { } m ? (long)Math.Round(m * AttackCostModel.Milli) : null, filter, budget);
        var w = c.Json;
        w.WriteStartObject();
        w.WriteStartArray("from");
        foreach (var s in starts) w.WriteStringValue(GraphJson.NodeReferenceText(g, s));
        w.WriteEndArray();
        w.WriteNumber("depth", depth);
        w.WriteNumber("reachedCount", r.Reached.Count);
        w.WriteStartObject("byKind");
        foreach (var group in r.Reached.GroupBy(n => g.Kind(n.Node)).OrderBy(x => x.Key)) w.WriteNumber(group.Key.Name(), group.Count());
        w.WriteEndObject();
        var edges = new SortedSet<int>();
        w.WriteStartArray("reached");
        foreach (var n in r.Reached)
        {
            var path = r.Tree.PathTo(n.TreeIndex);
            w.WriteStartObject();
            w.WriteNumber("cost", GraphJson.Units(n.Cost));
            w.WriteNumber("hops", n.Hops);
            w.WriteNumber("minHops", n.MinHops);
            w.WritePropertyName("node");
            GraphJson.Node(w, g, n.Node);
            w.WriteStartArray("path");
            foreach (var x in path.Nodes) w.WriteNumberValue(x);
            w.WriteEndArray();
            w.WriteStartArray("steps");
            foreach (var s in path.Steps)
            {
                w.WriteStartObject();
                w.WriteNumber("edge", Step.Edge(s));
                w.WriteString("traversed", Step.IsReverse(s) ? "reverse" : "forward");
                w.WriteEndObject();
                edges.Add(Step.Edge(s));
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteStartArray("edges");
        foreach (var e in edges) GraphJson.Edge(w, g, c.Graph, e);
        w.WriteEndArray();
        GraphJson.Outcome(w, r.Truncated, r.Visits, c.Clock.Elapsed.TotalMilliseconds);
        w.WriteEndObject();
        await Task.CompletedTask;
    }

    private static async Task ShortestPath(GraphParameters p, GraphContext c, int? fixedK)
    {
        var g = c.Snapshot;
        var source = p.Node("source", g);
        var target = p.Node("target", g);
        var k = fixedK ?? p.Int("k", 5, 1, 100);
        var maxHops = p.OptionalInt("maxHops", 1, LabelSearch.MaxHopLimit);
        var filter = p.Filter();
        var budget = Budget(p, c, 100);
        p.RejectUnknown();
        var r = ShortestPaths.Find(g, PathEnds.Between(source, target), k, maxHops, filter, budget);
        WritePaths(c, r, w =>
        {
            w.WriteString("source", GraphJson.NodeReferenceText(g, source));
            w.WriteString("target", GraphJson.NodeReferenceText(g, target));
        });
        await Task.CompletedTask;
    }

    private static void WritePaths(GraphContext c, PathsResult r, Action<Utf8JsonWriter> header)
    {
        var w = c.Json;
        w.WriteStartObject();
        header(w);
        w.WriteStartArray("paths");
        foreach (var path in r.Paths) GraphJson.Path(w, c.Snapshot, c.Graph, path);
        w.WriteEndArray();
        GraphJson.Outcome(w, r.Truncated, r.Visits, c.Clock.Elapsed.TotalMilliseconds);
        w.WriteEndObject();
    }

    /// <summary>Sources and targets: as named, or by default compromised/internet-facing (and alerted, if asked) to crown jewels.</summary>
    private static PathEnds Ends(GraphParameters p, GraphSnapshot g)
    {
        var named = p.Nodes("source", g, required: false);
        var includeAlerted = p.Bool("includeAlerted", false);
        var targets = p.Nodes("target", g, required: false);
        var sources = named.Count > 0 ? named.Distinct().Select(n => (n, 0L)).ToList() : AttackPaths.DefaultSources(g, includeAlerted);
        return new PathEnds(sources, targets.Count > 0 ? targets.Distinct().ToList() : AttackPaths.CrownJewels(g));
    }

    private static void WriteEnds(Utf8JsonWriter w, GraphSnapshot g, PathEnds ends)
    {
        w.WriteNumber("sourceCount", ends.Sources.Count);
        w.WriteNumber("targetCount", ends.Targets.Count);
    }

    private static async Task AttackPathsQuery(GraphParameters p, GraphContext c)
    {
        var g = c.Snapshot;
        var ends = Ends(p, g);
        var k = p.Int("k", 10, 1, 100);
        var maxHops = p.OptionalInt("maxHops", 1, LabelSearch.MaxHopLimit);
        var filter = p.Filter();
        var budget = Budget(p, c, 100);
        p.RejectUnknown();
        var r = AttackPaths.Run(g, ends, k, maxHops, filter, budget);
        WritePaths(c, r, w => WriteEnds(w, g, ends));
        await Task.CompletedTask;
    }

    private static async Task ChokePointsQuery(GraphParameters p, GraphContext c)
    {
        var g = c.Snapshot;
        var ends = Ends(p, g);
        var filter = p.Filter();
        var limits = p.Limits(c.Options.Budget, 20);
        p.RejectUnknown();
        var top = limits.MaxResults;
        // The result limit caps the ranking, not the work (every source's paths count).
        var budget = new QueryBudget(limits with { MaxResults = int.MaxValue }, c.Http.RequestAborted);
        var r = ChokePoints.Run(g, ends, top, filter, budget);
        var w = c.Json;
        w.WriteStartObject();
        WriteEnds(w, g, ends);
        w.WriteNumber("pairs", r.Pairs);
        w.WriteStartObject("sources");
        w.WriteNumber("done", r.SourcesDone);
        w.WriteNumber("total", r.SourcesTotal);
        w.WriteEndObject();
        w.WriteStartArray("nodes");
        foreach (var x in r.Nodes)
        {
            w.WriteStartObject();
            w.WriteNumber("paths", x.Paths);
            w.WriteNumber("share", r.Pairs == 0 ? 0 : Math.Round(x.Paths / r.Pairs, 4));
            w.WritePropertyName("node");
            GraphJson.Node(w, g, x.Id);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteStartArray("edges");
        foreach (var x in r.Steps)
        {
            w.WriteStartObject();
            w.WriteNumber("paths", x.Paths);
            w.WriteNumber("share", r.Pairs == 0 ? 0 : Math.Round(x.Paths / r.Pairs, 4));
            w.WritePropertyName("edge");
            GraphJson.Edge(w, g, c.Graph, Step.Edge(x.Id), x.Id);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        GraphJson.Outcome(w, r.Truncated, r.Visits, c.Clock.Elapsed.TotalMilliseconds);
        w.WriteEndObject();
        await Task.CompletedTask;
    }

    private static IResult Stats(SecurityGraph graph, GraphStoreMirror mirror)
    {
        var s = graph.Snapshot;
        var (compacted, delta) = graph.EdgeLayout;
        var (nodeBytes, edgeBytes, indexBytes) = graph.ArrayBytes;
        return Results.Json(new
        {
            version = s.Version,
            nodes = s.NodeCount,
            edges = s.EdgeCount,
            compactedEdges = compacted,
            deltaEdges = delta,
            nodesByKind = GraphSchema.NodeKinds.ToDictionary(k => k.Name(), graph.CountOf),
            // Everything is in the graph store and reloaded at start: edges from events, inventory rows and graph imports (stored as events).
            loadedFromStore = new { nodes = mirror.LoadedNodes, edges = mirror.LoadedEdges, ms = (long)mirror.LoadDuration.TotalMilliseconds },
            importsPersisted = true,
            arrayBytes = new { nodes = nodeBytes, edges = edgeBytes, edgeIndex = indexBytes },
        });
    }

    private static async Task Nodes(HttpContext http, SecurityGraph graph, GraphQueryOptions options)
    {
        var g = graph.Snapshot;
        var q = http.Request.Query;
        foreach (var name in q.Keys)
            if (name is not ("kind" or "key" or "q" or "limit"))
            {
                await Error(http, 400, "unknown_parameter", $"unknown parameter '{name}' (this endpoint takes kind, key, q, limit)");
                return;
            }
        var kindText = q["kind"].ToString();
        NodeKind? kind = null;
        if (kindText.Length > 0)
        {
            if (!GraphSchema.TryParseNodeKind(kindText, out var k))
            {
                await Error(http, 400, "bad_parameter", $"kind: one of {string.Join(", ", GraphSchema.NodeKinds.Select(x => x.Name()))}");
                return;
            }
            kind = k;
        }
        var key = q["key"].ToString();
        if (key.Length > 0)
        {
            if (kind is null) { await Error(http, 400, "bad_parameter", "key: needs kind as well"); return; }
            if (!g.TryFind(kind.Value, key, out var id)) { await Error(http, 404, "unknown_node", $"no {kind.Value.Name()} with key '{key}' in the graph"); return; }
            await WriteNode(http, g, graph, id);
            return;
        }
        var text = q["q"].ToString();
        var limitText = q["limit"].ToString();
        var limit = 50;
        if (limitText.Length > 0 && (!int.TryParse(limitText, out limit) || limit < 1 || limit > 1000))
        {
            await Error(http, 400, "bad_parameter", "limit: a whole number from 1 to 1000");
            return;
        }
        if (kind is null && text.Length == 0) { await Error(http, 400, "bad_parameter", "give kind and key to look a node up, or kind and/or q (key contains, case-insensitive) to search"); return; }
        var budget = new QueryBudget(options.Budget, http.RequestAborted);
        var found = new List<int>();
        for (var v = 0; v < g.NodeCount && found.Count < limit; v++)
        {
            if (!budget.Spend()) break;
            if (kind is { } k && g.Kind(v) != k) continue;
            if (text.Length > 0 && !g.Key(v).Contains(text, StringComparison.OrdinalIgnoreCase)) continue;
            found.Add(v);
        }
        http.Response.ContentType = "application/json";
        await using var w = new Utf8JsonWriter(http.Response.Body);
        w.WriteStartObject();
        w.WriteStartArray("nodes");
        foreach (var v in found) GraphJson.Node(w, g, v);
        w.WriteEndArray();
        w.WriteBoolean("more", found.Count == limit);
        GraphJson.Outcome(w, budget.Hit, budget.Visits, 0);
        w.WriteEndObject();
        await w.FlushAsync(http.RequestAborted);
    }

    private static async Task NodeById(int id, HttpContext http, SecurityGraph graph)
    {
        var g = graph.Snapshot;
        if (id < 0 || id >= g.NodeCount) { await Error(http, 404, "unknown_node", $"no node with id {id} (ids are valid until the appliance restarts; kind and key are the lasting name)"); return; }
        await WriteNode(http, g, graph, id);
    }

    /// <summary>One node with its degree and its first edges each way (evidence included).</summary>
    private static async Task WriteNode(HttpContext http, GraphSnapshot g, SecurityGraph graph, int id)
    {
        const int EdgesShown = 100;
        http.Response.ContentType = "application/json";
        await using var w = new Utf8JsonWriter(http.Response.Body);
        w.WriteStartObject();
        w.WritePropertyName("node");
        GraphJson.Node(w, g, id);
        w.WriteNumber("outDegree", g.OutDegree(id));
        w.WriteNumber("inDegree", g.InDegree(id));
        w.WriteNumber("exploitCost", GraphJson.Units(g.ExploitCost(id)));
        w.WriteStartArray("out");
        var n = 0;
        foreach (var a in g.Out(id)) { if (n++ == EdgesShown) break; GraphJson.Edge(w, g, graph, a.Edge); }
        w.WriteEndArray();
        w.WriteStartArray("in");
        n = 0;
        foreach (var a in g.In(id)) { if (n++ == EdgesShown) break; GraphJson.Edge(w, g, graph, a.Edge); }
        w.WriteEndArray();
        w.WriteEndObject();
        await w.FlushAsync(http.RequestAborted);
    }

    private static async Task Import(HttpContext http, EventLog log, GraphStoreSink sink, ImportOptions options, TimeProvider clock, ILoggerFactory logs)
    {
        if (!InventoryImport.LimitBody(http, options.MaxBytes))
        {
            await Error(http, 413, "too_large", InventoryImport.TooLarge(options.MaxBytes));
            return;
        }
        JsonDocument doc;
        try
        {
            doc = await JsonDocument.ParseAsync(http.Request.Body, new JsonDocumentOptions { MaxDepth = 32 }, http.RequestAborted);
        }
        catch (JsonException e)
        {
            await Error(http, 400, "bad_json", $"the body is not valid JSON (line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1})");
            return;
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            await Error(http, 413, "too_large", InventoryImport.TooLarge(options.MaxBytes));
            return;
        }
        GraphDocument read;
        using (doc)
        {
            try { read = GraphImport.Read(doc.RootElement); }
            catch (GraphImport.DocumentException e)
            {
                await Error(http, 400, e.Code, e.Message);
                return;
            }
            catch (Exception e) when (Redoubt.Api.JsonText.IsInvalidString(e))
            {
                await Error(http, 400, Redoubt.Api.JsonText.Code, Redoubt.Api.JsonText.Message);
                return;
            }
        }
        // Durable before the answer: the items are events, which the graph sink applies in log order.
        var stored = await GraphImportEvents.StoreAsync(read, log, sink, clock.GetUtcNow().ToUnixTimeMilliseconds(), http.RequestAborted);
        var rejected = read.Errors.Count + read.ErrorsNotListed;
        logs.CreateLogger("Redoubt.Graph").LogInformation("graph import {Id} from {Source}: {Nodes} nodes, {Edges} edges stored as events {First}..{Last}, {Errors} rejected{Lag}",
            stored.ImportId, read.Source, read.Nodes.Count, read.Edges.Count, stored.FirstEvent, stored.LastEvent, rejected, stored.Applied ? "" : "; the graph has not applied them yet");
        // Nothing usable at all is the client's error; a partly good import is stored and reported.
        if (read.Nodes.Count + read.Edges.Count == 0 && rejected > 0) http.Response.StatusCode = 400;
        await http.Response.WriteAsJsonAsync(new
        {
            importId = stored.ImportId,
            source = read.Source,
            nodes = read.Nodes.Count,
            edges = read.Edges.Count,
            rejected,
            errors = read.Errors.Select(e => new { at = e.At, error = e.Code, message = e.Message }),
            errorsNotListed = read.ErrorsNotListed,
            persisted = true,
            applied = stored.Applied,
            events = stored.FirstEvent == 0 ? null : new { first = stored.FirstEvent, last = stored.LastEvent },
        }, http.RequestAborted);
    }
}

using Redoubt.Configuration;
using Redoubt.Graph.Algorithms;
using Redoubt.Graph.Api;
using Redoubt.Graph.Cypher;
using Redoubt.Graph.Engine;
using Redoubt.Storage.Graph;

namespace Redoubt.Graph;

/// <summary>The Graph section of the configuration.</summary>
public sealed class GraphQueryOptions
{
    /// <summary>Most any one query may use; a request can ask for less.</summary>
    public QueryLimits Budget { get; set; } = new();
    /// <summary>Budgets of POST /api/v1/graph/query (openCypher): time, rows, work, memory, path lengths, concurrency.</summary>
    public CypherLimits Query { get; set; } = new();
    public AttackCostOptions Costs { get; set; } = new();
    public GraphEngineOptions Engine { get; set; } = new();
}

public static class GraphSetup
{
    /// <summary>The in-memory graph loaded from the store, with the options it was built with.</summary>
    public sealed record Loaded(GraphQueryOptions Options, SecurityGraph Graph, GraphStoreMirror Mirror);

    /// <summary>The Graph section, checked: a bad cost table or budget stops start-up with the reason.</summary>
    public static GraphQueryOptions ReadOptions(IConfiguration configuration)
    {
        var options = configuration.GetSection("Graph").Get<GraphQueryOptions>() ?? new GraphQueryOptions();
        try { _ = new AttackCostModel(options.Costs); }
        catch (ArgumentException e) { throw new StartupException(e.Message, e); }
        if (options.Budget.MaxMillis < 1 || options.Budget.MaxResults < 1 || options.Budget.MaxVisits < 1)
            throw new StartupException("Graph:Budget: MaxMillis, MaxResults and MaxVisits must be at least 1");
        var q = options.Query;
        if (q.TimeoutMs < 1 || q.MaxRows < 1 || q.MaxExpansions < 1 || q.MaxMaterialized < 1 || q.MaxVarLength < 1 || q.MaxShortestPathHops < 1 || q.MaxConcurrent < 1 || q.ComplexityFactor <= 0)
            throw new StartupException("Graph:Query: TimeoutMs, MaxRows, MaxExpansions, MaxMaterialized, MaxVarLength, MaxShortestPathHops and MaxConcurrent must be at least 1, ComplexityFactor above 0");
        return options;
    }

    /// <summary>
    /// Loads the in-memory graph (one per process) from the graph store; it follows the store from then
    /// on. Call at start, before the fan-out applies anything. Any thread: Program runs it beside the
    /// other stores' opening.
    /// </summary>
    public static Loaded Load(GraphStore store, GraphQueryOptions options)
    {
        var graph = new SecurityGraph(new AttackCostModel(options.Costs), options.Engine);
        return new Loaded(options, graph, GraphStoreMirror.Attach(graph, store));
    }

    /// <summary>Registers the loaded graph, its mirror of the store and its options.</summary>
    public static void AddGraph(this WebApplicationBuilder builder, Loaded loaded)
    {
        builder.Services.AddSingleton(loaded.Options);
        builder.Services.AddSingleton(new CypherQueryGate(loaded.Options.Query.MaxConcurrent));
        builder.Services.AddSingleton(loaded.Graph);
        builder.Services.AddSingleton(loaded.Mirror);
    }
}

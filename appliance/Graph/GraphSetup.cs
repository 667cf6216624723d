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
    /// <summary>
    /// Registers the in-memory graph (one per process), loaded from the graph store now and following
    /// it from then on, and its options; a bad cost table stops start-up with the reason.
    /// </summary>
    public static void AddGraph(this WebApplicationBuilder builder, GraphStore store)
    {
        var options = builder.Configuration.GetSection("Graph").Get<GraphQueryOptions>() ?? new GraphQueryOptions();
        AttackCostModel costs;
        try { costs = new AttackCostModel(options.Costs); }
        catch (ArgumentException e) { throw new StartupException(e.Message, e); }
        if (options.Budget.MaxMillis < 1 || options.Budget.MaxResults < 1 || options.Budget.MaxVisits < 1)
            throw new StartupException("Graph:Budget: MaxMillis, MaxResults and MaxVisits must be at least 1");
        var q = options.Query;
        if (q.TimeoutMs < 1 || q.MaxRows < 1 || q.MaxExpansions < 1 || q.MaxMaterialized < 1 || q.MaxVarLength < 1 || q.MaxShortestPathHops < 1 || q.MaxConcurrent < 1 || q.ComplexityFactor <= 0)
            throw new StartupException("Graph:Query: TimeoutMs, MaxRows, MaxExpansions, MaxMaterialized, MaxVarLength, MaxShortestPathHops and MaxConcurrent must be at least 1, ComplexityFactor above 0");
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(new CypherQueryGate(q.MaxConcurrent));
        var graph = new SecurityGraph(costs, options.Engine);
        builder.Services.AddSingleton(graph);
        builder.Services.AddSingleton(GraphStoreMirror.Attach(graph, store));
    }
}

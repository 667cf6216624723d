using Redoubt.Configuration;
using Redoubt.Graph.Algorithms;
using Redoubt.Graph.Engine;
using Redoubt.Storage.Graph;

namespace Redoubt.Graph;

/// <summary>The Graph section of the configuration.</summary>
public sealed class GraphQueryOptions
{
    /// <summary>Most any one query may use; a request can ask for less.</summary>
    public QueryLimits Budget { get; set; } = new();
    public AttackCostOptions Costs { get; set; } = new();
    public GraphEngineOptions Engine { get; set; } = new();
    /// <summary>Largest import document accepted by POST /api/v1/graph/import.</summary>
    public long ImportMaxBytes { get; set; } = 256L * 1024 * 1024;
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
        builder.Services.AddSingleton(options);
        var graph = new SecurityGraph(costs, options.Engine);
        builder.Services.AddSingleton(graph);
        builder.Services.AddSingleton(GraphStoreMirror.Attach(graph, store));
    }
}

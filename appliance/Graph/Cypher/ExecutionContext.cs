using Redoubt.Graph.Algorithms;

namespace Redoubt.Graph.Cypher;

/// <summary>
/// Limits for one Cypher query (Graph:Query in configuration). A request may ask for less, never
/// more. Defaults suit an appliance that must keep ingesting while analysts query it.
/// </summary>
public sealed record CypherLimits
{
    /// <summary>Wall-clock time a query may run.</summary>
    public int TimeoutMs { get; init; } = 5_000;
    /// <summary>Rows returned; more are cut with a "truncated" marker (the rows sent are a correct prefix).</summary>
    public int MaxRows { get; init; } = 10_000;
    /// <summary>Work units: nodes scanned, relationships looked at, rows produced.</summary>
    public long MaxExpansions { get; init; } = 50_000_000;
    /// <summary>Rows or values held at once by ORDER BY, DISTINCT, aggregation and collect().</summary>
    public long MaxMaterialized { get; init; } = 2_000_000;
    /// <summary>Upper bound of a variable-length relationship (*1..n); * without a bound means up to this.</summary>
    public int MaxVarLength { get; init; } = 10;
    /// <summary>Hop limit of shortestPath/allShortestPaths searches written without an upper bound.</summary>
    public int MaxShortestPathHops { get; init; } = 32;
    /// <summary>The cost pre-check refuses a query whose estimated work exceeds MaxExpansions times this.</summary>
    public double ComplexityFactor { get; init; } = 100;
    /// <summary>Queries running at once; more wait up to a second, then get "busy".</summary>
    public int MaxConcurrent { get; init; } = Math.Max(1, Environment.ProcessorCount / 2);

    public static CypherLimits Default { get; } = new();

    public CypherLimits Lower(int? timeoutMs, int? maxRows) => this with
    {
        TimeoutMs = timeoutMs is { } t ? Math.Clamp(t, 1, TimeoutMs) : TimeoutMs,
        MaxRows = maxRows is { } r ? Math.Clamp(r, 1, MaxRows) : MaxRows,
    };
}

/// <summary>The state one running query shares across its operators: the row being built, the graph, parameters and budgets.</summary>
internal sealed class ExecutionContext
{
    public Value[] Row;
    public readonly ICypherGraph Graph;
    public readonly IReadOnlyDictionary<string, Value> Parameters;
    public readonly CypherLimits Limits;
    private readonly QueryBudget _budget;
    private long _materialized;
    private int _ticks;

    /// <summary>Comparisons (or like steps) between two readings of the clock in <see cref="Tick"/>.</summary>
    private const int TicksPerClock = 1024;

    public ExecutionContext(ICypherGraph graph, IReadOnlyDictionary<string, Value> parameters, CypherLimits limits, int slots, CancellationToken cancel, TimeProvider? clock = null)
    {
        Graph = graph;
        Parameters = parameters;
        Limits = limits;
        Row = new Value[slots];
        _budget = new QueryBudget(new QueryLimits { MaxMillis = limits.TimeoutMs, MaxResults = int.MaxValue, MaxVisits = limits.MaxExpansions }, cancel, clock);
    }

    public long Work => _budget.Visits;
    public long Materialized => _materialized;

    /// <summary>Counts work; ends the query when the time or work budget is used up.</summary>
    public void Spend(int units = 1)
    {
        if (_budget.Spend(units)) return;
        throw BudgetError();
    }

    /// <summary>
    /// One step of a phase that produces no rows (a sort's comparison, a percentile's sort): the clock
    /// and the cancellation are read every <see cref="TicksPerClock"/> steps, so ORDER BY over a
    /// million rows stops at its time budget instead of finishing the sort first. Work units are not
    /// counted: MaxExpansions keeps meaning nodes, relationships and rows.
    /// </summary>
    public void Tick()
    {
        if (++_ticks < TicksPerClock) return;
        _ticks = 0;
        if (!_budget.CheckClock()) throw BudgetError();
    }

    private CypherException BudgetError()
    {
        return _budget.Hit switch
        {
            BudgetHit.Time => new CypherException(CypherErrorKind.Budget, "time", $"the query ran past its time budget of {Limits.TimeoutMs} ms (Graph:Query:TimeoutMs); narrow the pattern or add a LIMIT") { AtRuntime = true },
            BudgetHit.Cancelled => new CypherException(CypherErrorKind.Budget, "cancelled", "the query was cancelled (the client went away)") { AtRuntime = true },
            _ => new CypherException(CypherErrorKind.Budget, "expansions", $"the query looked at more than {Limits.MaxExpansions:N0} nodes, relationships and rows (Graph:Query:MaxExpansions); narrow the pattern") { AtRuntime = true },
        };
    }

    /// <summary>Counts values held in memory by a blocking operator (sort, distinct, aggregation, collect).</summary>
    public void Hold(long n = 1)
    {
        _materialized += n;
        if (_materialized > Limits.MaxMaterialized)
            throw new CypherException(CypherErrorKind.Budget, "memory", $"the query holds more than {Limits.MaxMaterialized:N0} rows or values at once (Graph:Query:MaxMaterialized) for ORDER BY, DISTINCT, aggregation or collect()") { AtRuntime = true };
    }

    public void Release(long n) => _materialized -= n;

    /// <summary>
    /// Counts the elements of a list an expression builds (range(), comprehensions, concatenation,
    /// slices, list literals...) against MaxMaterialized, before the list is allocated, for the rest
    /// of the query: the engine cannot tell when such a list is dropped, so a query can build at most
    /// MaxMaterialized list elements in all. Without this, [x IN range(1,1000000) | range(1,1000)]
    /// reported "work": 2 while it allocated 16 GB.
    /// </summary>
    public void Build(long n)
    {
        _materialized += n;
        if (_materialized > Limits.MaxMaterialized)
            throw new CypherException(CypherErrorKind.Budget, "memory", $"the query builds or holds more than {Limits.MaxMaterialized:N0} values (Graph:Query:MaxMaterialized): lists made by expressions count, as do ORDER BY, DISTINCT, aggregation and collect()") { AtRuntime = true };
    }
}

/// <summary>A compiled expression: reads the context's row, returns a value.</summary>
internal delegate Value Eval(ExecutionContext ctx);

namespace Redoubt.Graph.Cypher;

/// <summary>A query's answer: columns, rows (at most MaxRows; <see cref="Truncated"/> says more existed), and what it cost.</summary>
public sealed record CypherResult(IReadOnlyList<string> Columns, IReadOnlyList<Value[]> Rows, bool Truncated, long Work, IReadOnlyList<string> Warnings, double EstimatedWork);

/// <summary>
/// The openCypher front end: text → tokens → syntax tree → plan → rows, over any
/// <see cref="ICypherGraph"/>. Errors are <see cref="CypherException"/>s with positions; budgets
/// (<see cref="CypherLimits"/>) end runaway queries with a clear error.
/// </summary>
public static class CypherEngine
{
    /// <summary>Parses and plans a read-only query (every compile-time error is raised here).</summary>
    public static CompiledQuery Prepare(string text, ICypherGraph graph, IReadOnlyDictionary<string, Value> parameters, CypherLimits limits) =>
        Planner.Compile(Parser.Parse(text), graph, parameters, limits);

    /// <summary>Builder mode for test graphs: CREATE is allowed. The API never calls this.</summary>
    internal static CompiledQuery PrepareWithCreate(string text, ICypherGraph graph, IReadOnlyDictionary<string, Value> parameters, CypherLimits limits) =>
        Planner.Compile(Parser.ParseWithCreate(text), graph, parameters, limits);

    public static CypherResult Execute(CompiledQuery query, ICypherGraph graph, IReadOnlyDictionary<string, Value> parameters, CypherLimits limits, CancellationToken cancel = default) =>
        Execute(query, graph, parameters, limits, cancel, clock: null);

    /// <param name="clock">The time budget's clock: the system's, unless a test steps its own.</param>
    internal static CypherResult Execute(CompiledQuery query, ICypherGraph graph, IReadOnlyDictionary<string, Value> parameters, CypherLimits limits, CancellationToken cancel, TimeProvider? clock)
    {
        var ctx = new ExecutionContext(graph, parameters, limits, query.Slots, cancel, clock);
        var rows = new List<Value[]>();
        var truncated = false;
        var columns = query.ColumnSlots;
        try
        {
            foreach (var _ in query.Root.Run(ctx))
            {
                if (rows.Count >= limits.MaxRows)
                {
                    truncated = true;
                    break;
                }
                var row = new Value[columns.Length];
                for (var i = 0; i < row.Length; i++) row[i] = ctx.Row[columns[i]];
                rows.Add(row);
                ctx.Spend();
            }
        }
        catch (CypherException e) when (!e.AtRuntime)
        {
            // Raised while running by code shared with the planner: still a runtime error.
            throw new CypherException(e.Kind, e.Code, e.PlainMessage, e.Line, e.Column) { AtRuntime = true };
        }
        return new CypherResult(query.Columns, rows, truncated, ctx.Work, query.Warnings, query.EstimatedWork);
    }

    public static CypherResult Run(string text, ICypherGraph graph, IReadOnlyDictionary<string, Value>? parameters = null, CypherLimits? limits = null, CancellationToken cancel = default)
    {
        parameters ??= new Dictionary<string, Value>();
        limits ??= CypherLimits.Default;
        return Execute(Prepare(text, graph, parameters, limits), graph, parameters, limits, cancel);
    }
}

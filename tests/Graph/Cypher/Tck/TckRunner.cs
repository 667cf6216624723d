using Redoubt.Graph.Cypher;
using Redoubt.Graph.Engine;

namespace Redoubt.Tests.Graph.Cypher.Tck;

public enum TckStatus { Passed, Failed, OutOfSubset, Ignored }

/// <summary>How one scenario went: passed, failed (with why), out of the subset (with the category), or marked @ignore by the TCK itself.</summary>
public sealed record TckOutcome(GherkinScenario Scenario, TckStatus Status, string Detail, bool RanOnEngine, bool PassedOnEngine, bool DetailCodeMatched = true);

/// <summary>
/// Runs TCK scenarios: sets the graph up with the scenario's CREATE statements in builder mode on a
/// <see cref="PropertyGraph"/>, runs the query under test read-only, and compares rows (in order or
/// not, lists ordered or not) or the expected error (class and phase; the detail code is reported).
/// A query our parser refuses as unsupported or as a write is out of the subset, counted by
/// category; anything else that does not match is a failure. Scenarios that need no setup also run
/// on an empty engine snapshot (<see cref="SnapshotGraph"/>), the appliance's own adapter.
/// </summary>
public sealed class TckRunner(string tckRoot)
{
    /// <summary>The language semantics, not the appliance's policy: deep enough for every TCK graph.</summary>
    public static readonly CypherLimits Limits = CypherLimits.Default with { MaxVarLength = 30, MaxShortestPathHops = 64, TimeoutMs = 20_000 };

    private sealed class Stop(TckStatus status, string detail) : Exception(detail)
    {
        public TckStatus Status { get; } = status;
        public string Detail { get; } = detail;
    }

    public TckOutcome Run(GherkinScenario s)
    {
        if (s.Tags.Contains("@ignore")) return new TckOutcome(s, TckStatus.Ignored, "@ignore in the TCK", false, false);
        var (status, detail, setup, codeMatched) = Execute(s, useEngine: false);
        var ranOnEngine = false;
        var passedOnEngine = false;
        if (status == TckStatus.Passed && !setup)
        {
            ranOnEngine = true;
            passedOnEngine = Execute(s, useEngine: true).Status == TckStatus.Passed;
        }
        return new TckOutcome(s, status, detail, ranOnEngine, passedOnEngine, codeMatched);
    }

    private (TckStatus Status, string Detail, bool Setup, bool CodeMatched) Execute(GherkinScenario s, bool useEngine)
    {
        var graph = new PropertyGraph();
        var setup = false;
        var codeMatched = true;
        var codeNote = "";
        var parameters = new Dictionary<string, Value>(StringComparer.Ordinal);
        CypherResult? result = null;
        CypherException? error = null;
        ICypherGraph queryGraph = graph;
        try
        {
            foreach (var step in s.Steps)
            {
                var text = step.Text;
                if (text is "an empty graph" or "any graph") graph = new PropertyGraph();
                else if (text.StartsWith("the ", StringComparison.Ordinal) && text.EndsWith(" graph", StringComparison.Ordinal))
                {
                    var name = text[4..^6];
                    setup = true;
                    Build(graph, File.ReadAllText(Path.Combine(tckRoot, "graphs", name, name + ".cypher")));
                }
                else if (text == "having executed:")
                {
                    setup = true;
                    Build(graph, step.DocString!);
                }
                else if (text == "parameters are:")
                {
                    foreach (var row in step.Table!) parameters[row[0]] = Evaluate(row[1]);
                }
                else if (text.StartsWith("there exists a procedure", StringComparison.Ordinal))
                    throw new Stop(TckStatus.OutOfSubset, "procedures (CALL)");
                else if (text is "executing query:" or "executing control query:")
                {
                    queryGraph = useEngine ? new SnapshotGraph(new SecurityGraph().Snapshot) : graph;
                    (result, error) = Query(step.DocString!, queryGraph, parameters);
                }
                else if (text.StartsWith("the result should be", StringComparison.Ordinal))
                {
                    if (error is not null) throw new Stop(TckStatus.Failed, $"expected rows, got {Describe(error)}");
                    Compare(result!, step, queryGraph);
                }
                else if (Gherkin.ErrorStep().Match(text) is { Success: true } m)
                {
                    if (error is null) throw new Stop(TckStatus.Failed, $"expected {m.Groups[1].Value} at {m.Groups[2].Value} ({m.Groups[3].Value}), got {result!.Rows.Count} rows");
                    var expectedClass = m.Groups[1].Value;
                    var actualClass = ClassOf(error.Kind);
                    var phase = m.Groups[2].Value;
                    var phaseOk = phase == "any time" || (phase == "runtime") == error.AtRuntime;
                    if (actualClass != expectedClass || !phaseOk)
                        throw new Stop(TckStatus.Failed, $"expected {expectedClass} at {phase} ({m.Groups[3].Value}), got {Describe(error)}");
                    codeMatched = m.Groups[3].Value == "*" || m.Groups[3].Value == error.Code;
                    if (!codeMatched) codeNote = $"expected detail {m.Groups[3].Value}, got {error.Code}: {error.PlainMessage}";
                }
                else if (text is "no side effects" or "the side effects should be:")
                {
                    // The query under test is read-only (a write is refused before it runs), so it changed nothing.
                    if (step.Table is { } t && t.Any(r => r.Length > 1 && r[1] != "0"))
                        throw new Stop(TckStatus.Failed, "expected side effects from a read-only query");
                }
                else throw new Stop(TckStatus.Failed, $"runner: unknown step '{text}'");
            }
            return (TckStatus.Passed, codeNote, setup, codeMatched);
        }
        catch (Stop stop)
        {
            return (stop.Status, stop.Detail, setup, codeMatched);
        }
    }

    private static (CypherResult?, CypherException?) Query(string query, ICypherGraph graph, Dictionary<string, Value> parameters)
    {
        try
        {
            return (CypherEngine.Run(query, graph, parameters, Limits), null);
        }
        catch (CypherException e) when (e.Kind is CypherErrorKind.Unsupported or CypherErrorKind.ReadOnly)
        {
            throw new Stop(TckStatus.OutOfSubset, Category(e));
        }
        catch (CypherException e)
        {
            return (null, e);
        }
        catch (Exception e)
        {
            throw new Stop(TckStatus.Failed, $"internal error {e.GetType().Name}: {e.Message} at {e.StackTrace?.Split('\n').FirstOrDefault()?.Trim()}");
        }
    }

    public static string Category(CypherException e) => e.Kind switch
    {
        CypherErrorKind.ReadOnly => "write clauses (CREATE, MERGE, SET, DELETE, REMOVE)",
        _ when e.Code == "UnknownFunction" => "function " + e.PlainMessage.Split('(')[0] + "()",
        _ => e.Code,
    };

    private static void Build(PropertyGraph graph, string text)
    {
        try
        {
            var empty = new Dictionary<string, Value>();
            var q = CypherEngine.PrepareWithCreate(text, graph, empty, Limits);
            CypherEngine.Execute(q, graph, empty, Limits);
        }
        catch (CypherException e) when (e.Kind is CypherErrorKind.Unsupported or CypherErrorKind.ReadOnly)
        {
            throw new Stop(TckStatus.OutOfSubset, "setup needs " + Category(e));
        }
        catch (Exception e)
        {
            throw new Stop(TckStatus.Failed, $"setup failed: {e.GetType().Name}: {e.Message}");
        }
    }

    /// <summary>A parameter value written as a Cypher literal.</summary>
    private static Value Evaluate(string literal)
    {
        try
        {
            return CypherEngine.Run($"RETURN {literal} AS v", new PropertyGraph(), null, Limits).Rows[0][0];
        }
        catch (CypherException e) when (e.Kind is CypherErrorKind.Unsupported)
        {
            throw new Stop(TckStatus.OutOfSubset, "parameter needs " + Category(e));
        }
    }

    private static string ClassOf(CypherErrorKind k) => k switch
    {
        CypherErrorKind.Syntax => "SyntaxError",
        CypherErrorKind.Type => "TypeError",
        CypherErrorKind.Argument => "ArgumentError",
        CypherErrorKind.ParameterMissing => "ParameterMissing",
        _ => k + "Error",
    };

    private static string Describe(CypherException e) => $"{ClassOf(e.Kind)} at {(e.AtRuntime ? "runtime" : "compile time")} ({e.Code}): {e.Message}";

    private static void Compare(CypherResult result, GherkinStep step, ICypherGraph g)
    {
        var text = step.Text;
        if (text == "the result should be empty")
        {
            if (result.Rows.Count != 0) throw new Stop(TckStatus.Failed, $"expected no rows, got {result.Rows.Count}: {Row(result, 0, g, false)}");
            return;
        }
        var ordered = text.Contains("in order", StringComparison.Ordinal);
        var ignoreListOrder = text.Contains("ignoring element order for lists", StringComparison.Ordinal);
        var table = step.Table!;
        var header = table[0];
        if (!header.Order(StringComparer.Ordinal).SequenceEqual(result.Columns.Order(StringComparer.Ordinal)))
            throw new Stop(TckStatus.Failed, $"expected columns {string.Join(", ", header)}, got {string.Join(", ", result.Columns)}");
        var index = header.Select(h => result.Columns.ToList().IndexOf(h)).ToArray();
        List<string> expected;
        try { expected = table.Skip(1).Select(r => string.Join(" | ", r.Select(c => TckValues.Expected(c, ignoreListOrder)))).ToList(); }
        catch (FormatException e) { throw new Stop(TckStatus.Failed, "runner cannot read an expected value: " + e.Message); }
        var actual = result.Rows.Select(r => string.Join(" | ", index.Select(i => TckValues.Actual(r[i], g, ignoreListOrder)))).ToList();
        if (!ordered)
        {
            expected.Sort(StringComparer.Ordinal);
            actual.Sort(StringComparer.Ordinal);
        }
        if (!expected.SequenceEqual(actual))
        {
            var missing = expected.Except(actual).Take(2);
            var extra = actual.Except(expected).Take(2);
            throw new Stop(TckStatus.Failed, $"rows differ ({actual.Count} vs {expected.Count} expected{(ordered ? ", in order" : "")}); missing: {string.Join("; ", missing)}; unexpected: {string.Join("; ", extra)}");
        }
    }

    private static string Row(CypherResult r, int i, ICypherGraph g, bool ignore) =>
        string.Join(" | ", r.Rows[i].Select(v => TckValues.Actual(v, g, ignore)));
}

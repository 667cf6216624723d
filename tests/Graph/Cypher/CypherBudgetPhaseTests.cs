using Redoubt.Graph.Cypher;
using Redoubt.Graph.Engine;
using Redoubt.Storage.Graph;

namespace Redoubt.Tests.Graph.Cypher;

/// <summary>
/// The time budget holds inside the phases that produce no rows: ORDER BY's sort and a percentile's
/// sort. The bug: the clock was read only as rows were produced, so a sort over a million nodes ran
/// to its end (~3.5x the budget) and returned a result. The clock here is a stepping clock (each
/// reading is one millisecond later), so the test says where the budget ran out without timing
/// anything: producing the rows reads it a few dozen times, sorting them hundreds of times.
/// </summary>
public sealed class CypherBudgetPhaseTests
{
    private const int Hosts = 50_000;

    private static readonly Lazy<SecurityGraph> Graph = new(() =>
    {
        var g = new SecurityGraph();
        // Keys in scrambled order, so the sort has work to do.
        g.Write(w => { for (var i = 0; i < Hosts; i++) w.Node(NodeKind.Host, $"host-{(long)i * 7919 % Hosts:D6}"); });
        return g;
    });

    /// <summary>Each reading of the clock is one millisecond after the previous one.</summary>
    private sealed class SteppingClock : TimeProvider
    {
        private long _now;
        public long Readings => _now;
        public override long TimestampFrequency => 1000;
        public override long GetTimestamp() => Interlocked.Increment(ref _now);
    }

    private static (CypherResult? Result, CypherException? Error, long Readings) Run(string query, int timeoutMs)
    {
        var graph = new SnapshotGraph(Graph.Value.Snapshot, Graph.Value);
        var empty = new Dictionary<string, Value>();
        var limits = CypherLimits.Default with { TimeoutMs = timeoutMs, MaxRows = Hosts };
        var compiled = CypherEngine.Prepare(query, graph, empty, limits);
        var clock = new SteppingClock();
        try
        {
            return (CypherEngine.Execute(compiled, graph, empty, limits, default, clock), null, clock.Readings);
        }
        catch (CypherException e)
        {
            return (null, e, clock.Readings);
        }
    }

    [Fact]
    public void Order_by_over_fifty_thousand_nodes_stops_inside_the_sort_with_the_time_budget_error()
    {
        // The same rows unsorted fit the budget: producing them reads the clock a few dozen times.
        var unsorted = Run("MATCH (h:Host) RETURN h.key AS k", timeoutMs: 300);
        Assert.Null(unsorted.Error);
        Assert.Equal(Hosts, unsorted.Result!.Rows.Count);
        Assert.True(unsorted.Readings < 300, $"producing the rows read the clock {unsorted.Readings} times");

        var sorted = Run("MATCH (h:Host) RETURN h.key AS k ORDER BY k", timeoutMs: 300);
        Assert.True(sorted.Error is not null, $"ORDER BY returned {sorted.Result?.Rows.Count} rows past its budget (the clock was read {sorted.Readings} times)");
        Assert.Equal(CypherErrorKind.Budget, sorted.Error.Kind);
        Assert.Equal("time", sorted.Error.Code);
        Assert.True(sorted.Error.AtRuntime);

        // With time enough the same sort finishes and is right: the check does not change the answer.
        var enough = Run("MATCH (h:Host) RETURN h.key AS k ORDER BY k DESC", timeoutMs: 1_000_000);
        Assert.Null(enough.Error);
        var keys = enough.Result!.Rows.Select(r => r[0].AsString).ToList();
        Assert.Equal(keys.OrderByDescending(k => k, StringComparer.Ordinal), keys);
        Assert.Equal(Hosts, keys.Distinct().Count());
    }

    [Fact]
    public void A_percentile_over_fifty_thousand_values_stops_inside_its_sort_with_the_time_budget_error()
    {
        var count = Run("MATCH (h:Host) RETURN count(h.key) AS n", timeoutMs: 300);
        Assert.Null(count.Error);
        Assert.Equal(Hosts, count.Result!.Rows[0][0].AsInt);

        const string percentile = "MATCH (h:Host) RETURN percentileDisc(toInteger(substring(h.key, 5)), 0.5) AS p";
        var cut = Run(percentile, timeoutMs: 300);
        Assert.True(cut.Error is not null, $"percentileDisc returned {cut.Result?.Rows[0][0]} past its budget (the clock was read {cut.Readings} times)");
        Assert.Equal(CypherErrorKind.Budget, cut.Error.Kind);
        Assert.Equal("time", cut.Error.Code);

        var enough = Run(percentile, timeoutMs: 1_000_000);
        Assert.Null(enough.Error);
        Assert.Equal(Hosts / 2 - 1, enough.Result!.Rows[0][0].AsInt);
    }
}

using Redoubt.Graph.Cypher;
using Redoubt.Graph.Engine;

namespace Redoubt.Tests.Graph.Cypher;

/// <summary>
/// Lists built inside expressions count against the query's budgets. The bug: range(), list
/// comprehensions and concatenation ran outside them ("work": 2), so one RETURN allocated 16 GB and
/// ran on past its time budget and after the client left. Now every list an expression builds counts
/// its elements against MaxMaterialized before it is allocated, and loops over list elements read
/// the clock and the cancellation every 1,024 elements.
/// </summary>
public sealed class CypherExpressionBudgetTests
{
    private static readonly Lazy<SecurityGraph> Graph = new(() => new SecurityGraph());

    /// <summary>Each reading of the clock is one millisecond after the previous one.</summary>
    private sealed class SteppingClock : TimeProvider
    {
        private long _now;
        public long Readings => _now;
        public override long TimestampFrequency => 1000;
        public override long GetTimestamp() => Interlocked.Increment(ref _now);
    }

    /// <summary>Cancels its source at the given reading: the client goes away while the query runs.</summary>
    private sealed class CancellingClock(CancellationTokenSource cancel, long atReading) : TimeProvider
    {
        private long _now;
        public override long TimestampFrequency => 1000;
        public override long GetTimestamp()
        {
            if (++_now == atReading) cancel.Cancel();
            return _now;
        }
    }

    private static (CypherResult? Result, CypherException? Error, long Readings) Run(string query, CypherLimits limits, CancellationToken cancel = default, TimeProvider? withClock = null)
    {
        var graph = new SnapshotGraph(Graph.Value.Snapshot, Graph.Value);
        var empty = new Dictionary<string, Value>();
        var compiled = CypherEngine.Prepare(query, graph, empty, limits);
        var clock = new SteppingClock();
        if (withClock is not null)
        {
            try { return (CypherEngine.Execute(compiled, graph, empty, limits, cancel, withClock), null, 0); }
            catch (CypherException e) { return (null, e, 0); }
        }
        try { return (CypherEngine.Execute(compiled, graph, empty, limits, cancel, clock), null, clock.Readings); }
        catch (CypherException e) { return (null, e, clock.Readings); }
    }

    private static CypherLimits Limits(long maxMaterialized = 2_000_000, int timeoutMs = 1_000_000) =>
        CypherLimits.Default with { MaxMaterialized = maxMaterialized, TimeoutMs = timeoutMs };

    private static void MemoryError((CypherResult? Result, CypherException? Error, long Readings) r)
    {
        Assert.True(r.Error is { Kind: CypherErrorKind.Budget, Code: "memory" }, r.Error?.ToString() ?? "no error");
        Assert.True(r.Error!.AtRuntime);
    }

    [Fact]
    public void A_comprehension_of_comprehensions_stops_with_the_memory_budget_error_before_allocating_past_it()
    {
        var before = GC.GetAllocatedBytesForCurrentThread();
        MemoryError(Run("RETURN [x IN range(1,1000000) | [y IN range(1,1000) | y]] AS z", Limits()));
        // 2,000,000 values are ~32 MB of Value structs plus list overhead; unbounded this is 16 GB.
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated < 400_000_000, $"allocated {allocated:N0} bytes");
    }

    [Theory]
    [InlineData("WITH range(1,500000) AS r RETURN size(r+r+r+r) AS n")]
    [InlineData("UNWIND range(1,10) AS i RETURN range(1,1000000) AS r")]
    [InlineData("UNWIND range(1,100000) AS i WITH collect(range(1,100)) AS c RETURN size(c) AS n")]
    [InlineData("WITH range(1,600000) AS r RETURN size(r[1..]) + size(tail(r)) + size(reverse(r)) AS n")]
    [InlineData("UNWIND range(1,1000000) AS i WITH [i, i, i] AS l RETURN count(l) AS n")]
    public void Concatenation_ranges_per_row_collected_lists_slices_and_literals_count_against_MaxMaterialized(string query)
    {
        MemoryError(Run(query, Limits()));
    }

    [Fact]
    public void Within_the_budget_the_answers_are_unchanged()
    {
        var r = Run("WITH range(1,1000) AS r RETURN size(r+r) AS a, size([x IN r WHERE x % 7 = 0 | x * 2]) AS b, size(r[10..20]) AS c, "
            + "[x IN range(1,3) | [y IN range(1,x) | y]] AS d, size(tail(r)) AS e", Limits(maxMaterialized: 10_000));
        Assert.Null(r.Error);
        var row = r.Result!.Rows[0];
        Assert.Equal([2000L, 142L, 10L, 999L], new[] { row[0], row[1], row[2], row[4] }.Select(v => v.AsInt));
        Assert.Equal("[[1], [1, 2], [1, 2, 3]]", Values.Format(row[3]));
        // A constant list literal is built once: IN [1, 2, 3] over many rows counts nothing.
        var c = Run("UNWIND range(1,5000) AS i WITH i WHERE i IN [1, 2, 3] RETURN count(*) AS n", Limits(maxMaterialized: 6_000));
        Assert.Null(c.Error);
        Assert.Equal(3, c.Result!.Rows[0][0].AsInt);
    }

    [Fact]
    public void A_comprehension_over_a_long_list_stops_at_its_time_budget()
    {
        // A big MaxMaterialized so only time can stop it; each clock reading is 1 ms, so 100 readings are the budget.
        var r = Run("RETURN size([x IN range(1,2000000) WHERE x % 7 = 0 | x * 2]) AS n", Limits(maxMaterialized: 100_000_000, timeoutMs: 100));
        Assert.True(r.Error is { Kind: CypherErrorKind.Budget, Code: "time" }, r.Error?.ToString() ?? "no error");
        Assert.True(r.Readings <= 110, $"{r.Readings} readings");
        // The same with time enough gives the answer.
        var ok = Run("RETURN size([x IN range(1,2000000) WHERE x % 7 = 0 | x * 2]) AS n", Limits(maxMaterialized: 100_000_000));
        Assert.Equal(2000000 / 7, ok.Result!.Rows[0][0].AsInt);
    }

    [Fact]
    public void A_cancelled_query_stops_inside_a_comprehension()
    {
        // Cancelled at the third reading of the clock: after the query started, while it builds the list.
        using var cancel = new CancellationTokenSource();
        var before = GC.GetAllocatedBytesForCurrentThread();
        var r = Run("RETURN size([x IN range(1,100000) | [x, x, x, x]]) AS n", Limits(maxMaterialized: 100_000_000), cancel.Token, new CancellingClock(cancel, 3));
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(r.Error is { Kind: CypherErrorKind.Budget, Code: "cancelled" }, r.Error?.ToString() ?? "no error");
        // Stopped within the first 1,024 elements, not after building the whole list (~14 MB) and
        // noticing the cancellation only when the row came out.
        Assert.True(allocated < 6_000_000, $"allocated {allocated:N0} bytes");
    }

    [Fact]
    public void Range_with_extreme_bounds_neither_overflows_nor_wraps()
    {
        var r = Run("RETURN range(-9223372036854775808, 9223372036854775807, 9223372036854775807) AS r", Limits());
        Assert.Null(r.Error);
        Assert.Equal([long.MinValue, -1L, long.MaxValue - 1], r.Result!.Rows[0][0].AsList.Select(v => v.AsInt));
        var big = Run("RETURN size(range(9223372036854775807, -9223372036854775808, -1)) AS n", Limits());
        Assert.True(big.Error is { Kind: CypherErrorKind.Argument, Code: "NumberOutOfRange" }, big.Error?.ToString() ?? "no error");
        Assert.Contains("at most 10,000,000", big.Error!.PlainMessage);
        var end = Run("RETURN range(9223372036854775806, 9223372036854775807) AS r, range(-9223372036854775807, -9223372036854775808, -1) AS s", Limits());
        Assert.Equal([long.MaxValue - 1, long.MaxValue], end.Result!.Rows[0][0].AsList.Select(v => v.AsInt));
        Assert.Equal([-long.MaxValue, long.MinValue], end.Result!.Rows[0][1].AsList.Select(v => v.AsInt));
    }
}

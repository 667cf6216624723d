using Redoubt.Graph.Cypher;
using Redoubt.Graph.Engine;

namespace Redoubt.Tests.Graph.Cypher;

/// <summary>
/// Deeply nested input is a syntax error with a position, not a stack overflow that ends the
/// process: the parser, the planner and the evaluator recurse once per level of nesting, so the
/// parser refuses more than <see cref="Parser.MaxNesting"/> levels.
/// </summary>
public sealed class CypherNestingTests
{
    private static CypherResult Run(string query)
    {
        var g = new SecurityGraph();
        return CypherEngine.Run(query, new SnapshotGraph(g.Snapshot, g));
    }

    /// <summary>Runs on a thread with a 1 MiB stack (less than a thread pool thread has), so a recursion the limit misses fails here and not only on the appliance.</summary>
    private static Exception? OnSmallStack(Action a)
    {
        Exception? error = null;
        var t = new Thread(() =>
        {
            try { a(); }
            catch (Exception e) { error = e; }
        }, 1024 * 1024);
        t.Start();
        t.Join();
        return error;
    }

    private static CypherException Refused(string query)
    {
        var e = Assert.IsType<CypherException>(OnSmallStack(() => Run(query)));
        Assert.Equal(CypherErrorKind.Syntax, e.Kind);
        Assert.Equal("NestingTooDeep", e.Code);
        Assert.Equal(1, e.Line);
        Assert.True(e.Column > 1, e.Message);
        Assert.Contains($"{Parser.MaxNesting} levels", e.PlainMessage);
        return e;
    }

    [Fact]
    public void Two_thousand_parentheses_are_a_syntax_error_at_the_level_past_the_limit()
    {
        var e = Refused("RETURN " + new string('(', 2000) + "1" + new string(')', 2000));
        // "RETURN " is 7 characters; the expression starts at column 8 and each '(' opens a level.
        Assert.Equal(8 + Parser.MaxNesting, e.Column);
    }

    [Theory]
    [InlineData("[", "]", 1500)]
    [InlineData("[", "]", 1000)]
    [InlineData("{a: ", "}", 1000)]
    [InlineData("size(", ")", 1000)]
    [InlineData("[x IN ", " | x]", 1000)]
    public void Deep_lists_maps_calls_and_comprehensions_are_a_syntax_error(string open, string close, int n)
    {
        Refused("RETURN " + string.Concat(Enumerable.Repeat(open, n)) + "1" + string.Concat(Enumerable.Repeat(close, n)));
    }

    [Theory]
    [InlineData("NOT ", "true")]
    [InlineData("- ", "1")]
    [InlineData("+ ", "1")]
    public void Long_runs_of_prefix_operators_are_a_syntax_error(string op, string operand)
    {
        Refused("RETURN " + string.Concat(Enumerable.Repeat(op, 5000)) + operand);
    }

    [Theory]
    [InlineData("1 + ", "1")]
    [InlineData("true OR ", "true")]
    [InlineData("2 ^ ", "1")]
    public void Long_operator_chains_are_a_syntax_error_because_the_tree_is_as_deep_as_the_chain(string op, string operand)
    {
        // Parsed by a loop, but the planner and the evaluator recurse along the chain.
        Refused("RETURN " + string.Concat(Enumerable.Repeat(op, 10_000)) + operand);
    }

    [Fact]
    public void Long_property_and_index_chains_and_deep_pattern_properties_are_a_syntax_error()
    {
        Refused("WITH {} AS m RETURN m" + string.Concat(Enumerable.Repeat(".a", 5000)));
        Refused("WITH [] AS l RETURN l" + string.Concat(Enumerable.Repeat("[0]", 5000)));
        Refused("MATCH (n {a: " + string.Concat(Enumerable.Repeat("[", 1000)) + "1" + string.Concat(Enumerable.Repeat("]", 1000)) + "}) RETURN n");
    }

    [Fact]
    public void Expressions_that_parse_both_as_a_pattern_and_as_an_expression_do_not_make_the_parser_backtrack_exponentially()
    {
        // [({k: [({k: ...})]})]: each level is tried as a pattern comprehension, then as a list.
        var n = 30;
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var error = OnSmallStack(() => Run("RETURN " + string.Concat(Enumerable.Repeat("[({k: ", n)) + "1" + string.Concat(Enumerable.Repeat("})]", n))));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"{watch.Elapsed}, {error}");
        var e = Assert.IsType<CypherException>(error);
        Assert.Equal(CypherErrorKind.Syntax, e.Kind);
        Assert.True(e.Line == 1 && e.Column > 1, e.Message);
        // A few levels parse as before (the map in a pattern comprehension that is not one is a list).
        Assert.Null(OnSmallStack(() => Run("RETURN " + string.Concat(Enumerable.Repeat("[({k: ", 3)) + "1" + string.Concat(Enumerable.Repeat("})]", 3)))));
    }

    [Fact]
    public void Nesting_up_to_the_limit_parses_plans_and_runs()
    {
        var depth = Parser.MaxNesting - 2;
        Exception? error = null;
        CypherResult? r = null;
        error = OnSmallStack(() => r = Run("RETURN " + new string('[', depth) + "1" + new string(']', depth) + " AS l, "
            + string.Concat(Enumerable.Repeat("1 + ", depth)) + "1 AS n"));
        Assert.Null(error);
        var v = r!.Rows[0][0];
        for (var i = 0; i < depth; i++) v = Assert.Single(v.AsList);
        Assert.Equal(1, v.AsInt);
        Assert.Equal(depth + 1, r.Rows[0][1].AsInt);
    }
}

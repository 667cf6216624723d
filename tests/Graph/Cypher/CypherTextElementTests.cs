using Redoubt.Graph.Cypher;
using Redoubt.Graph.Engine;

namespace Redoubt.Tests.Graph.Cypher;

/// <summary>
/// String functions count text elements, as size() does: they used to work on UTF-16 code units and
/// cut a surrogate pair in half (substring('🔥ab', 1, 1) was a lone low surrogate, invalid UTF-8 in the reply).
/// </summary>
public sealed class CypherTextElementTests
{
    private static string Text(string expression)
    {
        var g = new SecurityGraph();
        return CypherEngine.Run("RETURN " + expression + " AS s", new SnapshotGraph(g.Snapshot, g)).Rows[0][0].AsString;
    }

    [Theory]
    [InlineData("substring('🔥ab', 1, 1)", "a")]
    [InlineData("substring('🔥ab', 0, 1)", "🔥")]
    [InlineData("substring('a🔥b', 1)", "🔥b")]
    [InlineData("substring('a🔥b', 5)", "")]
    [InlineData("reverse('🔥ab')", "ba🔥")]
    [InlineData("reverse('abc')", "cba")]
    [InlineData("left('🔥ab', 1)", "🔥")]
    [InlineData("right('ab🔥', 1)", "🔥")]
    [InlineData("left('ab', 5)", "ab")]
    [InlineData("right('ab', 0)", "")]
    public void Substring_reverse_left_and_right_never_split_a_surrogate_pair(string expression, string expected)
    {
        Assert.Equal(expected, Text(expression));
    }
}

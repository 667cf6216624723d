using Redoubt.Storage.Graph;

namespace Redoubt.Tests.Graph;

/// <summary>
/// Node kind and edge type ids are persisted by the graph store and their names are API. If this
/// fails you renumbered or renamed one: put it back, and add new members at the end instead.
/// </summary>
public sealed class GraphSchemaTests
{
    [Fact]
    public void Node_kind_ids_and_names_are_frozen()
    {
        var expected = new (int Id, string Name)[]
        {
            (1, "Host"), (2, "IpAddress"), (3, "User"), (4, "Group"), (5, "Process"), (6, "Service"),
            (7, "Software"), (8, "Vulnerability"), (9, "DataStore"), (10, "Domain"), (11, "Alert"),
        };
        Assert.Equal(expected, GraphSchema.NodeKinds.Select(k => ((int)k, k.Name())));
        Assert.Equal(GraphSchema.NodeKindSlots, expected.Length + 1);
    }

    [Fact]
    public void Edge_type_ids_and_names_are_frozen()
    {
        var expected = new (int Id, string Name)[]
        {
            (1, "HAS_IP"), (2, "LOGGED_ON"), (3, "AUTHENTICATED_FROM"), (4, "CONNECTED_TO"), (5, "MEMBER_OF"),
            (6, "ADMIN_TO"), (7, "CAN_REACH"), (8, "RUNS"), (9, "HAS_VULNERABILITY"), (10, "STORES"),
            (11, "EXPOSED_TO_INTERNET"), (12, "RAISED"),
        };
        Assert.Equal(expected, GraphSchema.EdgeTypes.Select(t => ((int)t, t.Name())));
        Assert.Equal(GraphSchema.EdgeTypeSlots, expected.Length + 1);
    }

    [Fact]
    public void Names_parse_back_case_insensitively_and_unknown_names_do_not()
    {
        foreach (var t in GraphSchema.EdgeTypes)
        {
            Assert.True(GraphSchema.TryParseEdgeType(t.Name().ToLowerInvariant(), out var back));
            Assert.Equal(t, back);
        }
        foreach (var k in GraphSchema.NodeKinds)
        {
            Assert.True(GraphSchema.TryParseNodeKind(k.Name().ToUpperInvariant(), out var back));
            Assert.Equal(k, back);
        }
        Assert.False(GraphSchema.TryParseEdgeType("HasSession", out _));
        Assert.False(GraphSchema.TryParseNodeKind("Computer", out _));
        Assert.False(GraphSchema.TryParseNodeKind("", out _));
    }
}

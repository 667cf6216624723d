using Redoubt.Storage.Graph;

namespace Redoubt.Tests.Graph;

/// <summary>
/// Node kind and edge type numbers are stored in every graph store, and their names are the query
/// language's labels. If this test fails you renumbered or renamed one: put it back and append the new
/// one at the end instead (a changed number silently relabels every stored record).
/// </summary>
public sealed class GraphSchemaTests
{
    [Fact]
    public void Node_kind_numbers_and_names_are_frozen()
    {
        Assert.Equal(
            [(1, "Host"), (2, "IpAddress"), (3, "User"), (4, "Group"), (5, "Process"), (6, "Service"), (7, "Software"),
             (8, "Vulnerability"), (9, "DataStore"), (10, "Domain"), (11, "Alert"), (12, "Network")],
            GraphSchema.NodeKinds.Select(k => ((int)k, GraphSchema.Name(k))));
    }

    [Fact]
    public void Edge_type_numbers_and_names_are_frozen()
    {
        Assert.Equal(
            [(1, "HAS_IP"), (2, "LOGGED_ON"), (3, "AUTHENTICATED_FROM"), (4, "CONNECTED_TO"), (5, "MEMBER_OF"), (6, "ADMIN_TO"),
             (7, "CAN_REACH"), (8, "RUNS"), (9, "HAS_VULNERABILITY"), (10, "STORES"), (11, "EXPOSED_TO_INTERNET"), (12, "RAISED"),
             (13, "RESOLVES_TO"), (14, "LOGON_FAILED"), (15, "AUTH_FAILED_FROM"), (16, "CONNECTION_DENIED")],
            GraphSchema.EdgeTypes.Select(t => ((int)t, GraphSchema.Name(t))));
    }

    [Fact]
    public void Names_parse_back_and_unknown_names_do_not()
    {
        foreach (var t in GraphSchema.EdgeTypes) Assert.True(GraphSchema.TryParseEdgeType(GraphSchema.Name(t), out var back) && back == t);
        foreach (var k in GraphSchema.NodeKinds) Assert.True(GraphSchema.TryParseNodeKind(GraphSchema.Name(k), out var back) && back == k);
        Assert.False(GraphSchema.TryParseEdgeType("logged_on", out _));
        Assert.False(GraphSchema.TryParseNodeKind("3", out _));
        Assert.False(GraphSchema.TryParseNodeKind("Printer", out _));
    }

    [Fact]
    public void Stored_record_layout_is_frozen()
    {
        // GraphKey and GraphValue are written to disk as they are in memory.
        Assert.Equal(24, System.Runtime.CompilerServices.Unsafe.SizeOf<GraphKey>());
        Assert.Equal(64, System.Runtime.CompilerServices.Unsafe.SizeOf<GraphValue>());
        Assert.Equal(-1, GraphKey.NodeHeader);
        Assert.Equal(-2, GraphKey.NodeChunk);
    }
}

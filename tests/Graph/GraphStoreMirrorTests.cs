using Redoubt.Graph;
using Redoubt.Graph.Engine;
using Redoubt.Storage.Graph;

namespace Redoubt.Tests.Graph;

/// <summary>The in-memory graph follows the graph store live, time fields included (they used to wait for a restart).</summary>
public sealed class GraphStoreMirrorTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("redoubt-mirror-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private GraphStoreOptions Options() => new()
    {
        Directory = Path.Combine(_dir, "graph"), IndexSizeBytes = 1 << 20, MemorySizeBytes = 1 << 20, PageSizeBytes = 1 << 16, SegmentSizeBytes = 1 << 22,
    };

    private static (long First, long Last) Times(SecurityGraph graph, NodeKind kind, string key)
    {
        var g = graph.Snapshot;
        Assert.True(g.TryFind(kind, key, out var id), $"{kind}:{key} is not in the in-memory graph");
        return (g.FirstSeenMs(id), g.LastSeenMs(id));
    }

    [Fact]
    public async Task A_node_seen_again_without_a_property_or_edge_change_moves_its_times_in_the_live_graph_as_after_a_restart()
    {
        await using (var store = GraphStore.Open(Options()))
        {
            var graph = new SecurityGraph();
            GraphStoreMirror.Attach(graph, store);
            store.UpsertNode(NodeKind.Host, "web1", 5_000, new Dictionary<string, string> { ["os"] = "Debian 12" });
            Assert.Equal((5_000L, 5_000L), Times(graph, NodeKind.Host, "web1"));

            // Seen later, then earlier, with nothing else changing: only the times move (what a graph import's lastSeen and a re-import do).
            store.UpsertNode(NodeKind.Host, "web1", 9_000, new Dictionary<string, string> { ["os"] = "Debian 12" });
            store.UpsertNode(NodeKind.Host, "web1", 1_000);
            store.UpsertNode(NodeKind.Host, "web1", 7_000); // inside the range: nothing to widen
            Assert.Equal((1_000L, 9_000L), Times(graph, NodeKind.Host, "web1"));
            Assert.Equal("Debian 12", graph.Snapshot.Extras(graph.Snapshot.TryFind(NodeKind.Host, "web1", out var id) ? id : -1).Properties["os"]);
            store.MarkApplied(100);
        }

        // What a restart loads from the store is what the live graph already showed.
        await using (var reopened = GraphStore.Open(Options()))
        {
            var graph = new SecurityGraph();
            GraphStoreMirror.Attach(graph, reopened);
            Assert.Equal((1_000L, 9_000L), Times(graph, NodeKind.Host, "web1"));
        }
    }
}

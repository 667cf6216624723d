using FASTER.core;
using Redoubt.Storage;
using Redoubt.Storage.Graph;

namespace Redoubt.Tests.Graph;

public sealed class GraphStoreTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("redoubt-graph-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>Small pages and memory so tests cross pages and spill records to disk.</summary>
    private GraphStoreOptions Options(long memory = 1 << 20, CheckpointType type = CheckpointType.Snapshot) => new()
    {
        Directory = Path.Combine(_dir, "graph"),
        IndexSizeBytes = 1 << 20,
        MemorySizeBytes = memory,
        PageSizeBytes = 1 << 16,
        SegmentSizeBytes = 1 << 22,
        CheckpointType = type,
    };

    [Fact]
    public async Task Nodes_and_folded_edges_survive_a_reopen()
    {
        long alice, web1, ip;
        await using (var graph = GraphStore.Open(Options()))
        {
            Assert.Equal(0, graph.ResumeFrom);
            alice = graph.UpsertNode(NodeKind.User, "alice", 1_000, new Dictionary<string, string> { ["department"] = "finance" });
            web1 = graph.UpsertNode(NodeKind.Host, "web1", 2_000);
            ip = graph.UpsertNode(NodeKind.IpAddress, "10.0.0.7", 1_500);
            Assert.Equal(alice, graph.UpsertNode(NodeKind.User, "alice", 500)); // same node, first seen widened
            Assert.NotEqual(alice, graph.UpsertNode(NodeKind.Host, "alice", 500)); // another kind, another node

            graph.ObserveEdge(alice, EdgeType.LoggedOn, web1, 3_000, Provenance.FromEvent(640));
            graph.ObserveEdge(alice, EdgeType.LoggedOn, web1, 2_000, Provenance.FromEvent(128));
            graph.ObserveEdge(alice, EdgeType.LoggedOn, web1, 9_000, Provenance.FromEvent(4_096));
            graph.ObserveEdge(alice, EdgeType.LoggedOn, web1, 5_000, Provenance.FromEvent(1_024));
            graph.ObserveEdge(alice, EdgeType.LoggedOn, web1, 5_000, Provenance.FromEvent(1_024)); // same event twice: counted, id kept once
            graph.ObserveEdge(alice, EdgeType.AuthenticatedFrom, ip, 3_000, Provenance.FromEvent(640));
            graph.ObserveEdge(web1, EdgeType.HasIp, ip, 7_000, Provenance.FromImport(3));
            graph.MarkApplied(5_000);
        }

        await using (var again = GraphStore.Open(Options()))
        {
            Assert.Equal(5_000, again.ResumeFrom);
            Assert.Equal(5_000, again.CheckpointedUntil);
            Assert.Equal(4, again.NodeCount);
            Assert.Equal(3, again.EdgeCount);
            Assert.Equal(7, again.Observations);
            var node = again.GetNode(alice)!;
            Assert.Equal((NodeKind.User, "alice", 500L, 1_000L), (node.Kind, node.Key, node.FirstSeenMs, node.LastSeenMs));
            Assert.Equal("finance", node.Properties["department"]);
            Assert.True(again.TryFindNode(NodeKind.IpAddress, "10.0.0.7", out var foundIp) && foundIp == ip);

            var edges = again.Edges().ToDictionary(e => (e.Source, e.Type, e.Target));
            var logon = edges[(alice, EdgeType.LoggedOn, web1)];
            Assert.Equal((2_000L, 9_000L, 5L, 128L, 0L), (logon.FirstSeenMs, logon.LastSeenMs, logon.Count, logon.FirstEventId, logon.ImportId));
            Assert.Equal([4_096L, 1_024, 640], logon.RecentEventIds);
            var declared = edges[(web1, EdgeType.HasIp, ip)];
            Assert.Equal((1L, 3L, 0L), (declared.Count, declared.ImportId, declared.FirstEventId));
            Assert.Empty(declared.RecentEventIds);
        }
    }

    [Theory]
    [InlineData(CheckpointType.Snapshot)]
    [InlineData(CheckpointType.FoldOver)]
    public async Task Many_edges_on_disk_are_counted_exactly_across_checkpoints(CheckpointType type)
    {
        // 20,000 distinct edges × 96-byte records ≈ 2 MB in 256 KiB of memory: most RMWs go to disk.
        const int hosts = 200, users = 100, rounds = 3;
        var expected = new Dictionary<(long, long), long>();
        await using (var graph = GraphStore.Open(Options(memory: 1 << 18, type: type)))
        {
            var h = Enumerable.Range(0, hosts).Select(i => graph.UpsertNode(NodeKind.Host, $"h{i}", i)).ToArray();
            var u = Enumerable.Range(0, users).Select(i => graph.UpsertNode(NodeKind.User, $"u{i}", i)).ToArray();
            long eventId = 64;
            for (var round = 0; round < rounds; round++)
            {
                for (var i = 0; i < users; i++)
                    for (var j = 0; j < hosts; j++)
                    {
                        if ((i + j + round) % 3 == 0) continue; // rounds overlap partly: some edges seen 3×, some 2×
                        graph.ObserveEdge(u[i], EdgeType.AdminTo, h[j], eventId, Provenance.FromEvent(eventId));
                        expected[(u[i], h[j])] = expected.GetValueOrDefault((u[i], h[j])) + 1;
                        eventId += 8;
                    }
                graph.MarkApplied(eventId);
                await graph.CheckpointAsync();
            }
            Assert.Equal(expected.Count, graph.EdgeCount);
        }

        await using var again = GraphStore.Open(Options(memory: 1 << 18, type: type));
        var edges = again.Edges().ToList();
        Assert.Equal(expected.Count, edges.Count);
        Assert.Equal(expected.Count, edges.Select(e => (e.Source, e.Target)).Distinct().Count());
        Assert.All(edges, e => Assert.Equal(expected[(e.Source, e.Target)], e.Count));
        Assert.Equal(expected.Values.Sum(), again.Observations);
        Assert.Equal(300, again.NodeCount);
    }

    [Fact]
    public async Task Compaction_bounds_the_log_and_keeps_every_edge()
    {
        // The same 5,000 edges observed in 12 rounds, memory far smaller than the log: every round
        // copies the edges it touches to the tail, so without compaction the log keeps growing.
        var options = new GraphStoreOptions
        {
            Directory = Path.Combine(_dir, "graph"), IndexSizeBytes = 1 << 20, MemorySizeBytes = 1 << 17, PageSizeBytes = 1 << 14,
            SegmentSizeBytes = 1 << 20, CompactionMinBytes = 0, CompactWhenLogExceedsLive = 2.0,
        };
        const int nodes = 100, rounds = 12;
        long eventId = 64;
        await using (var graph = GraphStore.Open(options))
        {
            for (var i = 0; i < nodes; i++) graph.UpsertNode(NodeKind.Host, $"h{i}", 0);
            for (var round = 0; round < rounds; round++)
            {
                for (var i = 1; i <= nodes; i++)
                    for (var j = 1; j <= 50; j++)
                        graph.ObserveEdge(i, EdgeType.CanReach, (i + j) % nodes + 1, round, Provenance.FromEvent(eventId += 8));
                graph.MarkApplied(eventId);
                await graph.CheckpointAsync();
            }
            Assert.True(graph.Compactions > 0, "the log never reached the compaction threshold");
            var live = (graph.EdgeCount + 2 * graph.NodeCount) * 96;
            Assert.True(graph.LogBytes < 4 * live + options.MemorySizeBytes, $"log {graph.LogBytes} bytes for {live} live bytes");
        }
        await using var again = GraphStore.Open(options);
        var edges = again.Edges().ToList();
        Assert.Equal(nodes * 50, edges.Count);
        Assert.All(edges, e => Assert.Equal(rounds, e.Count));
        Assert.Equal(nodes, again.NodeCount);
    }

    [Fact]
    public async Task Long_properties_span_chunks_and_a_later_change_replaces_them()
    {
        var long1 = new string('x', 500);
        long id;
        await using (var graph = GraphStore.Open(Options()))
        {
            id = graph.UpsertNode(NodeKind.DataStore, "payroll-db", 1, new Dictionary<string, string> { ["description"] = long1, ["crownJewel"] = "true" });
            graph.MarkApplied(100);
            await graph.CheckpointAsync();
            graph.UpsertNode(NodeKind.DataStore, "payroll-db", 2, new Dictionary<string, string> { ["description"] = "short" });
            graph.MarkApplied(200);
        }
        await using var again = GraphStore.Open(Options());
        var node = again.GetNode(id)!;
        Assert.Equal("short", node.Properties["description"]);
        Assert.Equal("true", node.Properties["crownJewel"]);
        Assert.Equal(2, node.LastSeenMs);
    }

    [Fact]
    public async Task Observing_an_edge_between_unknown_nodes_is_refused()
    {
        await using var graph = GraphStore.Open(Options());
        var a = graph.UpsertNode(NodeKind.Host, "a", 1);
        Assert.Throws<ArgumentOutOfRangeException>(() => graph.ObserveEdge(a, EdgeType.ConnectedTo, 99, 1, Provenance.FromEvent(64)));
        Assert.Throws<ArgumentOutOfRangeException>(() => graph.ObserveEdge(a, (EdgeType)999, a, 1, Provenance.FromEvent(64)));
        Assert.Throws<ArgumentOutOfRangeException>(() => Provenance.FromEvent(0));
        Assert.Throws<ArgumentException>(() => graph.UpsertNode(NodeKind.Host, "", 1));
    }

    [Fact]
    public void A_graph_store_of_another_format_version_is_refused()
    {
        var options = Options();
        Directory.CreateDirectory(options.Directory);
        File.WriteAllText(Path.Combine(options.Directory, StoreFormat.FileName), """{"Kind":"redoubt-graph-store","Version":7}""");
        Assert.Contains("version 7", Assert.Throws<StoreFormatException>(() => GraphStore.Open(options)).Message);
    }

    [Fact]
    public void Edge_folding_does_not_depend_on_the_order_operations_complete_in()
    {
        // Pending RMWs (records on disk) may complete in another order than issued: the fold must not care.
        var inputs = new[] { (t: 50L, id: 640L), (30, 128), (90, 4096), (70, 1024), (70, 1024), (10, 0) };
        GraphValue Fold(IEnumerable<(long t, long id)> order)
        {
            GraphValue v = default;
            var first = true;
            foreach (var (t, id) in order)
            {
                var input = new EdgeInput { TimeMs = t, EventId = id, ImportId = id == 0 ? 5 : 0 };
                if (first) { EdgeFold.Initial(ref v, ref input); first = false; } else EdgeFold.Add(ref v, ref input);
            }
            return v;
        }
        var reference = Fold(inputs);
        var random = new Random(7);
        for (var i = 0; i < 50; i++)
        {
            var v = Fold(inputs.OrderBy(_ => random.Next()).ToArray());
            Assert.Equal((reference.Count, reference.FirstEventId, reference.FirstSeenMs, reference.LastSeenMs, reference.LastEventId, reference.SecondLastEventId, reference.ThirdLastEventId, reference.ImportId),
                (v.Count, v.FirstEventId, v.FirstSeenMs, v.LastSeenMs, v.LastEventId, v.SecondLastEventId, v.ThirdLastEventId, v.ImportId));
        }
        Assert.Equal((6L, 10L, 90L, 4096L, 1024L, 640L, 5L), (reference.Count, reference.FirstSeenMs, reference.LastSeenMs, reference.LastEventId, reference.SecondLastEventId, reference.ThirdLastEventId, reference.ImportId));
    }
}

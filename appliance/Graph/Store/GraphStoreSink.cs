using Microsoft.Extensions.Options;
using Redoubt.Commit;
using Redoubt.Configuration;
using Redoubt.Graph.Extraction;
using Redoubt.Storage.Events;
using Redoubt.Storage.Graph;

namespace Redoubt.Graph.Store;

/// <summary>
/// Keeps the graph store up to date with the event log: every committed event goes through every
/// <see cref="IGraphExtractor"/>; checkpoints carry the applied address, so on start the fan-out
/// replays exactly the events after the last checkpoint.
/// </summary>
public sealed class GraphStoreSink : CheckpointedSink
{
    private readonly GraphStore _graph;
    private readonly IGraphExtractor[] _extractors;

    public GraphStoreSink(GraphStore graph, IEnumerable<IGraphExtractor> extractors, EventLog log, IOptions<RedoubtOptions> options, ILogger<GraphStoreSink> logger)
        : base(graph, Schedule(options.Value.Graph), logger)
    {
        _graph = graph;
        _extractors = extractors.ToArray();
        if (graph.ResumeFrom > 0 && graph.ResumeFrom < log.BeginAddress)
            logger.LogError("graph store checkpoint is at event {Resume} but the event log begins at {Begin}: edges from the events between are missing (the log was truncated past the graph's retention floor)",
                graph.ResumeFrom, log.BeginAddress);
        logger.LogInformation("graph store: {Nodes} nodes, {Edges} edges, opened in {Ms} ms; replaying events from {Resume}",
            graph.NodeCount, graph.EdgeCount, (long)graph.OpenDuration.TotalMilliseconds, graph.ResumeFrom);
    }

    private static CheckpointSchedule Schedule(GraphOptions o) => new()
    {
        Interval = TimeSpan.FromSeconds(o.CheckpointSeconds),
        AfterEvents = o.CheckpointAfterEvents,
    };

    public override string Name => "graph";

    public override IReadOnlyDictionary<string, long> Counters => new Dictionary<string, long>
    {
        ["nodes"] = _graph.NodeCount,
        ["edges"] = _graph.EdgeCount,
        ["observations"] = _graph.Observations,
        ["checkpoints"] = _graph.Checkpoints,
        ["lastCheckpointMs"] = (long)_graph.LastCheckpointDuration.TotalMilliseconds,
    };

    protected override void ApplyToStore(in StoredEvent stored)
    {
        foreach (var extractor in _extractors) extractor.Extract(stored, _graph);
    }
}

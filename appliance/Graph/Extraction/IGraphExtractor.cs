using Redoubt.Storage.Events;
using Redoubt.Storage.Graph;

namespace Redoubt.Graph.Extraction;

/// <summary>
/// Turns one committed event into graph changes (nodes upserted, edges observed with the event as
/// provenance). Registered in DI (`AddSingleton&lt;IGraphExtractor, X&gt;()`); the graph sink runs every
/// extractor on every event, in log order, on its own task. Must be deterministic: after a crash the
/// events since the last checkpoint are extracted again. The shipped one is <see cref="RuleExtractor"/> (the YAML rules).
/// </summary>
public interface IGraphExtractor
{
    void Extract(in StoredEvent stored, IGraphWrites graph);
}

using Redoubt.Storage.Events;

namespace Redoubt.Commit;

/// <summary>
/// A consumer of durable events: detection, graph extraction, anything derived from the log.
/// The <see cref="EventFanout"/> feeds every sink from one task, in log order, only events that are
/// committed, so what a sink derives can always be rebuilt by replaying the log from its resume point.
/// Apply runs on the fan-out task: keep it fast and never block on I/O.
/// </summary>
public interface IEventSink
{
    /// <summary>Short stable name, shown in /api/v1/stats.</summary>
    string Name { get; }

    /// <summary>
    /// First event address this sink has not applied (from its last durable checkpoint; 0 when
    /// fresh). Read once at start; the fan-out replays from there.
    /// </summary>
    long ResumeFrom { get; }

    /// <summary>Applies one committed event. An exception is counted and logged; the sink keeps receiving.</summary>
    void Apply(in StoredEvent stored);

    /// <summary>The fan-out has caught up with the log for now: flush batched work.</summary>
    void Idle() { }
}

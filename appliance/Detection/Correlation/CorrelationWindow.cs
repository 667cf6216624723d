using MessagePack;

namespace Redoubt.Detection.Correlation;

/// <summary>One event inside a correlation window: its event time, id and (value_count) the counted value.</summary>
[MessagePackObject]
public sealed class WindowEntry
{
    [Key(0)] public long Time { get; set; }
    [Key(1)] public long EventId { get; set; }
    [Key(2)] public string? Value { get; set; }
    /// <summary>temporal / temporal_ordered: which input (rule) of the correlation it is.</summary>
    [Key(3)] public int Input { get; set; }
}

/// <summary>
/// The state of one correlation for one group (one combination of group-by values). Serialized into
/// the detection checkpoint (MessagePack, keys frozen) so a restart resumes windows exactly.
/// </summary>
[MessagePackObject]
public sealed class CorrelationWindow
{
    [Key(0)] public required string CorrelationId { get; set; }
    [Key(1)] public required string Group { get; set; }
    /// <summary>The group-by values, in group-by order.</summary>
    [Key(2)] public required string[] GroupValues { get; set; }
    /// <summary>The events in the window, ordered by event time (temporal types: each with its input).</summary>
    [Key(3)] public List<WindowEntry> Entries { get; set; } = [];
    /// <summary>Windows decided at their end (conditions with an upper bound): the window's first event time, or long.MinValue when none is open.</summary>
    [Key(4)] public long Start { get; set; } = long.MinValue;
    /// <summary>Latest event time seen in this window.</summary>
    [Key(8)] public long MaxTime { get; set; } = long.MinValue;
    /// <summary>Arrival order of the last change, for least-recently-used eviction.</summary>
    [Key(9)] public long Touched { get; set; }

    [IgnoreMember] internal LinkedListNode<CorrelationWindow>? Lru;
    [IgnoreMember] internal Dictionary<string, int>? ValueCounts;
}

/// <summary>The correlation engine's state at a checkpoint.</summary>
[MessagePackObject]
public sealed class CorrelationSnapshot
{
    [Key(0)] public long Watermark { get; set; } = long.MinValue;
    [Key(1)] public long Sequence { get; set; }
    [Key(2)] public List<CorrelationWindow> Windows { get; set; } = [];
}

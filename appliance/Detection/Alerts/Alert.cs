using MessagePack;

namespace Redoubt.Detection.Alerts;

/// <summary>Triage states and resolutions; names are part of the API.</summary>
public static class AlertStates
{
    public const string New = "new", Acknowledged = "acknowledged", InProgress = "in_progress", Closed = "closed";
    public static readonly string[] All = [New, Acknowledged, InProgress, Closed];
    public const string TruePositive = "true_positive", FalsePositive = "false_positive", Benign = "benign";
    public static readonly string[] Resolutions = [TruePositive, FalsePositive, Benign];

    /// <summary>Sigma levels as severities 1..5 (informational..critical); unknown levels count as medium.</summary>
    public static int Severity(string? level) => level?.ToLowerInvariant() switch
    {
        "informational" => 1, "low" => 2, "medium" => 3, "high" => 4, "critical" => 5, _ => 3,
    };

    public static string SeverityName(int severity) => severity switch
    {
        1 => "informational", 2 => "low", 3 => "medium", 4 => "high", _ => "critical",
    };
}

/// <summary>One change to an alert: who changed what, when.</summary>
[MessagePackObject]
public sealed class TriageEntry
{
    [Key(0)] public long AtMs { get; set; }
    [Key(1)] public string Who { get; set; } = "";
    /// <summary>state, resolution, assignee, comment.</summary>
    [Key(2)] public string Field { get; set; } = "";
    [Key(3)] public string? From { get; set; }
    [Key(4)] public string? To { get; set; }
}

[MessagePackObject]
public sealed class MatchedRecord
{
    [Key(0)] public string Field { get; set; } = "";
    [Key(1)] public string Value { get; set; } = "";
}

[MessagePackObject]
public sealed class IocRecord
{
    [Key(0)] public string List { get; set; } = "";
    [Key(1)] public string Type { get; set; } = "";
    [Key(2)] public string Indicator { get; set; } = "";
    [Key(3)] public string? Ref { get; set; }
    [Key(4)] public string? Source { get; set; }
    [Key(5)] public string Field { get; set; } = "";
    [Key(6)] public string Observed { get; set; } = "";
    [Key(7)] public long? ExpiresMs { get; set; }
}

/// <summary>What the graph knows of one entity of an alert.</summary>
[MessagePackObject]
public sealed class EntityContext
{
    [Key(0)] public string Entity { get; set; } = "";
    [Key(1)] public string Value { get; set; } = "";
    /// <summary>Graph node kind and key, when the entity is a graph node.</summary>
    [Key(2)] public string? NodeKind { get; set; }
    [Key(3)] public bool InGraph { get; set; }
    /// <summary>Nodes reachable from the entity over attack steps (blast radius, 6 hops).</summary>
    [Key(4)] public int BlastRadius { get; set; }
    /// <summary>Hops of the shortest attack path to a crown jewel (0: it is one); null when none exists.</summary>
    [Key(5)] public int? CrownJewelHops { get; set; }
    [Key(6)] public string? CrownJewel { get; set; }
    [Key(7)] public string Criticality { get; set; } = "unknown";
    [Key(8)] public bool Truncated { get; set; }
}

[MessagePackObject]
public sealed class AlertContext
{
    [Key(0)] public long ComputedAtMs { get; set; }
    [Key(1)] public List<EntityContext> Entities { get; set; } = [];
    /// <summary>Engine id of the alert's Alert node in the graph (changes across restarts).</summary>
    [Key(2)] public int? AlertNode { get; set; }
}

/// <summary>
/// An alert as stored (state store collection "alerts", MessagePack: keys are on-disk format, append
/// only). Created by a hit, updated by later hits of the same rule on the same entities within the
/// dedup window, changed by triage and by graph enrichment.
/// </summary>
[MessagePackObject]
public sealed class Alert
{
    [Key(0)] public string Id { get; set; } = "";
    /// <summary>sigma, correlation, ioc.</summary>
    [Key(1)] public string Kind { get; set; } = "";
    [Key(2)] public string RuleId { get; set; } = "";
    [Key(3)] public string RuleTitle { get; set; } = "";
    [Key(4)] public string? Level { get; set; }
    [Key(5)] public int Severity { get; set; }
    [Key(6)] public string? Author { get; set; }
    [Key(7)] public List<string> References { get; set; } = [];
    [Key(8)] public List<string> Tags { get; set; } = [];
    /// <summary>ATT&amp;CK technique ids from the tags (attack.t1059.001 → T1059.001).</summary>
    [Key(9)] public List<string> Techniques { get; set; } = [];
    /// <summary>ATT&amp;CK tactics from the tags (attack.execution → execution).</summary>
    [Key(10)] public List<string> Tactics { get; set; } = [];
    [Key(11)] public string? LicenceName { get; set; }
    [Key(12)] public string? LicenceNotice { get; set; }
    [Key(13)] public string? LicenceLink { get; set; }
    [Key(14)] public string? RuleLicenseField { get; set; }
    [Key(15)] public Dictionary<string, string> Entities { get; set; } = [];
    /// <summary>Event ids behind the alert, bounded: the first ones and the most recent.</summary>
    [Key(16)] public List<long> Evidence { get; set; } = [];
    /// <summary>Hits folded into the alert (correlations: times the correlation fired).</summary>
    [Key(17)] public long Count { get; set; }
    [Key(18)] public long FirstSeenMs { get; set; }
    [Key(19)] public long LastSeenMs { get; set; }
    [Key(20)] public long CreatedAtMs { get; set; }
    [Key(21)] public long UpdatedAtMs { get; set; }
    [Key(22)] public string State { get; set; } = AlertStates.New;
    [Key(23)] public string? Resolution { get; set; }
    [Key(24)] public string? Comment { get; set; }
    [Key(25)] public string? Assignee { get; set; }
    [Key(26)] public List<TriageEntry> History { get; set; } = [];
    /// <summary>Event-log address after the last event applied to this alert: a replay skips what is already in.</summary>
    [Key(27)] public long AppliedUntil { get; set; }
    [Key(28)] public string DedupKey { get; set; } = "";
    [Key(29)] public List<MatchedRecord> Matched { get; set; } = [];
    [Key(30)] public string? LogSource { get; set; }
    [Key(31)] public IocRecord? Ioc { get; set; }
    [Key(32)] public AlertContext? Context { get; set; }
    [Key(33)] public int Risk { get; set; }
    /// <summary>Correlations: the count (events, values or rules) when it last fired.</summary>
    [Key(34)] public long? CorrelationCount { get; set; }
    /// <summary>Events behind the alert in total (the evidence list keeps a bounded part).</summary>
    [Key(35)] public long EvidenceTotal { get; set; }

    public Alert Clone() => MessagePack.MessagePackSerializer.Deserialize<Alert>(MessagePack.MessagePackSerializer.Serialize(this));
}

/// <summary>Where detection stands (collection "detection", key "cursor"): every alert change from events before AppliedUntil is durable.</summary>
[MessagePackObject]
public sealed class DetectionCursor
{
    [Key(0)] public long AppliedUntil { get; set; }
    /// <summary>Generation of the correlation snapshot chunks that go with it, and how many there are.</summary>
    [Key(1)] public long SnapshotGeneration { get; set; }
    [Key(2)] public int SnapshotChunks { get; set; }
    [Key(3)] public long WrittenAtMs { get; set; }
}

namespace Redoubt.Summary;

// The summary as it leaves the box (JSON, camelCase; docs/summary.md). Names are part of the API.

public sealed record SummaryDocument
{
    public string Format { get; init; } = "redoubt-summary/1";
    /// <summary>Stored summaries: "SCHEDULE-yyyyMMddTHHmmssZ" (end of the window); null for one computed on request.</summary>
    public string? Id { get; init; }
    public string? Schedule { get; init; }
    public required DateTimeOffset Since { get; init; }
    public required DateTimeOffset Until { get; init; }
    public required DateTimeOffset GeneratedAt { get; init; }
    /// <summary>Computed after its window ended by more than the usual delay (the appliance was down when it was due).</summary>
    public bool Late { get; init; }
    public required RedactionInfo Redaction { get; init; }
    /// <summary>Set when the window could not be summarised (runs missed beyond Summary:MaxCatchUpRuns); the sections are then null.</summary>
    public GapInfo? Gap { get; init; }
    public AlertSection? Alerts { get; init; }
    public List<RiskyEntity>? TopRiskyEntities { get; init; }
    public AttackPathSection? AttackPaths { get; init; }
    public IngestionSection? Ingestion { get; init; }
}

public sealed record RedactionInfo(string Policy, string SettingsHash, string Settings);

public sealed record GapInfo(string Reason, int MissedRuns);

public sealed record AlertSection
{
    /// <summary>Alerts whose event-time span (first..last seen) overlaps the window.</summary>
    public required AlertCounts Active { get; init; }
    public required List<RuleCount> ByRule { get; init; }
    /// <summary>Alerts opened in the window (appliance time).</summary>
    public required AlertList New { get; init; }
    /// <summary>Alerts not closed when the summary was generated.</summary>
    public required AlertList Open { get; init; }
}

public sealed record AlertCounts(int Count, Dictionary<string, int> BySeverity);

public sealed record RuleCount(string Id, string Title, string Kind, string Severity, int Alerts, long Hits);

public sealed record AlertList(int Count, Dictionary<string, int> BySeverity, Dictionary<string, int> ByState, List<AlertItem> Items, bool MoreNotListed);

public sealed record AlertItem
{
    public required string Id { get; init; }
    public required string Kind { get; init; }
    public required string RuleId { get; init; }
    public required string RuleTitle { get; init; }
    public required string Severity { get; init; }
    public required int Risk { get; init; }
    public required string State { get; init; }
    public required Dictionary<string, string> Entities { get; init; }
    public required DateTimeOffset FirstSeen { get; init; }
    public required DateTimeOffset LastSeen { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public required long Count { get; init; }
    public int? CrownJewelHops { get; init; }
    /// <summary>Only when the policy does not omit messages: the first evidence event's message, redacted.</summary>
    public string? Message { get; init; }
}

public sealed record RiskyEntity(string Entity, string Value, int MaxRisk, int Alerts, string MaxSeverity, string Criticality, int? CrownJewelHops, int BlastRadius);

public sealed record AttackPathSection
{
    public string Definition { get; init; } = "a path from a compromised, alerted or internet-facing node to a crown jewel, among the cheapest, with at least one edge first seen in the window";
    public required int Examined { get; init; }
    public required int ToCrownJewels { get; init; }
    public required string? Truncated { get; init; }
    public required List<NewAttackPath> New { get; init; }
}

public sealed record NewAttackPath(double Cost, int Hops, List<string> Nodes, List<PathEdge> NewEdges);

public sealed record PathEdge(string From, string Type, string To, DateTimeOffset FirstSeen);

public sealed record IngestionSection
{
    /// <summary>Volumes are counted per whole UTC hour of arrival: the hours from..until that the window touches.</summary>
    public required DateTimeOffset VolumeFrom { get; init; }
    public required DateTimeOffset VolumeUntil { get; init; }
    public required long Events { get; init; }
    public required long ParseErrors { get; init; }
    public required double ParseErrorRate { get; init; }
    public required long Truncated { get; init; }
    public required int GapMinutes { get; init; }
    public required int QuietAfterMinutes { get; init; }
    public required int SourcesTotal { get; init; }
    public required int QuietSources { get; init; }
    public required int SourcesWithGaps { get; init; }
    public required List<SourceHealth> Sources { get; init; }
    public required bool MoreNotListed { get; init; }
}

public sealed record SourceHealth
{
    public required string Source { get; init; }
    public required long Events { get; init; }
    public required long ParseErrors { get; init; }
    public required double ParseErrorRate { get; init; }
    public required long Truncated { get; init; }
    public DateTimeOffset? FirstSeen { get; init; }
    public DateTimeOffset? LastSeen { get; init; }
    public required bool Quiet { get; init; }
    public required List<SourceGap> Gaps { get; init; }
}

/// <summary>Minutes in a row with no event from the source; from may be before the window (the silence began earlier).</summary>
public sealed record SourceGap(DateTimeOffset From, DateTimeOffset To, int Minutes, bool Ongoing);

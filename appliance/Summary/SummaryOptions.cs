namespace Redoubt.Summary;

/// <summary>Configuration section "Summary" (docs/summary.md).</summary>
public sealed class SummaryOptions
{
    /// <summary>
    /// Precomputed summaries: name → cron expression (5 fields, or 6 with seconds first). Each run covers
    /// the time since the previous occurrence. Set a name to "" to switch that schedule off.
    /// </summary>
    public Dictionary<string, string> Schedules { get; set; } = new(StringComparer.Ordinal)
    {
        ["hourly"] = "0 * * * *",
        ["daily"] = "0 0 * * *",
    };
    /// <summary>Time zone the cron expressions are read in (IANA id).</summary>
    public string TimeZone { get; set; } = "UTC";
    /// <summary>A run starts this long after its window ends, so the window's last events are through detection.</summary>
    public int SettleSeconds { get; set; } = 10;
    /// <summary>Stored summaries older than this (by the end of their window) are deleted.</summary>
    public int RetentionDays { get; set; } = 30;
    /// <summary>Runs missed while the appliance was down that are computed on start, per schedule; older ones are recorded as gaps.</summary>
    public int MaxCatchUpRuns { get; set; } = 48;
    /// <summary>Alerts listed by id in each of the "new" and "open" lists (counts are always complete).</summary>
    public int MaxAlertsListed { get; set; } = 50;
    public int TopEntities { get; set; } = 10;
    /// <summary>Cheapest attack paths to crown jewels examined for new edges.</summary>
    public int AttackPathCandidates { get; set; } = 50;
    /// <summary>Work budget of the attack-path search of one summary.</summary>
    public int AttackPathBudgetMs { get; set; } = 2_000;
    /// <summary>A source silent for at least this many minutes in a row within the window has a gap.</summary>
    public int GapMinutes { get; set; } = 30;
    /// <summary>A source whose last event is this long before the end of the window is quiet (default: Ingest:QuietAfter, 1 h, as /api/v1/stats flags it).</summary>
    public int? QuietAfterMinutes { get; set; }
    /// <summary>Sources listed in the ingestion section (the ones with gaps, quiet or parse errors first).</summary>
    public int MaxSourcesListed { get; set; } = 500;
    /// <summary>Hour buckets of per-source ingestion history kept (for gaps and volumes of past windows).</summary>
    public int IngestHistoryDays { get; set; } = 8;
    public RedactionOptions Redaction { get; set; } = new();
}

/// <summary>What leaves the box (section "Summary:Redaction"): applied to every summary and to summary-only callers.</summary>
public sealed class RedactionOptions
{
    /// <summary>The policy's name, quoted in every summary with the hash of its settings.</summary>
    public string Name { get; set; } = "default";
    /// <summary>keep | hash | omit. hash = HMAC-SHA256 with this site's secret (DATA/summary/site-secret).</summary>
    public string Users { get; set; } = "hash";
    /// <summary>keep | hash | omit.</summary>
    public string Hosts { get; set; } = "keep";
    /// <summary>keep | truncate (IPv4 /24, IPv6 /48) | hash | omit.</summary>
    public string IpAddresses { get; set; } = "keep";
    /// <summary>Leave event messages out of summaries (true), or include each listed alert's first evidence message with the values above redacted in it.</summary>
    public bool OmitMessages { get; set; } = true;
}

namespace Redoubt.Storage.Events;

/// <summary>Filters for <see cref="EventLog.QueryAsync"/>. Null means "any".</summary>
public sealed record EventQuery
{
    /// <summary>Inclusive lower bound on event time (Unix ms).</summary>
    public long? FromMs { get; init; }
    /// <summary>Exclusive upper bound on event time (Unix ms).</summary>
    public long? ToMs { get; init; }
    public string? Host { get; init; }
    public string? App { get; init; }
    /// <summary>Severity at least this grave: events with 0 &lt;= severity &lt;= MaxSeverity.</summary>
    public int? MaxSeverity { get; init; }
    /// <summary>Case-insensitive substring of the host, app, structured data, message or agent JSON (each on its own).</summary>
    public string? Text { get; init; }
    public int Limit { get; init; } = 100;
    /// <summary>Cursor: only events with an id below this one.</summary>
    public long? BeforeId { get; init; }
    public int MaxScanned { get; init; } = 1_000_000;

    public bool Matches(EventRecord e)
    {
        if (FromMs is { } from && e.TimeMs < from) return false;
        if (ToMs is { } to && e.TimeMs >= to) return false;
        if (Host is not null && !string.Equals(e.Host, Host, StringComparison.OrdinalIgnoreCase)) return false;
        if (App is not null && !string.Equals(e.App, App, StringComparison.OrdinalIgnoreCase)) return false;
        if (MaxSeverity is { } sev && (e.Severity < 0 || e.Severity > sev)) return false;
        return Text is null || Contains(e.Host) || Contains(e.App) || Contains(e.StructuredData) || Contains(e.Message) || Contains(e.Json);
    }

    private bool Contains(string? field) => field?.Contains(Text!, StringComparison.OrdinalIgnoreCase) ?? false;
}

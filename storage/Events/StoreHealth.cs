namespace Redoubt.Storage.Events;

public enum StoreState
{
    /// <summary>Taking writes.</summary>
    Ok,
    /// <summary>Free space is below the reserve: writes are refused until it is back (no restart needed).</summary>
    DiskFull,
    /// <summary>A commit failed; the log is reopened from its last good commit once the disk allows.</summary>
    Failed,
}

/// <summary>Whether the log takes writes, and if not why: <see cref="Code"/> is stable for clients, <see cref="Reason"/> is for people.</summary>
public sealed record StoreHealth(StoreState State, string? Code, string? Reason, DateTimeOffset Since)
{
    public const string DiskFullCode = "disk_full";
    public const string FailedCode = "store_failed";

    public bool IsOk => State == StoreState.Ok;
    public static StoreHealth Healthy(DateTimeOffset now) => new(StoreState.Ok, null, null, now);
}

/// <summary>The log refused a write; <see cref="Code"/> is a stable error code ("disk_full", "store_failed").</summary>
public sealed class EventLogUnavailableException(string code, string message, Exception? inner = null) : Exception(message, inner)
{
    public string Code { get; } = code;
}

/// <summary>The store on disk is damaged in a way recovery must not paper over; the message says what and what to do.</summary>
public sealed class StoreDamagedException(string message, Exception? inner = null) : Exception(message, inner);

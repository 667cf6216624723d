using MessagePack;

namespace Redoubt.Storage.Events;

/// <summary>How an event reached the appliance. Persisted as a byte: never renumber.</summary>
public enum Transport : byte
{
    Unknown = 0,
    SyslogUdp = 1,
    SyslogTcp = 2,
    SyslogTls = 3,
    Relp = 4,
    Forward = 5,
    HttpNdjson = 6,
    /// <summary>A row of an inventory import (POST /api/v1/import/{kind}): written by the appliance itself, never by a sender.</summary>
    InventoryImport = 7,
}

/// <summary>Marks that say the event is not what the sender meant to send. Persisted: never renumber.</summary>
[Flags]
public enum EventFlags : byte
{
    None = 0,
    /// <summary>The payload did not parse; <see cref="EventRecord.Raw"/> holds it as received.</summary>
    ParseError = 1,
    /// <summary>The payload was longer than the configured maximum and was cut.</summary>
    Truncated = 2,
    /// <summary>The syslog header had no PRI; RFC 3164 §4.3.3 says a relay assumes &lt;13&gt;.</summary>
    NoPri = 4,
    /// <summary>The payload was not valid UTF-8; text fields were decoded with replacement characters.</summary>
    InvalidUtf8 = 8,
}

/// <summary>
/// One normalized event as stored in the event log. MessagePack array format with integer keys:
/// keys are part of the on-disk format, so append new ones and never renumber or reuse.
/// Times are Unix milliseconds (UTC) to keep the encoding small and sortable.
/// </summary>
[MessagePackObject]
public sealed class EventRecord
{
    [Key(0)] public long ReceivedAtMs { get; set; }
    /// <summary>Event time as the sender stated it, normalized to UTC; equals <see cref="ReceivedAtMs"/> when the sender gave none.</summary>
    [Key(1)] public long TimeMs { get; set; }
    [Key(2)] public Transport Transport { get; set; }
    [Key(3)] public EventFlags Flags { get; set; }
    /// <summary>Sender's address as seen on the socket ("ip:port"), or the HTTP client's.</summary>
    [Key(4)] public string? Sender { get; set; }
    [Key(5)] public string? Host { get; set; }
    [Key(6)] public string? App { get; set; }
    [Key(7)] public string? ProcId { get; set; }
    [Key(8)] public string? MsgId { get; set; }
    /// <summary>Syslog facility 0..23, or -1 when none applies (agent JSON).</summary>
    [Key(9)] public sbyte Facility { get; set; } = -1;
    /// <summary>Syslog severity 0..7, or -1 when none applies.</summary>
    [Key(10)] public sbyte Severity { get; set; } = -1;
    /// <summary>RFC 5424 structured data exactly as it appeared on the wire (escapes kept), or null.</summary>
    [Key(11)] public string? StructuredData { get; set; }
    [Key(12)] public string? Message { get; set; }
    /// <summary>The payload exactly as received, kept when it failed to parse or was not valid UTF-8.</summary>
    [Key(13)] public byte[]? Raw { get; set; }
    /// <summary>For agent events: the original JSON object, as text.</summary>
    [Key(14)] public string? Json { get; set; }
    /// <summary>Why parsing failed, when <see cref="EventFlags.ParseError"/> is set.</summary>
    [Key(15)] public string? ParseError { get; set; }
    /// <summary>Name of the listener or feed that took the event (e.g. "syslog", "ingest").</summary>
    [Key(16)] public string? Source { get; set; }
    /// <summary>Which syslog format the header was read as ("rfc5424", "rfc3164"), or "json".</summary>
    [Key(17)] public string? Format { get; set; }
    /// <summary>
    /// Named fields a payload decoder found in the message (CEF, LEEF, key=value, JSON payloads), by
    /// the names the payload used (CEF extension keys as sent: "src", "dpt"…). Null when none.
    /// </summary>
    [Key(18)] public Dictionary<string, string>? Fields { get; set; }
    /// <summary>
    /// Tags the admin configured for the listener or sender network the event came through (site=, zone=…).
    /// Events of one connection share one instance: treat it as read-only. Null when none are configured.
    /// </summary>
    [Key(19)] public Dictionary<string, string>? Tags { get; set; }
    /// <summary>
    /// Set on every event of an HTTP batch that carried an Idempotency-Key: lets the appliance
    /// recognize a retried batch, even after a restart, by scanning the log. Null otherwise.
    /// </summary>
    [Key(20)] public BatchMark? Batch { get; set; }

    /// <summary>
    /// <see cref="Json"/> as UTF-8, when the ingest had exactly those bytes (NDJSON lines, forward records):
    /// the sinks that read the JSON (detection, graph extraction) take them instead of transcoding the string
    /// again. Not stored (a record decoded from the log has none); must equal UTF-8 of <see cref="Json"/>.
    /// </summary>
    [IgnoreMember] public byte[]? JsonUtf8 { get; set; }
}

/// <summary>
/// Which client batch an event came from. The first event of the batch carries the body's
/// fingerprint and the batch size, so a scan can tell a complete batch from a torn one.
/// </summary>
[MessagePackObject]
public sealed class BatchMark
{
    /// <summary>The client's Idempotency-Key header, as sent.</summary>
    [Key(0)] public string Key { get; set; } = "";
    /// <summary>SHA-256 of the decoded request body; first event of the batch only.</summary>
    [Key(1)] public byte[]? BodySha256 { get; set; }
    /// <summary>Events in the batch; first event only (0 on the others).</summary>
    [Key(2)] public int Count { get; set; }
}

using System.IO.Compression;
using System.Text.Json;
using MessagePack;
using Redoubt.Storage.State;

namespace Redoubt.Summary;

/// <summary>A stored summary (state store collection "summaries"): what the listing shows, and the document as gzip'd JSON.</summary>
[MessagePackObject]
public sealed class StoredSummary
{
    [Key(0)] public string Id { get; set; } = "";
    [Key(1)] public string Schedule { get; set; } = "";
    [Key(2)] public long SinceMs { get; set; }
    [Key(3)] public long UntilMs { get; set; }
    [Key(4)] public long GeneratedAtMs { get; set; }
    [Key(5)] public bool Late { get; set; }
    [Key(6)] public bool Gap { get; set; }
    [Key(7)] public string Policy { get; set; } = "";
    [Key(8)] public string SettingsHash { get; set; } = "";
    [Key(9)] public byte[] GzipJson { get; set; } = [];
    [Key(10)] public int JsonBytes { get; set; }
}

/// <summary>Where a schedule stands (collection "summary-runs", key = schedule name): the end of the last window it covered.</summary>
[MessagePackObject]
public sealed class ScheduleRun
{
    [Key(0)] public long LastUntilMs { get; set; }
    [Key(1)] public string Cron { get; set; } = "";
}

/// <summary>Summaries precomputed by the schedules, kept in the state store for Summary:RetentionDays.</summary>
public sealed class SummaryStore(StateStore state)
{
    public const string Collection = "summaries", RunsCollection = "summary-runs";
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = false };

    public static string IdOf(string schedule, DateTimeOffset until) => $"{schedule}-{until.UtcDateTime:yyyyMMdd'T'HHmmss'Z'}";

    public static byte[] Serialize(SummaryDocument doc) => JsonSerializer.SerializeToUtf8Bytes(doc, Json);

    public async Task PutAsync(SummaryDocument doc, CancellationToken ct = default)
    {
        var json = Serialize(doc);
        using var buffer = new MemoryStream();
        using (var gz = new GZipStream(buffer, CompressionLevel.Optimal, leaveOpen: true)) gz.Write(json);
        await state.PutAsync(Collection, doc.Id!, new StoredSummary
        {
            Id = doc.Id!, Schedule = doc.Schedule ?? "", SinceMs = doc.Since.ToUnixTimeMilliseconds(), UntilMs = doc.Until.ToUnixTimeMilliseconds(),
            GeneratedAtMs = doc.GeneratedAt.ToUnixTimeMilliseconds(), Late = doc.Late, Gap = doc.Gap is not null,
            Policy = doc.Redaction.Policy, SettingsHash = doc.Redaction.SettingsHash, GzipJson = buffer.ToArray(), JsonBytes = json.Length,
        }, ct);
    }

    public IEnumerable<StoredSummary> List() => state.List<StoredSummary>(Collection).Select(kv => kv.Value);

    public StoredSummary? Get(string id) => state.TryGet<StoredSummary>(Collection, id, out var s) ? s : null;

    public static byte[] JsonOf(StoredSummary s)
    {
        using var gz = new GZipStream(new MemoryStream(s.GzipJson), CompressionMode.Decompress);
        using var output = new MemoryStream(s.JsonBytes);
        gz.CopyTo(output);
        return output.ToArray();
    }

    public ValueTask<bool> DeleteAsync(string id) => state.DeleteAsync(Collection, id);

    public ScheduleRun? Run(string schedule) => state.TryGet<ScheduleRun>(RunsCollection, schedule, out var r) ? r : null;

    public ValueTask SetRunAsync(string schedule, ScheduleRun run) => state.PutAsync(RunsCollection, schedule, run);
}

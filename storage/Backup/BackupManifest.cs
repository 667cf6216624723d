using System.Text.Json;
using System.Text.Json.Serialization;

namespace Redoubt.Storage.Backup;

/// <summary>
/// redoubt-backup.json, the archive's last entry: which stores it holds (with what each participant
/// recorded, e.g. the event log's committed address and event count) and every file with its size
/// and SHA-256. An archive without it is incomplete (the backup was cut off) and is refused.
/// </summary>
public sealed class BackupManifest
{
    public const string EntryName = "redoubt-backup.json";
    public const string FormatName = "redoubt-backup";
    public const int FormatVersion = 1;

    public string Format { get; set; } = FormatName;
    public int Version { get; set; } = FormatVersion;
    public DateTimeOffset CreatedAt { get; set; }
    public List<StoreEntry> Stores { get; set; } = [];
    /// <summary>Store directories the admin chose to leave out of this backup.</summary>
    public List<string> Omitted { get; set; } = [];
    public List<FileEntry> Files { get; set; } = [];

    public sealed class StoreEntry
    {
        public string Directory { get; set; } = "";
        public string? Kind { get; set; }
        public Dictionary<string, string> Facts { get; set; } = [];
    }

    public sealed class FileEntry
    {
        public string Path { get; set; } = "";
        public long Bytes { get; set; }
        public string Sha256 { get; set; } = "";
    }

    internal static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };
}

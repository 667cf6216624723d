using System.Text.Json;

namespace Redoubt.Storage.Events;

/// <summary>
/// The FasterLog geometry a store was created with (layout.json). Addresses map to file offsets
/// through page and segment size, so both stay fixed for the life of the store: a later setting is
/// ignored (with a warning), never applied to existing files.
/// </summary>
internal sealed record LogLayout(int PageSizeBits, int SegmentSizeBits)
{
    public const string FileName = "layout.json";

    public static LogLayout LoadOrCreate(string directory, LogLayout requested, out string? ignored)
    {
        ignored = null;
        var path = Path.Combine(directory, FileName);
        if (!File.Exists(path))
        {
            if (Directory.EnumerateFiles(directory, "events.log.*").Any())
                throw new StoreDamagedException($"{path} is missing but the directory holds log segments; cannot tell their page and segment size");
            var temp = path + ".new";
            File.WriteAllText(temp, JsonSerializer.Serialize(requested));
            File.Move(temp, path);
            return requested;
        }
        LogLayout? stored;
        try { stored = JsonSerializer.Deserialize<LogLayout>(File.ReadAllText(path)); }
        catch (JsonException e) { throw new StoreDamagedException($"{path}: unreadable ({e.Message})"); }
        if (stored is null || stored.PageSizeBits is < 12 or > 30 || stored.SegmentSizeBits < stored.PageSizeBits || stored.SegmentSizeBits > 40)
            throw new StoreDamagedException($"{path}: invalid layout {stored}");
        if (stored != requested)
            ignored = $"store was created with page 2^{stored.PageSizeBits} and segment 2^{stored.SegmentSizeBits} bytes; " +
                      $"the configured 2^{requested.PageSizeBits}/2^{requested.SegmentSizeBits} apply only to new stores";
        return stored;
    }
}

/// <summary>
/// An exclusive lock on the store directory (flock through FileShare.None), so a second process —
/// a second appliance or an offline CLI command — cannot open the same files while one runs.
/// </summary>
internal sealed class StoreLock : IDisposable
{
    public const string FileName = ".lock";
    private readonly FileStream _stream;

    private StoreLock(FileStream stream) => _stream = stream;

    public static StoreLock Acquire(string directory)
    {
        var path = Path.Combine(directory, FileName);
        try { return new StoreLock(new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None)); }
        catch (IOException e)
        {
            throw new StoreLockedException($"{directory} is in use by another process (is the appliance running?): {e.Message}");
        }
    }

    public void Dispose() => _stream.Dispose();
}

public sealed class StoreLockedException(string message) : Exception(message);

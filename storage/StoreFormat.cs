using System.Text.Json;

namespace Redoubt.Storage;

/// <summary>
/// Every store directory carries a small <c>format.json</c> naming its format and version. A store
/// written by another version is refused with a clear message, never opened and silently rewritten.
/// </summary>
public static class StoreFormat
{
    public const string FileName = "format.json";

    public static void EnsureCompatible(string directory, string kind, int version)
    {
        var path = Path.Combine(directory, FileName);
        if (!File.Exists(path))
        {
            if (Directory.Exists(directory) && Directory.EnumerateFileSystemEntries(directory).Any())
                throw new StoreFormatException($"{directory}: holds files but no {FileName}; refusing to treat it as an empty {kind} store");
            Directory.CreateDirectory(directory);
            File.WriteAllText(path, JsonSerializer.Serialize(new FormatFile(kind, version)));
            return;
        }

        FormatFile? found;
        try { found = JsonSerializer.Deserialize<FormatFile>(File.ReadAllText(path)); }
        catch (JsonException e) { throw new StoreFormatException($"{path}: unreadable ({e.Message})"); }

        if (found is null || found.Kind != kind)
            throw new StoreFormatException($"{path}: expected a '{kind}' store, found '{found?.Kind}'");
        if (found.Version != version)
            throw new StoreFormatException(
                $"{path}: {kind} store format version {found.Version}, this build reads version {version}; " +
                "use a build that matches the store or migrate it (see docs/storage.md)");
    }

    private sealed record FormatFile(string Kind, int Version);
}

public sealed class StoreFormatException(string message) : Exception(message);

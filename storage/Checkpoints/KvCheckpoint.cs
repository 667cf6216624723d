using System.Buffers.Binary;
using System.Text.Json;
using FASTER.core;

namespace Redoubt.Storage.Checkpoints;

/// <summary>
/// FasterKV checkpoints that remember "everything up to this log address is in here" (FASTER-NOTES
/// section 4): the address travels as the checkpoint's commit cookie, atomically with the checkpoint.
/// Recovery is explicit and loud: a checkpoint folder that holds checkpoints but none FASTER can read
/// is an error, never an empty store.
/// </summary>
public static class KvCheckpoint
{
    // "RDBTCKP1": marks a Redoubt cookie and its layout version, so a foreign or older cookie is refused.
    private const ulong Magic = 0x31504B4354424452;

    public static byte[] Cookie(long address)
    {
        var bytes = new byte[16];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, Magic);
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(8), address);
        return bytes;
    }

    public static long AddressOf(byte[]? cookie, string what)
    {
        if (cookie is not { Length: 16 } || BinaryPrimitives.ReadUInt64LittleEndian(cookie) != Magic)
            throw new StoreRecoveryException($"{what}: checkpoint carries no Redoubt log address (cookie of {cookie?.Length ?? 0} bytes)");
        return BinaryPrimitives.ReadInt64LittleEndian(cookie.AsSpan(8));
    }

    /// <summary>
    /// Written after each checkpoint completes. FASTER creates a checkpoint's folder when it starts, so
    /// folders alone cannot tell "the first checkpoint was interrupted by a kill" (a fresh store) from
    /// "every checkpoint is damaged" (an error); this file can.
    /// </summary>
    public const string MarkerFile = "last-checkpoint.json";

    private sealed record Marker(long Address, Guid Token, DateTime CompletedAtUtc);

    /// <summary>Log address of the latest checkpoint known to have completed, or null when none has.</summary>
    public static long? LastCompleted(string checkpointDir)
    {
        var path = Path.Combine(checkpointDir, MarkerFile);
        // Not "never checkpointed": that answer deletes the store to rebuild it from the log.
        if (Directory.Exists(path)) throw new StoreRecoveryException($"{path}: unreadable (a directory, not the checkpoint marker)");
        if (!File.Exists(path)) return null;
        try { return JsonSerializer.Deserialize<Marker>(File.ReadAllText(path))?.Address ?? throw new JsonException("empty"); }
        catch (JsonException e) { throw new StoreRecoveryException($"{path}: unreadable ({e.Message})", e); }
    }

    /// <summary>
    /// Call before opening the KV in <paramref name="kvDir"/>: when no checkpoint ever completed, whatever
    /// FASTER left there (log pages written without a checkpoint, an interrupted first checkpoint) is
    /// deleted, because the caller rebuilds the store from its log. Left in place, an old checkpoint
    /// folder could later be recovered in place of the new ones.
    /// </summary>
    public static void ResetIfNeverCheckpointed(string kvDir, string checkpointDir)
    {
        if (LastCompleted(checkpointDir) is null && Directory.Exists(kvDir))
            Directory.Delete(kvDir, recursive: true);
    }

    /// <summary>
    /// Recovers the latest checkpoint and returns the log address stored with it, or null for a store
    /// whose first checkpoint never completed. Any failure names the store and stops the caller.
    /// </summary>
    public static long? Recover<TKey, TValue>(FasterKV<TKey, TValue> kv, string checkpointDir, string what)
    {
        if (LastCompleted(checkpointDir) is not { } completed) return null;
        try
        {
            kv.Recover();
        }
        catch (Exception e)
        {
            throw new StoreRecoveryException($"{what}: cannot recover its checkpoint in {checkpointDir}: {e.Message}", e);
        }
        var address = AddressOf(kv.RecoveredCommitCookie, what);
        if (address < completed)
            throw new StoreRecoveryException($"{what}: recovered a checkpoint at {address}, older than the completed one at {completed}; the newer checkpoint is damaged");
        return address;
    }

    /// <summary>
    /// Takes a checkpoint that says "applied up to <paramref name="address"/>". The caller's sessions must
    /// be idle with nothing pending, so the checkpoint holds exactly the changes before that address.
    /// </summary>
    public static async Task TakeAsync<TKey, TValue>(FasterKV<TKey, TValue> kv, string checkpointDir, long address, CheckpointType type, bool withIndex, string what)
    {
        kv.CommitCookie = Cookie(address); // not sticky across checkpoints: set it every time
        var (ok, token) = withIndex
            ? await kv.TakeFullCheckpointAsync(type).ConfigureAwait(false)
            : await kv.TakeHybridLogCheckpointAsync(type).ConfigureAwait(false);
        if (!ok) throw new InvalidOperationException($"{what}: a checkpoint was already running (only one writer may checkpoint)");
        WriteMarker(checkpointDir, new Marker(address, token, DateTime.UtcNow));
    }

    /// <summary>Write to a temporary file, fsync, rename over the old marker, fsync the directory.</summary>
    private static void WriteMarker(string checkpointDir, Marker marker)
    {
        var path = Path.Combine(checkpointDir, MarkerFile);
        var temp = path + ".tmp";
        using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            file.Write(JsonSerializer.SerializeToUtf8Bytes(marker));
            file.Flush(flushToDisk: true);
        }
        File.Move(temp, path, overwrite: true);
        DurableFile.FsyncDirectory(checkpointDir);
    }
}

/// <summary>A store's files exist but cannot be recovered: start-up stops with this message.</summary>
public sealed class StoreRecoveryException(string message, Exception? inner = null) : Exception(message, inner);

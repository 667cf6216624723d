using System.Globalization;
using System.Numerics;
using FASTER.core;
using Redoubt.Storage.Checkpoints;

namespace Redoubt.Storage.Backup;

/// <summary>
/// Copies the files FASTER needs to recover a FasterKV checkpoint or a FasterLog commit into a
/// backup. Both must be called while nothing writes the store (on its writer task, right after its
/// checkpoint or commit): then no checkpoint can remove the folders being copied, and the log files
/// are copied only up to the addresses read at that moment.
/// </summary>
public static class FasterFiles
{
    /// <summary>
    /// A FasterKV directory: <c>checkpoints/</c> (FASTER's checkpoint folders and our completed-checkpoint
    /// marker) and the hybrid log segments <c>hlog.log.N</c> from the begin address to the tail.
    /// Nothing when no checkpoint ever completed: the store is then rebuilt from its log on open, as
    /// after a kill during its first checkpoint (<see cref="KvCheckpoint.ResetIfNeverCheckpointed"/>).
    /// </summary>
    /// <returns>The checkpoint's log address (its cookie), or null when there is no checkpoint.</returns>
    public static async Task<long?> AddKvAsync<TKey, TValue>(BackupWriter writer, string entryPrefix, string kvDirectory, FasterKV<TKey, TValue> kv,
        long segmentSizeBytes, CancellationToken cancellationToken)
    {
        var checkpointDir = Path.Combine(kvDirectory, "checkpoints");
        if (KvCheckpoint.LastCompleted(checkpointDir) is not { } address) return null;

        // FASTER picks the checkpoint to recover by folder write time, newest first
        // (LocalStorageNamedDeviceFactory.ListContents): write the folders oldest first, so the
        // restored folders, created in archive order, sort the same way.
        foreach (var kind in new[] { "index-checkpoints", "cpr-checkpoints" })
        {
            var root = new DirectoryInfo(Path.Combine(checkpointDir, kind));
            if (!root.Exists) continue;
            foreach (var folder in root.GetDirectories().OrderBy(d => d.LastWriteTimeUtc))
                foreach (var file in folder.GetFiles().OrderBy(f => f.Name, StringComparer.Ordinal))
                    await writer.AddFileAsync($"{entryPrefix}/checkpoints/{kind}/{folder.Name}/{file.Name}", file.FullName, null, cancellationToken).ConfigureAwait(false);
        }
        await writer.AddFileAsync($"{entryPrefix}/checkpoints/{KvCheckpoint.MarkerFile}", Path.Combine(checkpointDir, KvCheckpoint.MarkerFile), null, cancellationToken).ConfigureAwait(false);

        // Records below the tail no longer change while the writer is paused; a page still being
        // flushed lies above the checkpoint's flushed address, which recovery reads from the
        // checkpoint's snapshot instead. A segment never flushed to has no file yet.
        var bits = BitOperations.Log2((ulong)segmentSizeBytes);
        var begin = kv.Log.BeginAddress;
        var tail = kv.Log.TailAddress;
        var onDisk = kv.Log.HeadAddress; // pages below it were flushed and evicted
        if (tail > begin)
        {
            var last = (tail - 1) >> bits;
            for (var segment = begin >> bits; segment <= last; segment++)
            {
                var path = Path.Combine(kvDirectory, "hlog.log." + segment.ToString(CultureInfo.InvariantCulture));
                if (!File.Exists(path))
                {
                    if (Math.Max(segment << bits, begin) < onDisk) // it holds records that were evicted to it
                        throw new BackupException($"{path} is missing although the log below {onDisk} is on disk");
                    continue;
                }
                long? limit = segment == last ? tail - (segment << bits) : null;
                await writer.AddFileAsync($"{entryPrefix}/{Path.GetFileName(path)}", path, limit, cancellationToken).ConfigureAwait(false);
            }
        }
        return address;
    }

    /// <summary>
    /// A FasterLog: its commit files (read now, since FasterLog deletes an outdated one shortly after
    /// a newer one is durable) and its segments from the begin address up to the committed address.
    /// Bytes below a committed address never change; what lies beyond it is ignored by recovery.
    /// </summary>
    public static async Task AddLogAsync(BackupWriter writer, string entryPrefix, string storeDirectory, FasterLog log, string segmentPathPrefix,
        string commitDirectory, int segmentSizeBits, CancellationToken cancellationToken)
    {
        var commits = new List<(string Entry, byte[] Bytes)>();
        foreach (var file in Directory.EnumerateFiles(commitDirectory, "*", SearchOption.AllDirectories))
        {
            try { commits.Add((Entry(file), await File.ReadAllBytesAsync(file, cancellationToken).ConfigureAwait(false))); }
            catch (FileNotFoundException) { }
        }
        var begin = log.BeginAddress;
        var committed = log.CommittedUntilAddress;
        foreach (var (entry, bytes) in commits) await writer.AddBytesAsync(entry, bytes, cancellationToken).ConfigureAwait(false);
        if (committed <= begin) return;
        var last = (committed - 1) >> segmentSizeBits;
        for (var segment = begin >> segmentSizeBits; segment <= last; segment++)
        {
            var path = segmentPathPrefix + "." + segment.ToString(CultureInfo.InvariantCulture);
            long? limit = segment == last ? AlignUp(committed - (segment << segmentSizeBits), 4096) : null;
            await writer.AddFileAsync(Entry(path), path, limit, cancellationToken).ConfigureAwait(false);
        }

        string Entry(string path) => entryPrefix + "/" + Path.GetRelativePath(storeDirectory, path).Replace('\\', '/');
    }

    private static long AlignUp(long value, long alignment) => (value + alignment - 1) / alignment * alignment;
}

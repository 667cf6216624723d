using System.Globalization;
using FASTER.core;
using Redoubt.Storage.Backup;

namespace Redoubt.Storage.Checkpoints;

/// <summary>
/// A store derived from the event log: it can be rebuilt by replaying the log, so it only has to
/// remember how far it got. The fan-out side (appliance/Commit/CheckpointedSink) drives it from one
/// task: apply an event, <see cref="MarkApplied"/>, now and then <see cref="CheckpointAsync"/>.
/// </summary>
public interface ICheckpointedStore : IAsyncDisposable
{
    /// <summary>First event address not in the recovered checkpoint (0 when fresh): replay starts here.</summary>
    long ResumeFrom { get; }
    /// <summary>First event address not applied yet.</summary>
    long AppliedUntil { get; }
    /// <summary>
    /// Address covered by the latest durable checkpoint. The event log must never be truncated past
    /// it (the store's retention floor): a restart replays from here. 0 until the first checkpoint.
    /// </summary>
    long CheckpointedUntil { get; }
    /// <summary>Records that everything before <paramref name="nextAddress"/> (a StoredEvent.NextId) is applied.</summary>
    void MarkApplied(long nextAddress);
    /// <summary>The feed is idle: finish outstanding work (disk reads of pending operations).</summary>
    void Idle();
    /// <summary>Checkpoints what is applied, if anything changed since the last checkpoint. Same task as the applies.</summary>
    Task CheckpointAsync();
}

/// <summary>A checkpointed store whose latest checkpoint can be copied into a backup.</summary>
public interface ICheckpointFiles
{
    /// <summary>The store's directory.</summary>
    string Directory { get; }
    /// <summary>
    /// Adds format.json and the files recovery needs for the latest checkpoint under
    /// <paramref name="entryPrefix"/>. Call on the applier task right after <see cref="ICheckpointedStore.CheckpointAsync"/>,
    /// and apply nothing until it returns: a later checkpoint removes the folders being copied.
    /// </summary>
    Task WriteCheckpointFilesAsync(BackupWriter writer, string entryPrefix, CancellationToken cancellationToken);
}

public abstract class DerivedStoreOptions
{
    /// <summary>Directory of the store (created if missing): <c>kv/</c> and <c>format.json</c>.</summary>
    public required string Directory { get; init; }
    /// <summary>FasterKV hash index in bytes; give at least 32 bytes per record (FASTER-NOTES 3.1).</summary>
    public long IndexSizeBytes { get; init; } = 1L << 26;
    /// <summary>FasterKV in-memory log; records beyond it live on disk and are read back when touched.</summary>
    public long MemorySizeBytes { get; init; } = 1L << 28;
    public long PageSizeBytes { get; init; } = 1L << 22;
    public long SegmentSizeBytes { get; init; } = 1L << 28;
    /// <summary>Every Nth checkpoint also writes the hash index (the first one always does).</summary>
    public int IndexCheckpointEvery { get; init; } = 4;
    public CheckpointType CheckpointType { get; init; } = CheckpointType.Snapshot;
}

/// <summary>
/// Base of a derived store kept in a FasterKV whose checkpoints carry the applied event address as
/// their cookie (FASTER-NOTES section 4): open recovers the checkpoint and says where to replay from;
/// a checkpoint is taken with the applier's session idle, so it holds exactly the events before its
/// address and a replay from there neither loses nor repeats one. Subclasses own their sessions and
/// flush whatever they keep in memory in <see cref="BeforeCheckpoint"/>.
/// </summary>
public abstract class DerivedKvStore<TKey, TValue> : ICheckpointedStore, ICheckpointFiles
{
    private readonly DerivedStoreOptions _options;
    private readonly string _checkpointDir;
    private long _appliedUntil, _checkpointedUntil;
    private int _checkpoints, _disposed;

    protected FasterKVSettings<TKey, TValue> Settings { get; }
    protected FasterKV<TKey, TValue> Kv { get; }
    /// <summary>"graph store /var/lib/redoubt/graph": names the store in errors.</summary>
    protected string What { get; }

    public string Directory => _options.Directory;
    public long ResumeFrom { get; }
    public long AppliedUntil => Interlocked.Read(ref _appliedUntil);
    public long CheckpointedUntil => Interlocked.Read(ref _checkpointedUntil);
    public long Checkpoints => _checkpoints;
    public TimeSpan LastCheckpointDuration { get; private set; }

    protected DerivedKvStore(DerivedStoreOptions options, string formatKind, int formatVersion, string what, IFasterEqualityComparer<TKey>? comparer)
    {
        _options = options;
        What = $"{what} {options.Directory}";
        StoreFormat.EnsureCompatible(options.Directory, formatKind, formatVersion);
        var kvDir = Path.Combine(options.Directory, "kv");
        _checkpointDir = Path.Combine(kvDir, "checkpoints");
        KvCheckpoint.ResetIfNeverCheckpointed(kvDir, _checkpointDir);
        Settings = new FasterKVSettings<TKey, TValue>(kvDir)
        {
            IndexSize = options.IndexSizeBytes,
            MemorySize = options.MemorySizeBytes,
            PageSize = options.PageSizeBytes,
            SegmentSize = options.SegmentSizeBytes,
            CheckpointDir = _checkpointDir,
            EqualityComparer = comparer,
            TryRecoverLatest = false, // recovery errors must not be swallowed (FASTER-NOTES 0.5)
            RemoveOutdatedCheckpoints = true,
        };
        try
        {
            Kv = new FasterKV<TKey, TValue>(Settings);
            // Recover before any session exists (a session opened earlier writes into a stale version).
            var recovered = KvCheckpoint.Recover(Kv, _checkpointDir, What);
            ResumeFrom = recovered ?? 0;
            _appliedUntil = ResumeFrom;
            _checkpointedUntil = recovered ?? 0;
        }
        catch
        {
            Kv?.Dispose();
            Settings.Dispose();
            throw;
        }
    }

    public void MarkApplied(long nextAddress)
    {
        if (nextAddress < AppliedUntil)
            throw new InvalidOperationException($"{What}: applied address went back from {AppliedUntil} to {nextAddress}; events must be applied in log order");
        Interlocked.Exchange(ref _appliedUntil, nextAddress);
    }

    public virtual void Idle() { }

    /// <summary>Complete pending operations and write in-memory state into the KV; the applier is paused meanwhile.</summary>
    protected abstract void BeforeCheckpoint();

    public async Task CheckpointAsync()
    {
        var until = AppliedUntil;
        if (until == CheckpointedUntil) return;
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        BeforeCheckpoint();
        var withIndex = _checkpoints % Math.Max(1, _options.IndexCheckpointEvery) == 0;
        await KvCheckpoint.TakeAsync(Kv, _checkpointDir, until, _options.CheckpointType, withIndex, What).ConfigureAwait(false);
        _checkpoints++;
        Interlocked.Exchange(ref _checkpointedUntil, until);
        LastCheckpointDuration = System.Diagnostics.Stopwatch.GetElapsedTime(started);
    }

    public async Task WriteCheckpointFilesAsync(BackupWriter writer, string entryPrefix, CancellationToken cancellationToken)
    {
        await writer.AddFileAsync(entryPrefix + "/" + StoreFormat.FileName, Path.Combine(Directory, StoreFormat.FileName), null, cancellationToken).ConfigureAwait(false);
        // No checkpoint yet (nothing applied): format.json alone restores a store that replays the log from its start.
        var at = await FasterFiles.AddKvAsync(writer, entryPrefix + "/kv", Path.Combine(Directory, "kv"), Kv, Settings.SegmentSize, cancellationToken).ConfigureAwait(false);
        writer.AddFact("checkpointedUntil", (at ?? 0).ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>For a subclass constructor that fails after this one succeeded.</summary>
    protected void CloseAfterFailedOpen()
    {
        Interlocked.Exchange(ref _disposed, 1);
        Kv.Dispose();
        Settings.Dispose();
    }

    /// <summary>Disposes the subclass's sessions (before the store itself).</summary>
    protected abstract void DisposeSessions();

    /// <summary>Checkpoints what was applied since the last checkpoint, then closes the store. Call after the applier stopped.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        try
        {
            await CheckpointAsync().ConfigureAwait(false);
        }
        finally
        {
            DisposeSessions();
            Kv.Dispose();
            Settings.Dispose();
        }
    }
}

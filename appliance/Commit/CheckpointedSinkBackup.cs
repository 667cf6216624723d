using Redoubt.Storage.Backup;
using Redoubt.Storage.Checkpoints;

namespace Redoubt.Commit;

/// <summary>
/// Backs up a derived store (the graph) on its sink's own task: the sink checkpoints what it applied,
/// the checkpoint's files are copied, and only then does the sink apply the events that queued up
/// meanwhile. Ingestion goes on (the event log is another store); this sink lags for the copy.
/// </summary>
/// <remarks>
/// The checkpoint's address is at most what the event log had committed when the copy began, and
/// <see cref="Backup.WriteAsync"/> copies the event log after every derived store: so the restored
/// log always holds the events a restored store must replay from its checkpoint.
/// </remarks>
public sealed class CheckpointedSinkBackup(CheckpointedSink sink, ICheckpointFiles store) : IBackupParticipant
{
    public string StoreDirectory => Path.GetFileName(Path.TrimEndingDirectorySeparator(store.Directory));

    public Task WriteBackupAsync(BackupWriter writer, CancellationToken cancellationToken) =>
        sink.RunAfterCheckpointAsync(() => store.WriteCheckpointFilesAsync(writer, StoreDirectory, cancellationToken), cancellationToken);
}

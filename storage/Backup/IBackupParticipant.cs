namespace Redoubt.Storage.Backup;

/// <summary>
/// A store that can copy itself into a backup while it keeps running. Every store directory under
/// the data directory that holds a format.json must have one (registered in DI as
/// <c>IBackupParticipant</c>); a backup that meets a store nobody claims fails rather than copying
/// files that may be mid-write.
/// </summary>
/// <remarks>
/// How to be consistent is the store's business. The event log commits, notes its commit files and
/// committed address on its appender, then copies segments up to that address. A FasterKV store
/// would take a checkpoint and copy that checkpoint's folders and the hlog up to its address.
/// Files go in under the store's directory ("state/checkpoints/…"); restore puts them back there.
/// </remarks>
public interface IBackupParticipant
{
    /// <summary>The store's directory relative to the data directory ("events", "state", "graph").</summary>
    string StoreDirectory { get; }

    /// <summary>Adds the store's files to <paramref name="writer"/> as one consistent point in time.</summary>
    Task WriteBackupAsync(BackupWriter writer, CancellationToken cancellationToken);

    /// <summary>
    /// Stores are copied in ascending order. The event log says 1: it is copied after the stores
    /// derived from it (0), so no restored store holds a checkpoint of events the restored log lacks.
    /// </summary>
    int BackupOrder => 0;
}

public sealed class BackupException(string message, Exception? inner = null) : Exception(message, inner);

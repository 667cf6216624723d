using System.Globalization;
using Redoubt.Storage.Backup;

namespace Redoubt.Storage.Events;

public sealed partial class EventLog : IBackupParticipant
{
    /// <summary>The log's directory name under the data directory ("events").</summary>
    public string StoreDirectory => Path.GetFileName(Path.TrimEndingDirectorySeparator(Directory));

    /// <summary>Last: the derived stores' checkpoints, copied before, then never lie beyond the copied log.</summary>
    public int BackupOrder => 1;

    /// <summary>
    /// Online backup. On the appender (so no other commit can interleave): commit, then read the
    /// commit files and note the committed address and the index length. Then, with retention held
    /// off, copy the segments up to that address and the index up to that length while ingestion
    /// goes on. Bytes below a committed address never change, so the copy is exactly the store as of
    /// that commit; what the copy holds beyond it is ignored by recovery, as after a crash. The state
    /// checkpoint is captured at the same commit (the file on disk may cover another address).
    /// </summary>
    public async Task WriteBackupAsync(BackupWriter writer, CancellationToken cancellationToken)
    {
        await _maintenance.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var point = await RunOnAppenderAsync(async gen =>
            {
                if (_health.State == StoreState.Failed) throw new BackupException("event log is failed: " + _health.Reason);
                await gen.Log.CommitStronglyAsync(Cookie).ConfigureAwait(false);
                var commits = new List<(string, byte[])>();
                foreach (var file in System.IO.Directory.EnumerateFiles(CommitDirectory, "*", SearchOption.AllDirectories))
                {
                    // FasterLog deletes an outdated commit file shortly after a newer one is durable.
                    try { commits.Add((Path.GetRelativePath(Directory, file), await File.ReadAllBytesAsync(file).ConfigureAwait(false))); }
                    catch (FileNotFoundException) { }
                }
                return new BackupPoint(gen.Log.BeginAddress, gen.Log.CommittedUntilAddress, Stats.Events, _index.FileBytes, commits, CaptureStateForBackup());
            }, cancellationToken).ConfigureAwait(false);

            var store = StoreDirectory;
            string Entry(string relative) => store + "/" + relative.Replace('\\', '/');
            await writer.AddFileAsync(Entry(StoreFormat.FileName), Path.Combine(Directory, StoreFormat.FileName), null, cancellationToken).ConfigureAwait(false);
            await writer.AddFileAsync(Entry(LogLayout.FileName), Path.Combine(Directory, LogLayout.FileName), null, cancellationToken).ConfigureAwait(false);
            foreach (var (path, bytes) in point.Commits)
                await writer.AddBytesAsync(Entry(path), bytes, cancellationToken).ConfigureAwait(false);
            await writer.AddFileAsync(Entry(IndexFile.FileName), Path.Combine(Directory, IndexFile.FileName), point.IndexBytes, cancellationToken).ConfigureAwait(false);
            // The ingest state as of the same commit: a restored appliance opens without replaying the window.
            if (point.State is { } state)
                await writer.AddBytesAsync(Entry(LogStateFile.FileName), state.Encode(_clock.GetUtcNow().ToUnixTimeMilliseconds()), cancellationToken).ConfigureAwait(false);

            var segmentBits = _layout.SegmentSizeBits;
            if (point.Committed > point.Begin)
            {
                var last = (point.Committed - 1) >> segmentBits;
                for (var segment = point.Begin >> segmentBits; segment <= last; segment++)
                {
                    var path = Path.Combine(Directory, "events.log." + segment.ToString(CultureInfo.InvariantCulture));
                    long? limit = segment == last ? AlignUp(point.Committed - (segment << segmentBits), 4096) : null;
                    await writer.AddFileAsync(Entry(Path.GetFileName(path)), path, limit, cancellationToken).ConfigureAwait(false);
                }
            }
            writer.AddFact("beginAddress", point.Begin.ToString(CultureInfo.InvariantCulture));
            writer.AddFact("committedUntil", point.Committed.ToString(CultureInfo.InvariantCulture));
            writer.AddFact("events", point.Events.ToString(CultureInfo.InvariantCulture));
        }
        finally { _maintenance.Release(); }
    }

    private static long AlignUp(long value, long alignment) => (value + alignment - 1) / alignment * alignment;

    private sealed record BackupPoint(long Begin, long Committed, long Events, long IndexBytes, List<(string Path, byte[] Bytes)> Commits, StateCapture? State);
}

using Redoubt.Storage.Backup;

namespace Redoubt.Summary;

/// <summary>
/// The site secret goes into every backup: without it a restored appliance makes a new one, and every
/// pseudonym in its summaries changes, so a remote SOC could no longer follow a user across the restore.
/// The file never changes once made, so copying it is consistent at any moment.
/// </summary>
public sealed class SiteSecretBackup(string dataDir) : IBackupParticipant
{
    public string StoreDirectory => "summary";

    public async Task WriteBackupAsync(BackupWriter writer, CancellationToken cancellationToken) =>
        await writer.AddFileAsync("summary/site-secret", Path.Combine(dataDir, "summary", "site-secret"), null, cancellationToken).ConfigureAwait(false);
}

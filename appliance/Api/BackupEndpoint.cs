using Microsoft.Extensions.Options;
using Redoubt.Configuration;
using Redoubt.Storage.Backup;

namespace Redoubt.Api;

/// <summary>
/// GET /api/v1/admin/backup: an online backup of every store as a tar stream (see docs/storage.md).
/// The manifest comes last; an archive cut off mid-way has none and restore refuses it.
/// </summary>
internal static class BackupEndpoint
{
    public static async Task Backup(HttpContext http, IEnumerable<IBackupParticipant> participants, IOptions<RedoubtOptions> options,
        TimeProvider clock, ILoggerFactory loggers)
    {
        var logger = loggers.CreateLogger("Redoubt.Backup");
        var dataDir = Path.GetFullPath(options.Value.DataDir);
        http.Response.ContentType = "application/x-tar";
        http.Response.Headers.ContentDisposition = "attachment; filename=\"redoubt-backup.tar\"";
        try
        {
            // ?stores=events,state: back up only these (the others are listed as omitted in the manifest).
            var only = http.Request.Query["stores"].ToString() is { Length: > 0 } list
                ? list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                : null;
            var manifest = await Storage.Backup.Backup.WriteAsync(dataDir, participants, http.Response.Body, clock.GetUtcNow(), http.RequestAborted, only);
            logger.LogInformation("backup written: {Files} files, {Bytes:N0} bytes", manifest.Files.Count, manifest.Files.Sum(f => f.Bytes));
        }
        catch (BackupException e) when (!http.Response.HasStarted)
        {
            logger.LogError("backup refused: {Reason}", e.Message);
            http.Response.ContentType = "application/json";
            http.Response.Headers.ContentDisposition = default;
            http.Response.StatusCode = 409;
            await http.Response.WriteAsJsonAsync(new { error = "backup_failed", message = e.Message });
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Mid-stream: the archive simply ends without its manifest, which restore detects.
            logger.LogError(e, "backup failed");
            if (!http.Response.HasStarted) http.Response.StatusCode = 500;
            else http.Abort();
        }
    }
}

using System.Formats.Tar;
using System.Security.Cryptography;
using System.Text.Json;

namespace Redoubt.Storage.Backup;

/// <summary>Whole-appliance backup and restore: every store under the data directory, one archive.</summary>
public static class Backup
{
    /// <summary>
    /// Writes every store of <paramref name="dataDirectory"/> to <paramref name="output"/>. Each store
    /// directory with a format.json must be claimed by a participant; each participant copies itself.
    /// </summary>
    /// <remarks>
    /// <paramref name="only"/> names the stores to include (null: all). Stores left out are listed in
    /// the manifest as omitted — an explicit choice of the admin, never a silent skip.
    /// </remarks>
    public static async Task<BackupManifest> WriteAsync(string dataDirectory, IEnumerable<IBackupParticipant> participants, Stream output,
        DateTimeOffset now, CancellationToken cancellationToken = default, IReadOnlyCollection<string>? only = null)
    {
        var byDir = new Dictionary<string, IBackupParticipant>(StringComparer.Ordinal);
        foreach (var p in participants)
            if (!byDir.TryAdd(Normalize(p.StoreDirectory), p))
                throw new BackupException($"two backup participants claim store directory '{p.StoreDirectory}'");

        var stores = Directory.EnumerateFiles(dataDirectory, StoreFormat.FileName, SearchOption.AllDirectories)
            .Select(f => Normalize(Path.GetRelativePath(dataDirectory, Path.GetDirectoryName(f)!)))
            .Where(d => d != ".")
            .ToHashSet(StringComparer.Ordinal);
        if (only is not null)
        {
            var unknown = only.Select(Normalize).Where(o => !stores.Contains(o) && !byDir.ContainsKey(o)).ToList();
            if (unknown.Count > 0) throw new BackupException($"no store directory {string.Join(", ", unknown)} under {dataDirectory}");
        }
        bool Wanted(string dir) => only is null || only.Select(Normalize).Contains(dir);
        // A participant without a format.json (the summary's site secret) is a store too when it is left out.
        var omitted = stores.Union(byDir.Keys).Where(s => !Wanted(s)).Order(StringComparer.Ordinal).ToList();
        var unclaimed = stores.Where(Wanted).Where(s => !byDir.ContainsKey(s) && !stores.Any(o => o != s && s.StartsWith(o + "/", StringComparison.Ordinal))).Order(StringComparer.Ordinal).ToList();
        if (unclaimed.Count > 0)
            throw new BackupException($"store director{(unclaimed.Count == 1 ? "y" : "ies")} {string.Join(", ", unclaimed)} under {dataDirectory} " +
                                      "have no backup participant, so they cannot be copied consistently; nothing was backed up " +
                                      "(name the stores to include to back up the others only)");

        await using var writer = new BackupWriter(output, now);
        writer.Manifest.Omitted = omitted;
        // Derived stores first, the event log last (IBackupParticipant.BackupOrder).
        foreach (var (dir, participant) in byDir.Where(p => Wanted(p.Key)).OrderBy(p => p.Value.BackupOrder).ThenBy(p => p.Key, StringComparer.Ordinal))
        {
            writer.BeginStore(dir, ReadKind(Path.Combine(dataDirectory, dir)));
            await participant.WriteBackupAsync(writer, cancellationToken).ConfigureAwait(false);
        }
        await writer.FinishAsync(cancellationToken).ConfigureAwait(false);
        return writer.Manifest;
    }

    /// <summary>
    /// Restores an archive into <paramref name="targetDirectory"/>, which must be empty or absent.
    /// Files go to a staging folder first and are checked against the manifest (sizes, SHA-256);
    /// only a complete, intact archive is moved into place. On failure the target is left as it was.
    /// </summary>
    public static async Task<BackupManifest> RestoreAsync(Stream input, string targetDirectory, CancellationToken cancellationToken = default)
    {
        targetDirectory = Path.GetFullPath(targetDirectory);
        if (Directory.Exists(targetDirectory) && Directory.EnumerateFileSystemEntries(targetDirectory).Any())
            throw new BackupException($"{targetDirectory} is not empty; restore only into an empty or new directory");
        var createdTarget = !Directory.Exists(targetDirectory);
        Directory.CreateDirectory(targetDirectory);
        var staging = Path.Combine(targetDirectory, ".restoring");
        Directory.CreateDirectory(staging);
        try
        {
            var manifest = await ReadArchiveAsync(input, staging, cancellationToken).ConfigureAwait(false);
            foreach (var entry in Directory.EnumerateFileSystemEntries(staging))
            {
                var dest = Path.Combine(targetDirectory, Path.GetFileName(entry));
                if (Directory.Exists(entry)) Directory.Move(entry, dest); else File.Move(entry, dest);
            }
            Directory.Delete(staging, recursive: true);
            return manifest;
        }
        catch
        {
            try
            {
                if (createdTarget) Directory.Delete(targetDirectory, recursive: true);
                else Directory.Delete(staging, recursive: true);
            }
            catch (IOException) { }
            throw;
        }
    }

    /// <summary>Reads a whole archive and checks it against its manifest, writing nothing.</summary>
    public static Task<BackupManifest> VerifyAsync(Stream input, CancellationToken cancellationToken = default) =>
        ReadArchiveAsync(input, null, cancellationToken);

    /// <summary>Reads every entry (into <paramref name="staging"/> when given), hashing as it goes; then checks the manifest.</summary>
    private static async Task<BackupManifest> ReadArchiveAsync(Stream input, string? staging, CancellationToken cancellationToken)
    {
        var seen = new Dictionary<string, (long Bytes, string Sha256)>(StringComparer.Ordinal);
        BackupManifest? manifest = null;
        var buffer = new byte[1 << 16];
        string? current = null;
        try
        {
            await using (var tar = new TarReader(input, leaveOpen: true))
            {
                while (await tar.GetNextEntryAsync(copyData: false, cancellationToken).ConfigureAwait(false) is { } entry)
                {
                    current = entry.Name;
                    if (manifest is not null) throw new BackupException($"archive has entries after its manifest ({entry.Name})");
                    if (entry.EntryType is TarEntryType.Directory) continue;
                    if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile))
                        throw new BackupException($"archive entry '{entry.Name}' is a {entry.EntryType}, not a file");
                    if (!BackupNames.IsSafe(entry.Name)) throw new BackupException($"archive entry '{entry.Name}' has an unsafe name");
                    if (entry.Name == BackupManifest.EntryName)
                    {
                        manifest = await ReadManifestAsync(entry, cancellationToken).ConfigureAwait(false);
                        current = null;
                        continue;
                    }
                    if (seen.ContainsKey(entry.Name)) throw new BackupException($"archive holds {entry.Name} twice");
                    FileStream? file = null;
                    if (staging is not null)
                    {
                        var path = Path.Combine(staging, entry.Name);
                        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                        file = new FileStream(path, OwnerOnly(FileMode.CreateNew));
                    }
                    using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                    long bytes = 0;
                    try
                    {
                        if (entry.DataStream is { } data)
                        {
                            int n;
                            while ((n = await data.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
                            {
                                hash.AppendData(buffer, 0, n);
                                if (file is not null) await file.WriteAsync(buffer.AsMemory(0, n), cancellationToken).ConfigureAwait(false);
                                bytes += n;
                            }
                        }
                        file?.Flush(flushToDisk: true);
                    }
                    finally
                    {
                        if (file is not null) await file.DisposeAsync().ConfigureAwait(false);
                    }
                    // A cut inside an entry's data reads short here (the reader stops at the end of the input);
                    // the next header read would then blame a header.
                    if (bytes != entry.Length) throw Incomplete(entry.Name);
                    seen[entry.Name] = (bytes, Convert.ToHexStringLower(hash.GetHashAndReset()));
                    current = null;
                }
            }
        }
        catch (EndOfStreamException)
        {
            // A cut inside an entry (or its header) ends the stream early; a cut between entries ends up below.
            throw current is null
                ? new BackupException("archive is incomplete: it ends inside an entry's header (the backup was cut off)")
                : Incomplete(current);
        }
        if (manifest is null) throw new BackupException("archive is incomplete: no manifest (the backup was cut off)");
        Check(manifest, seen);
        return manifest;
    }

    private static void Check(BackupManifest manifest, Dictionary<string, (long Bytes, string Sha256)> seen)
    {
        if (manifest.Format != BackupManifest.FormatName || manifest.Version != BackupManifest.FormatVersion)
            throw new BackupException($"archive is a '{manifest.Format}' version {manifest.Version}; this build restores '{BackupManifest.FormatName}' version {BackupManifest.FormatVersion}");
        foreach (var f in manifest.Files)
        {
            if (!seen.Remove(f.Path, out var got)) throw new BackupException($"archive lacks {f.Path}, listed in its manifest");
            if (got.Bytes != f.Bytes || got.Sha256 != f.Sha256)
                throw new BackupException($"{f.Path} is damaged: {got.Bytes} bytes with SHA-256 {got.Sha256}, the manifest says {f.Bytes} bytes with {f.Sha256}");
        }
        if (seen.Count > 0) throw new BackupException($"archive holds files its manifest does not list: {string.Join(", ", seen.Keys.Take(5))}");
    }

    private static BackupException Incomplete(string entry) => new($"archive is incomplete: it ends inside {entry} (the backup was cut off)");

    /// <summary>Restored files are the appliance's data (logs, the site secret): owner only, as the appliance keeps them.</summary>
    private static FileStreamOptions OwnerOnly(FileMode mode)
    {
        var options = new FileStreamOptions { Mode = mode, Access = FileAccess.Write, Share = FileShare.None, BufferSize = 1 << 16, Options = FileOptions.Asynchronous };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        return options;
    }

    private static async Task<BackupManifest> ReadManifestAsync(TarEntry entry, CancellationToken cancellationToken)
    {
        if (entry.DataStream is null) throw new BackupException("archive manifest is empty");
        // Read whole first: the manifest is the last entry, so a cut archive most often ends inside it,
        // and the JSON parser's complaint about the cut text would hide that.
        if (entry.Length > 64 << 20) throw new BackupException($"archive manifest is {entry.Length} bytes: not a manifest this build writes");
        var buffer = new MemoryStream();
        await entry.DataStream.CopyToAsync(buffer, cancellationToken).ConfigureAwait(false);
        if (buffer.Length != entry.Length) throw Incomplete(BackupManifest.EntryName);
        buffer.Position = 0;
        try
        {
            return await JsonSerializer.DeserializeAsync<BackupManifest>(buffer, BackupManifest.Json, cancellationToken).ConfigureAwait(false)
                   ?? throw new BackupException("archive manifest is empty");
        }
        catch (JsonException e) { throw new BackupException("archive manifest is unreadable: " + e.Message, e); }
    }

    private static string? ReadKind(string directory)
    {
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(directory, StoreFormat.FileName)));
            return doc.RootElement.TryGetProperty("Kind", out var k) ? k.GetString() : null;
        }
        catch (Exception e) when (e is IOException or JsonException) { return null; }
    }

    private static string Normalize(string relative) => relative.Replace('\\', '/').Trim('/');
}

using System.Formats.Tar;
using System.Security.Cryptography;
using System.Text.Json;

namespace Redoubt.Storage.Backup;

/// <summary>
/// Writes a backup archive: a tar stream of store files (names relative to the data directory),
/// hashed on the way out, closed by the manifest. Streams: nothing is staged on disk or in memory
/// beyond one copy buffer, so a backup can go straight into an HTTP response.
/// </summary>
public sealed class BackupWriter : IAsyncDisposable
{
    private readonly TarWriter _tar;
    private readonly BackupManifest _manifest = new();
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);
    private BackupManifest.StoreEntry? _store;

    public BackupWriter(Stream output, DateTimeOffset createdAt)
    {
        _tar = new TarWriter(output, TarEntryFormat.Pax, leaveOpen: true);
        _manifest.CreatedAt = createdAt;
    }

    public BackupManifest Manifest => _manifest;

    internal void BeginStore(string directory, string? kind)
    {
        _store = new BackupManifest.StoreEntry { Directory = directory, Kind = kind };
        _manifest.Stores.Add(_store);
    }

    /// <summary>Records a fact about the store being written (shown by restore, checked by tests).</summary>
    public void AddFact(string name, string value) =>
        (_store ?? throw new InvalidOperationException("no store is being written")).Facts[name] = value;

    /// <summary>Adds the first <paramref name="maxLength"/> bytes (all when null) of a file.</summary>
    public async Task AddFileAsync(string entryName, string sourcePath, long? maxLength = null, CancellationToken cancellationToken = default)
    {
        await using var file = new FileStream(sourcePath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1 << 16, useAsync: true);
        var length = Math.Min(file.Length, maxLength ?? long.MaxValue);
        await AddAsync(entryName, file, length, cancellationToken).ConfigureAwait(false);
    }

    public async Task AddBytesAsync(string entryName, byte[] bytes, CancellationToken cancellationToken = default)
    {
        using var ms = new MemoryStream(bytes, writable: false);
        await AddAsync(entryName, ms, bytes.Length, cancellationToken).ConfigureAwait(false);
    }

    private async Task AddAsync(string entryName, Stream source, long length, CancellationToken cancellationToken)
    {
        entryName = entryName.Replace('\\', '/');
        if (!BackupNames.IsSafe(entryName)) throw new BackupException($"unsafe archive entry name '{entryName}'");
        if (!_names.Add(entryName)) throw new BackupException($"archive entry '{entryName}' added twice");
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var slice = new HashingSlice(source, length, hash);
        // Owner-only in the archive too: a tar tool extracting it by hand should not spread the data (or the site secret) to every user.
        var entry = new PaxTarEntry(TarEntryType.RegularFile, entryName) { DataStream = slice, Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite };
        await _tar.WriteEntryAsync(entry, cancellationToken).ConfigureAwait(false);
        if (slice.Consumed != length) throw new BackupException($"{entryName}: copied {slice.Consumed} of {length} bytes");
        _manifest.Files.Add(new BackupManifest.FileEntry { Path = entryName, Bytes = length, Sha256 = Convert.ToHexStringLower(hash.GetHashAndReset()) });
    }

    /// <summary>Writes the manifest, last: its presence is what makes the archive complete.</summary>
    public async Task FinishAsync(CancellationToken cancellationToken = default)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(_manifest, BackupManifest.Json);
        using var ms = new MemoryStream(json, writable: false);
        await _tar.WriteEntryAsync(new PaxTarEntry(TarEntryType.RegularFile, BackupManifest.EntryName) { DataStream = ms, Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite }, cancellationToken).ConfigureAwait(false);
    }

    public ValueTask DisposeAsync() => _tar.DisposeAsync();

    /// <summary>A read-only view of the first <c>length</c> bytes of a stream that hashes what passes through.</summary>
    private sealed class HashingSlice(Stream inner, long length, IncrementalHash hash) : Stream
    {
        public long Consumed { get; private set; }
        public override bool CanRead => true;
        public override bool CanSeek => true; // TarWriter takes the size from Length
        public override bool CanWrite => false;
        public override long Length => length;
        public override long Position { get => Consumed; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var n = inner.Read(buffer[..(int)Math.Min(buffer.Length, length - Consumed)]);
            Take(buffer[..n]);
            return n;
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var n = await inner.ReadAsync(buffer[..(int)Math.Min(buffer.Length, length - Consumed)], cancellationToken).ConfigureAwait(false);
            Take(buffer.Span[..n]);
            return n;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        private void Take(ReadOnlySpan<byte> bytes)
        {
            hash.AppendData(bytes);
            Consumed += bytes.Length;
        }

        public override long Seek(long offset, SeekOrigin origin) =>
            origin == SeekOrigin.Current && offset == 0 ? Consumed : throw new NotSupportedException();
        public override void Flush() { }
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}

internal static class BackupNames
{
    /// <summary>Relative, forward slashes, no "..", no empty or hidden-root parts: safe to join under a directory.</summary>
    public static bool IsSafe(string name) =>
        name.Length is > 0 and < 512
        && !name.StartsWith('/')
        && !name.Contains('\0')
        && !name.Contains('\\')
        && name.Split('/').All(part => part.Length > 0 && part != "." && part != "..");
}

using System.Buffers;
using System.Buffers.Binary;
using System.IO.Hashing;
using MessagePack;

namespace Redoubt.Storage.Events;

/// <summary>
/// time.idx: a 16-byte header, then one record per closed block: length (4 bytes), CRC-32 of the
/// payload (4), the MessagePack <see cref="IndexBlock"/>. Append-only with an fsync per record;
/// retention rewrites it whole (temporary file, then rename). A torn last record — a crash during
/// an append — is found by its length or CRC and cut off at open: the log still holds those events
/// and the tail scan re-indexes them.
/// </summary>
internal sealed class IndexFile : IDisposable
{
    public const string FileName = "time.idx";
    private const int FormatVersion = 1;
    private static ReadOnlySpan<byte> Magic => "RDBTIDX\0"u8;
    private const int HeaderBytes = 16;

    private readonly string _path;
    private FileStream _stream;

    private IndexFile(string path, FileStream stream)
    {
        _path = path;
        _stream = stream;
    }

    public long Length => _stream.Length;

    /// <summary>Opens (or creates) the file and reads every intact record; a torn tail is cut off and reported.</summary>
    public static IndexFile Open(string directory, out List<IndexBlock> blocks, out string? repaired)
    {
        var path = Path.Combine(directory, FileName);
        var stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read);
        repaired = null;
        blocks = [];
        if (stream.Length == 0)
        {
            WriteHeader(stream);
            stream.Flush(flushToDisk: true);
            return new IndexFile(path, stream);
        }

        var header = new byte[HeaderBytes];
        if (stream.Read(header) != HeaderBytes || !header.AsSpan(0, 8).SequenceEqual(Magic))
        {
            stream.Dispose();
            throw new StoreDamagedException($"{path}: not a Redoubt time index (bad header)");
        }
        var version = BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(8));
        if (version != FormatVersion)
        {
            stream.Dispose();
            throw new StoreFormatException($"{path}: time index format version {version}, this build reads version {FormatVersion}");
        }

        var good = (long)HeaderBytes;
        var prefix = new byte[8];
        while (true)
        {
            var n = stream.ReadAtLeast(prefix, 8, throwOnEndOfStream: false);
            if (n == 0) break;
            if (n < 8) { repaired = $"torn record header at byte {good}"; break; }
            var length = BinaryPrimitives.ReadInt32LittleEndian(prefix);
            var crc = BinaryPrimitives.ReadUInt32LittleEndian(prefix.AsSpan(4));
            if (length <= 0 || length > 1 << 20 || good + 8 + length > stream.Length) { repaired = $"torn record at byte {good}"; break; }
            var payload = new byte[length];
            stream.ReadExactly(payload);
            if (Crc32.HashToUInt32(payload) != crc) { repaired = $"record at byte {good} fails its checksum"; break; }
            IndexBlock block;
            try { block = MessagePackSerializer.Deserialize<IndexBlock>(payload); }
            catch (MessagePackSerializationException e) { repaired = $"record at byte {good} does not decode ({e.Message})"; break; }
            blocks.Add(block);
            good += 8 + length;
        }
        if (good != stream.Length)
        {
            repaired ??= $"{stream.Length - good} stray bytes after the last record";
            stream.SetLength(good);
            stream.Flush(flushToDisk: true);
        }
        stream.Seek(0, SeekOrigin.End);
        return new IndexFile(path, stream);
    }

    public void Append(IndexBlock block)
    {
        var start = _stream.Length;
        try
        {
            _stream.Write(Frame(block));
            _stream.Flush(flushToDisk: true);
        }
        catch (IOException)
        {
            // Leave no half record behind (disk full): the block stays pending and is written later.
            try { _stream.SetLength(start); _stream.Seek(0, SeekOrigin.End); } catch (IOException) { }
            throw;
        }
    }

    /// <summary>Replaces the file with exactly <paramref name="blocks"/> (after retention dropped some).</summary>
    public void Rewrite(IEnumerable<IndexBlock> blocks)
    {
        var temp = _path + ".new";
        using (var t = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            WriteHeader(t);
            foreach (var b in blocks) t.Write(Frame(b));
            t.Flush(flushToDisk: true);
        }
        _stream.Dispose();
        File.Move(temp, _path, overwrite: true);
        _stream = new FileStream(_path, FileMode.Open, FileAccess.ReadWrite, FileShare.Read);
        _stream.Seek(0, SeekOrigin.End);
    }

    private static byte[] Frame(IndexBlock block)
    {
        var payload = MessagePackSerializer.Serialize(block);
        var framed = new byte[8 + payload.Length];
        BinaryPrimitives.WriteInt32LittleEndian(framed, payload.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(framed.AsSpan(4), Crc32.HashToUInt32(payload));
        payload.CopyTo(framed, 8);
        return framed;
    }

    private static void WriteHeader(Stream s)
    {
        Span<byte> header = stackalloc byte[HeaderBytes];
        header.Clear();
        Magic.CopyTo(header);
        BinaryPrimitives.WriteInt32LittleEndian(header[8..], FormatVersion);
        s.Write(header);
    }

    public void Dispose() => _stream.Dispose();
}

using System.Buffers;
using System.Buffers.Binary;
using System.IO.Hashing;

namespace Redoubt.Storage.Events;

/// <summary>
/// State derived from the log's events and kept in memory beside it (the appliance's ingest state:
/// sources' last-seen times, idempotency keys). The log feeds it every committed event, in log order,
/// and checkpoints it to <see cref="LogStateFile"/> with the log address it covers, so an open loads
/// the checkpoint and replays only the events after that address instead of a whole recent window.
/// Calls come from one thread at a time: the open, then the appender.
/// </summary>
public interface ILogState
{
    /// <summary>
    /// One committed event, in log order: at open (summary fields only, <see cref="EventSummaryCodec"/>)
    /// and on the appender right after its commit, before the append completes.
    /// </summary>
    void Observe(long id, EventRecord e);

    /// <summary>
    /// On the appender between commits, so the state has observed exactly the committed events: what it
    /// holds now, as a snapshot that no later <see cref="Observe"/> changes (it is written out on another thread).
    /// </summary>
    ILogStateSnapshot Capture();

    /// <summary>At open, before any <see cref="Observe"/>: takes back a saved state. Throws when it cannot read it.</summary>
    void Load(ReadOnlyMemory<byte> saved);

    /// <summary>Back to empty: a <see cref="Load"/> failed half-way, or the checkpoint turned out not to fit the log.</summary>
    void Clear();

    /// <summary>At open, once the state is complete up to the committed address; before the appender starts.</summary>
    void Recovered();
}

/// <summary>A captured <see cref="ILogState"/>, serialised off the appender.</summary>
public interface ILogStateSnapshot
{
    void WriteTo(IBufferWriter<byte> output);
}

/// <summary>
/// <c>log-state.ckpt</c> beside the log segments: an <see cref="ILogState"/> checkpoint and the log
/// position it covers. 48-byte header (magic, version, covered address, address and CRC of the last
/// entry before it, payload length, time saved), the payload, then a CRC-32 of everything before it.
/// The last entry's address and CRC tie the checkpoint to this log's bytes: one that does not match
/// (another log's file, a log restored without it) is ignored and the state rebuilt from the log.
/// Written to a temporary file, fsynced, renamed over the old one, directory fsynced: a crash leaves
/// the old checkpoint or the new one, and a torn file fails its CRC and is ignored the same way.
/// </summary>
public static class LogStateFile
{
    public const string FileName = "log-state.ckpt";
    private const int Version = 1;
    private const int HeaderBytes = 48;
    private static ReadOnlySpan<byte> Magic => "RDBTLST\0"u8;

    /// <summary>What a checkpoint says about itself, and its payload.</summary>
    public sealed record Checkpoint(long Covered, long LastEntry, uint LastEntryCrc, long SavedAtMs, ReadOnlyMemory<byte> Payload);

    /// <summary>The whole file for a snapshot covering the log up to <paramref name="covered"/>.</summary>
    public static byte[] Encode(ILogStateSnapshot snapshot, long covered, long lastEntry, uint lastEntryCrc, long savedAtMs)
    {
        var payload = new ArrayBufferWriter<byte>(4096);
        snapshot.WriteTo(payload);
        var bytes = new byte[HeaderBytes + payload.WrittenCount + 4];
        var s = bytes.AsSpan();
        Magic.CopyTo(s);
        BinaryPrimitives.WriteInt32LittleEndian(s[8..], Version);
        BinaryPrimitives.WriteInt64LittleEndian(s[16..], covered);
        BinaryPrimitives.WriteInt64LittleEndian(s[24..], lastEntry);
        BinaryPrimitives.WriteUInt32LittleEndian(s[32..], lastEntryCrc);
        BinaryPrimitives.WriteInt32LittleEndian(s[36..], payload.WrittenCount);
        BinaryPrimitives.WriteInt64LittleEndian(s[40..], savedAtMs);
        payload.WrittenSpan.CopyTo(s[HeaderBytes..]);
        BinaryPrimitives.WriteUInt32LittleEndian(s[^4..], Crc32.HashToUInt32(s[..^4]));
        return bytes;
    }

    /// <summary>Parses a file's bytes; null (and why) when they are not a whole checkpoint this build reads.</summary>
    public static Checkpoint? Decode(byte[] bytes, out string? why)
    {
        why = null;
        var s = bytes.AsSpan();
        if (s.Length < HeaderBytes + 4 || !s[..8].SequenceEqual(Magic)) { why = "not a log state checkpoint"; return null; }
        var length = BinaryPrimitives.ReadInt32LittleEndian(s[36..]);
        if (length < 0 || HeaderBytes + (long)length + 4 != s.Length) { why = $"{s.Length} bytes, the header says {HeaderBytes + (long)length + 4} (torn)"; return null; }
        if (Crc32.HashToUInt32(s[..^4]) != BinaryPrimitives.ReadUInt32LittleEndian(s[^4..])) { why = "it fails its checksum (torn or damaged)"; return null; }
        var version = BinaryPrimitives.ReadInt32LittleEndian(s[8..]);
        if (version != Version) { why = $"format version {version}, this build reads {Version}"; return null; }
        return new Checkpoint(
            BinaryPrimitives.ReadInt64LittleEndian(s[16..]),
            BinaryPrimitives.ReadInt64LittleEndian(s[24..]),
            BinaryPrimitives.ReadUInt32LittleEndian(s[32..]),
            BinaryPrimitives.ReadInt64LittleEndian(s[40..]),
            bytes.AsMemory(HeaderBytes, length));
    }

    /// <summary>Reads the store's checkpoint: null when there is none (<paramref name="why"/> null) or it is unusable (why says).</summary>
    public static Checkpoint? Read(string directory, out string? why)
    {
        why = null;
        byte[] bytes;
        try { bytes = File.ReadAllBytes(Path.Combine(directory, FileName)); }
        catch (FileNotFoundException) { return null; }
        // Permission denied (a file left owned by root), a directory in its place: as unusable as a torn file.
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { why = "unreadable: " + e.Message; return null; }
        return Decode(bytes, out why);
    }

    /// <summary>Replaces the checkpoint durably: temporary file, fsync, rename, fsync of the directory.</summary>
    public static void Write(string directory, byte[] bytes) => DurableFile.Replace(Path.Combine(directory, FileName), bytes);
}

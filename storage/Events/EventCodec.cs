using System.Buffers;
using System.Buffers.Binary;
using System.IO.Hashing;
using MessagePack;
using MessagePack.Resolvers;

namespace Redoubt.Storage.Events;

/// <summary>
/// How an <see cref="EventRecord"/> is stored in the event log: a 4-byte CRC-32 of the rest, then
/// the MessagePack encoding. FasterLog verifies its own per-entry checksums only for pages it reads
/// from disk, not for the tail page recovery keeps in memory; our CRC is checked on every decode,
/// so a torn or garbled entry is found wherever it is.
/// </summary>
public static class EventCodec
{
    public const int HeaderBytes = 4;

    // Fixed options: changing them changes the on-disk format. Untrusted-data security guards
    // decoding of a store file someone may have tampered with.
    private static readonly MessagePackSerializerOptions Options =
        MessagePackSerializerOptions.Standard
            .WithResolver(StandardResolver.Instance)
            .WithSecurity(MessagePackSecurity.UntrustedData);

    /// <summary>Writes the entry for <paramref name="record"/> after what <paramref name="output"/> holds (normally nothing).</summary>
    public static void Encode(EventRecord record, ArrayBufferWriter<byte> output)
    {
        var start = output.WrittenCount;
        output.GetSpan(HeaderBytes);
        output.Advance(HeaderBytes);
        MessagePackSerializer.Serialize(output, record, Options);
        var written = output.WrittenSpan[start..];
        var crc = Crc32.HashToUInt32(written[HeaderBytes..]);
        // WrittenSpan is read-only; the header slot sits in the writer's own array.
        BinaryPrimitives.WriteUInt32LittleEndian(System.Runtime.InteropServices.MemoryMarshal.AsMemory(output.WrittenMemory).Span[start..], crc);
    }

    /// <summary>Decodes one entry; a checksum mismatch or undecodable payload is an <see cref="EventCorruptException"/>.</summary>
    public static EventRecord Decode(ReadOnlyMemory<byte> entry, long address = -1)
    {
        if (entry.Length < HeaderBytes + 1)
            throw new EventCorruptException(address, $"entry of {entry.Length} bytes is too short");
        var span = entry.Span;
        var expected = BinaryPrimitives.ReadUInt32LittleEndian(span);
        if (Crc32.HashToUInt32(span[HeaderBytes..]) != expected)
            throw new EventCorruptException(address, "checksum mismatch");
        try { return MessagePackSerializer.Deserialize<EventRecord>(entry[HeaderBytes..], Options); }
        catch (MessagePackSerializationException e) { throw new EventCorruptException(address, "undecodable: " + e.Message); }
    }
}

/// <summary>An entry in the event log that fails its checksum or does not decode.</summary>
public sealed class EventCorruptException(long address, string what)
    : Exception($"event at address {address} is damaged ({what})")
{
    public long Address { get; } = address;
}

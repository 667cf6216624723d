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
        CheckEntry(entry.Span, address);
        return DecodeChecked(entry, address);
    }

    /// <summary>Decode of an entry whose checksum the caller has just checked (<see cref="CheckEntry"/>).</summary>
    internal static EventRecord DecodeChecked(ReadOnlyMemory<byte> entry, long address)
    {
        try { return MessagePackSerializer.Deserialize<EventRecord>(entry[HeaderBytes..], Options); }
        catch (MessagePackSerializationException e) { throw new EventCorruptException(address, "undecodable: " + e.Message); }
    }

    /// <summary>Throws <see cref="EventCorruptException"/> when the entry is too short or fails its checksum.</summary>
    internal static void CheckEntry(ReadOnlySpan<byte> span, long address)
    {
        if (span.Length < HeaderBytes + 1)
            throw new EventCorruptException(address, $"entry of {span.Length} bytes is too short");
        var expected = BinaryPrimitives.ReadUInt32LittleEndian(span);
        if (Crc32.HashToUInt32(span[HeaderBytes..]) != expected)
            throw new EventCorruptException(address, "checksum mismatch");
    }

    internal static BatchMark? DeserializeBatchMark(ref MessagePackReader reader) =>
        MessagePackSerializer.Deserialize<BatchMark?>(ref reader, Options);
}

/// <summary>
/// What opening the log needs of each recent event to rebuild ingest state (source last-seen times,
/// idempotency keys): the received time, transport, flags, sender, host, source and batch mark.
/// Decoding only those, and skipping the message, structured data, raw bytes, JSON and fields without
/// materialising them, is what keeps an open with millions of recent events short.
/// </summary>
public static class EventSummaryCodec
{
    /// <summary>
    /// Like <see cref="EventCodec.Decode"/> (same checksum over the whole entry, same errors), but the
    /// record holds only the summary fields; every other field is left at its default.
    /// </summary>
    public static EventRecord Decode(ReadOnlyMemory<byte> entry, long address = -1)
    {
        EventCodec.CheckEntry(entry.Span, address);
        try
        {
            var reader = new MessagePackReader(entry[EventCodec.HeaderBytes..]);
            var count = reader.ReadArrayHeader();
            var e = new EventRecord();
            // Array positions are the [Key(n)] numbers of EventRecord (frozen: the on-disk format).
            for (var i = 0; i < count; i++)
            {
                switch (i)
                {
                    case 0: e.ReceivedAtMs = reader.ReadInt64(); break;
                    case 1: e.TimeMs = reader.ReadInt64(); break;
                    case 2: e.Transport = (Transport)reader.ReadByte(); break;
                    case 3: e.Flags = (EventFlags)reader.ReadByte(); break;
                    case 4: e.Sender = reader.ReadString(); break;
                    case 5: e.Host = reader.ReadString(); break;
                    case 16: e.Source = reader.ReadString(); break;
                    case 20: e.Batch = EventCodec.DeserializeBatchMark(ref reader); break;
                    default: reader.Skip(); break;
                }
            }
            return e;
        }
        catch (Exception x) when (x is MessagePackSerializationException or EndOfStreamException or OverflowException)
        {
            throw new EventCorruptException(address, "undecodable: " + x.Message);
        }
    }
}

/// <summary>An entry in the event log that fails its checksum or does not decode.</summary>
public sealed class EventCorruptException(long address, string what)
    : Exception($"event at address {address} is damaged ({what})")
{
    public long Address { get; } = address;
}

using System.Buffers;
using MessagePack;
using MessagePack.Resolvers;

namespace Redoubt.Storage.Events;

/// <summary>MessagePack encoding of <see cref="EventRecord"/> as stored in the event log.</summary>
public static class EventCodec
{
    // Fixed options: changing them changes the on-disk format. Untrusted-data security guards
    // decoding of a store file someone may have tampered with.
    private static readonly MessagePackSerializerOptions Options =
        MessagePackSerializerOptions.Standard
            .WithResolver(StandardResolver.Instance)
            .WithSecurity(MessagePackSecurity.UntrustedData);

    public static void Encode(EventRecord record, IBufferWriter<byte> output) =>
        MessagePackSerializer.Serialize(output, record, Options);

    public static EventRecord Decode(ReadOnlyMemory<byte> bytes) =>
        MessagePackSerializer.Deserialize<EventRecord>(bytes, Options);
}

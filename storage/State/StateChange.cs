using System.Buffers;
using MessagePack;
using MessagePack.Resolvers;

namespace Redoubt.Storage.State;

/// <summary>What a state change does. Persisted as a byte in the write-ahead log: never renumber.</summary>
public enum StateOp : byte
{
    Put = 1,
    Delete = 2,
}

/// <summary>
/// One entry of the state store's write-ahead log. MessagePack array format: keys are on-disk
/// format, append new ones and never renumber.
/// </summary>
[MessagePackObject]
public sealed class StateChange
{
    [Key(0)] public StateOp Op { get; set; }
    [Key(1)] public string Collection { get; set; } = "";
    [Key(2)] public string Key { get; set; } = "";
    /// <summary>The MessagePack-serialized value for <see cref="StateOp.Put"/>; null for a delete.</summary>
    [Key(3)] public byte[]? Value { get; set; }
}

/// <summary>Encodings of the state store: WAL entries, KV keys, and the values callers store.</summary>
internal static class StateCodec
{
    // Fixed options: they are the on-disk format. Untrusted-data security because store files can
    // be tampered with; StandardResolver needs [MessagePackObject] with integer keys on stored types,
    // which keeps the format explicit.
    public static readonly MessagePackSerializerOptions Options =
        MessagePackSerializerOptions.Standard
            .WithResolver(StandardResolver.Instance)
            .WithSecurity(MessagePackSecurity.UntrustedData);

    public static void EncodeChange(StateChange change, IBufferWriter<byte> output) =>
        MessagePackSerializer.Serialize(output, change, Options);

    public static StateChange DecodeChange(ReadOnlyMemory<byte> bytes) =>
        MessagePackSerializer.Deserialize<StateChange>(bytes, Options);

    /// <summary>KV key: the MessagePack array [collection, key], unambiguous for any strings.</summary>
    public static byte[] EncodeKey(string collection, string key)
    {
        var buffer = new ArrayBufferWriter<byte>(collection.Length + key.Length + 8);
        var writer = new MessagePackWriter(buffer);
        writer.WriteArrayHeader(2);
        writer.Write(collection);
        writer.Write(key);
        writer.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    public static (string Collection, string Key) DecodeKey(ReadOnlyMemory<byte> bytes)
    {
        var reader = new MessagePackReader(bytes);
        if (reader.ReadArrayHeader() != 2) throw new MessagePackSerializationException("state key is not a [collection, key] pair");
        var collection = reader.ReadString() ?? throw new MessagePackSerializationException("state key without collection");
        var key = reader.ReadString() ?? throw new MessagePackSerializationException("state key without key");
        return (collection, key);
    }
}

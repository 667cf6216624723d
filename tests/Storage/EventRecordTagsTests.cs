using System.Buffers;
using MessagePack;
using Redoubt.Storage.Events;

namespace Redoubt.Tests.Storage;

/// <summary>Tags are part of the on-disk format at MessagePack key 19; this freezes that.</summary>
public sealed class EventRecordTagsTests
{
    [Fact]
    public void Tags_are_stored_at_key_19_and_read_back()
    {
        var record = new EventRecord { Message = "m", Tags = new() { ["site"] = "plant-1", ["zone"] = "ot" } };
        var buffer = new ArrayBufferWriter<byte>();
        EventCodec.Encode(record, buffer);

        // The stored entry is a CRC (EventCodec.HeaderBytes) followed by the MessagePack array.
        var reader = new MessagePackReader(buffer.WrittenMemory[EventCodec.HeaderBytes..]);
        var count = reader.ReadArrayHeader();
        Assert.True(count >= 20, $"array of {count} entries has no key 19");
        for (var i = 0; i < 19; i++) reader.Skip();
        // If this fails, key 19 was renumbered: old stores would lose their tags. Append new keys instead.
        Assert.Equal(2, reader.ReadMapHeader());

        var back = EventCodec.Decode(buffer.WrittenMemory);
        Assert.Equal(record.Tags, back.Tags);
    }
}

using Redoubt.Storage.Events;

namespace Redoubt.Tests.Storage;

/// <summary>A fresh event-log directory on the real disk, with a small geometry so pages, blocks and segments turn over quickly.</summary>
public sealed class TempStore : IDisposable
{
    public string Root { get; } = System.IO.Directory.CreateTempSubdirectory("redoubt-store-").FullName;
    public string Directory => Path.Combine(Root, "events");

    public EventLogOptions Options(int blockEvents = 64, int segmentBits = 16) => new()
    {
        Directory = Directory,
        PageSizeBits = 14,
        MemorySizeBits = 16,
        SegmentSizeBits = segmentBits,
        IndexBlockMaxEvents = blockEvents,
        MinFreeBytes = 0,
    };

    public EventLog Open(int blockEvents = 64, int segmentBits = 16) => EventLog.Open(Options(blockEvents, segmentBits));

    public void Dispose()
    {
        try { System.IO.Directory.Delete(Root, recursive: true); } catch (IOException) { }
    }

    /// <summary>An event whose message names it, received <paramref name="receivedAgo"/> ago, stamped with <paramref name="timeMs"/>.</summary>
    public static EventRecord Event(string message, long? timeMs = null, TimeSpan? receivedAgo = null, string source = "test")
    {
        var received = DateTimeOffset.UtcNow.Subtract(receivedAgo ?? TimeSpan.Zero).ToUnixTimeMilliseconds();
        return new EventRecord { Message = message, Source = source, ReceivedAtMs = received, TimeMs = timeMs ?? received, Host = "h", Transport = Transport.HttpNdjson };
    }

    /// <summary>Every event in the store, oldest first, through the export feed.</summary>
    public static async Task<List<StoredEvent>> AllAsync(EventLog log)
    {
        var all = new List<StoredEvent>();
        await foreach (var e in log.ExportAsync(new EventQuery())) all.Add(e);
        return all;
    }
}

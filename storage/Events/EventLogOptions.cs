using Microsoft.Extensions.Logging;

namespace Redoubt.Storage.Events;

public sealed class EventLogOptions
{
    /// <summary>Directory of the event log (created if missing).</summary>
    public required string Directory { get; init; }

    /// <summary>
    /// FasterLog page: an entry must fit in one page, so this bounds the largest event (4 MiB).
    /// Page and segment size are fixed when the store is created (layout.json); later values are ignored.
    /// </summary>
    public int PageSizeBits { get; init; } = 22;
    public int MemorySizeBits { get; init; } = 25;
    /// <summary>Segment file size; retention frees disk space a whole segment at a time (256 MiB).</summary>
    public int SegmentSizeBits { get; init; } = 28;

    /// <summary>Write requests that may wait for the appender before producers feel backpressure.</summary>
    public int QueueCapacity { get; init; } = 4096;

    /// <summary>Group commit: most events one commit covers.</summary>
    public int CommitMaxEvents { get; init; } = 16384;
    /// <summary>
    /// Group commit: how long the first write of a batch may wait for more writes to share its commit.
    /// The bound on latency a write gains from batching (the commit itself comes on top). Zero commits
    /// as soon as the queue is drained.
    /// </summary>
    public TimeSpan CommitDelay { get; init; } = TimeSpan.FromMilliseconds(2);

    /// <summary>Time index: a block closes after this many events…</summary>
    public int IndexBlockMaxEvents { get; init; } = 4096;
    /// <summary>…or this many bytes of log…</summary>
    public int IndexBlockMaxBytes { get; init; } = 1 << 20;
    /// <summary>…or when its received times span this long, so a quiet source still gets fine time steps.</summary>
    public TimeSpan IndexBlockMaxSpan { get; init; } = TimeSpan.FromHours(1);

    /// <summary>
    /// Writes stop (503, "disk_full") while the filesystem has less free space than this, so the
    /// log's own pages and commits always find room; they resume once space is back.
    /// </summary>
    public long MinFreeBytes { get; init; } = 256L << 20;
    /// <summary>How often free space is measured.</summary>
    public TimeSpan DiskCheckInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Sees, once at open and in log order, every committed event received within
    /// <see cref="RecoverWindow"/> of now: rebuilds state kept beside the log (source last-seen
    /// times, idempotency keys). The time index finds where that window starts, so an open reads
    /// only the recent part of a large store.
    /// </summary>
    public Action<long, EventRecord>? OnRecovered { get; init; }
    /// <summary>
    /// <see cref="OnRecovered"/> gets only what ingest state needs (<see cref="EventSummaryCodec"/>:
    /// received time, transport, flags, sender, host, source, batch mark), not the message and fields:
    /// the open then skips most of each entry instead of decoding it (every entry's checksum is still verified).
    /// </summary>
    public bool RecoverSummariesOnly { get; init; }
    /// <summary>How far back (by received time) <see cref="OnRecovered"/> replays, and <see cref="State"/> when it has no usable checkpoint.</summary>
    public TimeSpan RecoverWindow { get; init; } = TimeSpan.FromDays(1);
    /// <summary>
    /// State derived from the events and checkpointed beside the log (<see cref="LogStateFile"/>): it sees
    /// every committed event, and an open loads its checkpoint and replays only the events after it.
    /// Without a usable checkpoint (a store written before, a torn or foreign file) the open replays
    /// <see cref="RecoverWindow"/> into it instead, as <see cref="OnRecovered"/>.
    /// </summary>
    public ILogState? State { get; init; }
    /// <summary>Checkpoint <see cref="State"/> after this many committed events: bounds what an open after kill -9 replays.</summary>
    public int StateCheckpointEvents { get; init; } = 65_536;
    /// <summary>…but at most this often (each checkpoint rewrites the whole state).</summary>
    public TimeSpan StateCheckpointMinInterval { get; init; } = TimeSpan.FromSeconds(2);
    /// <summary>
    /// Sees every event right after its commit, in log order, before its append completes: state it
    /// updates is current when the producer learns the event is durable. Runs on the appender: keep it
    /// cheap, and never throw (the appender would stop).
    /// </summary>
    public Action<long, EventRecord>? OnCommitted { get; init; }

    /// <summary>
    /// Records of the latest commits kept in memory for the reader that tails the log (the fan-out),
    /// which then need not decode them again; beyond this many it decodes from the log. 0 = always decode.
    /// </summary>
    public int TailRecords { get; init; } = 32_768;

    public ILogger? Logger { get; init; }
    public TimeProvider Clock { get; init; } = TimeProvider.System;
}

using System.Buffers;
using System.Threading.Channels;
using FASTER.core;

namespace Redoubt.Storage.Events;

public sealed class EventLogOptions
{
    /// <summary>Directory of the event log (created if missing).</summary>
    public required string Directory { get; init; }
    /// <summary>FasterLog page: an entry must fit in one page, so this bounds the largest event (4 MiB).</summary>
    public int PageSizeBits { get; init; } = 22;
    public int MemorySizeBits { get; init; } = 25;
    /// <summary>Segment file size; retention deletes whole segments (256 MiB).</summary>
    public int SegmentSizeBits { get; init; } = 28;
    /// <summary>Write requests that may wait for the appender before producers feel backpressure.</summary>
    public int QueueCapacity { get; init; } = 4096;
    /// <summary>Most events encoded into the log between two commits.</summary>
    public int MaxEventsPerCommit { get; init; } = 16384;
    /// <summary>Sees every event the scan at open finds, in log order: rebuilds state kept beside the log.</summary>
    public Action<long, EventRecord>? OnRecovered { get; init; }
    /// <summary>
    /// Sees every event right after its commit, in log order, before its append completes: state it
    /// updates is current when the producer learns the event is durable. Runs on the appender: keep it
    /// cheap, and never throw (the appender would stop).
    /// </summary>
    public Action<long, EventRecord>? OnCommitted { get; init; }
}

/// <summary>What the writer hands back for one appended batch: the event ids, in batch order.</summary>
public readonly record struct AppendResult(long[] Ids);

/// <summary>
/// The durable event log: a FASTER <see cref="FasterLog"/> of MessagePack-encoded
/// <see cref="EventRecord"/>s, where an event's id is its log address.
/// One appender task takes batches from a bounded channel, encodes them into the log, issues one
/// commit for everything it took (group commit), and only then completes the batches: a caller
/// that awaits <see cref="AppendAsync"/> holds durable events and may acknowledge them.
/// </summary>
public sealed class EventLog : IAsyncDisposable
{
    public const string FormatKind = "redoubt-event-log";
    public const int FormatVersion = 1;

    private readonly IDevice _device;
    private readonly FasterLog _log;
    private readonly AddressIndex _index = new();
    private readonly Channel<WriteRequest> _queue;
    private readonly Task _appender;
    private readonly EventLogOptions _options;
    private volatile Exception? _failure;

    public EventStats Stats { get; } = new();
    public string Directory => _options.Directory;
    /// <summary>Largest encoded event the log accepts (one page minus the entry header).</summary>
    public int MaxEntryBytes => (1 << _options.PageSizeBits) - 64;
    /// <summary>Set when a commit failed: the log takes no more writes until restarted.</summary>
    public Exception? Failure => _failure;
    public int QueuedRequests => _queue.Reader.Count;

    private EventLog(EventLogOptions options)
    {
        _options = options;
        StoreFormat.EnsureCompatible(options.Directory, FormatKind, FormatVersion);
        _device = Devices.CreateLogDevice(Path.Combine(options.Directory, "events.log"));
        _log = new FasterLog(new FasterLogSettings
        {
            LogDevice = _device,
            PageSizeBits = options.PageSizeBits,
            MemorySizeBits = options.MemorySizeBits,
            SegmentSizeBits = options.SegmentSizeBits,
            LogCommitDir = Path.Combine(options.Directory, "commits"),
            // The constructor swallows recovery errors (FASTER-NOTES 0.5): recover explicitly so a
            // broken store fails loudly instead of opening empty.
            TryRecoverLatest = false,
        });
        _log.Recover();
        Rebuild();
        _queue = Channel.CreateBounded<WriteRequest>(new BoundedChannelOptions(options.QueueCapacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _appender = Task.Factory.StartNew(AppendLoop, TaskCreationOptions.LongRunning).Unwrap();
    }

    public static EventLog Open(EventLogOptions options) => new(options);

    /// <summary>Bytes the log files take on disk.</summary>
    public long StoreBytes =>
        new DirectoryInfo(_options.Directory).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length);

    public long Count => _index.Count;

    /// <summary>
    /// Appends a batch and completes once every event of it is durable (covered by a commit).
    /// Waits for queue space when the appender is behind: that is the backpressure producers feel.
    /// </summary>
    public async ValueTask<AppendResult> AppendAsync(IReadOnlyList<EventRecord> batch, CancellationToken cancellationToken = default)
    {
        ThrowIfFailed();
        var request = new WriteRequest(batch);
        await _queue.Writer.WriteAsync(request, cancellationToken).ConfigureAwait(false);
        return await request.Completion.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Hands one event to the appender without waiting for durability (UDP: nothing to acknowledge).
    /// False when the queue is full: the caller counts it as dropped.
    /// </summary>
    public bool TryAppend(EventRecord record)
    {
        if (_failure is not null) return false;
        return _queue.Writer.TryWrite(new WriteRequest([record]));
    }

    private void ThrowIfFailed()
    {
        if (_failure is { } f) throw new EventLogUnavailableException("event log is not accepting writes: " + f.Message, f);
    }

    private async Task AppendLoop()
    {
        var buffer = new ArrayBufferWriter<byte>(4096);
        var taken = new List<WriteRequest>();
        var reader = _queue.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            taken.Clear();
            var events = 0;
            while (events < _options.MaxEventsPerCommit && reader.TryRead(out var request))
            {
                taken.Add(request);
                events += request.Events.Count;
                EncodeInto(request, buffer);
            }

            try
            {
                await _log.CommitAsync().ConfigureAwait(false);
            }
            catch (Exception e)
            {
                _failure = e;
                foreach (var r in taken) r.Completion.TrySetException(new EventLogUnavailableException("commit failed: " + e.Message, e));
                continue;
            }

            foreach (var request in taken)
            {
                if (request.Ids is null) continue; // rejected while encoding
                for (var i = 0; i < request.Ids.Length; i++)
                {
                    _index.Add(request.Ids[i]);
                    Stats.Count(request.Events[i]);
                    _options.OnCommitted?.Invoke(request.Ids[i], request.Events[i]);
                }
                request.Completion.TrySetResult(new AppendResult(request.Ids));
            }
        }
    }

    private void EncodeInto(WriteRequest request, ArrayBufferWriter<byte> buffer)
    {
        var ids = new long[request.Events.Count];
        try
        {
            for (var i = 0; i < ids.Length; i++)
            {
                buffer.ResetWrittenCount();
                EventCodec.Encode(request.Events[i], buffer);
                if (buffer.WrittenCount > MaxEntryBytes)
                    throw new ArgumentException($"event of {buffer.WrittenCount} bytes exceeds the log's {MaxEntryBytes}-byte entry limit");
                ids[i] = _log.Enqueue(buffer.WrittenSpan);
            }
            request.Ids = ids;
        }
        catch (Exception e) when (e is ArgumentException or MessagePack.MessagePackSerializationException)
        {
            // Events already enqueued from this batch stay in the log but are not acknowledged:
            // the sender retries the batch, so they become duplicates, never losses.
            request.Completion.TrySetException(e);
        }
    }

    /// <summary>Scans the committed log once at open: rebuilds the address index and the counters.</summary>
    private void Rebuild()
    {
        using var iterator = _log.Scan(_log.BeginAddress, _log.CommittedUntilAddress);
        while (iterator.GetNext(out var entry, out var length, out var address, out _))
        {
            _index.Add(address);
            var record = EventCodec.Decode(entry.AsMemory(0, length));
            Stats.Count(record);
            _options.OnRecovered?.Invoke(address, record);
        }
    }

    /// <summary>
    /// Events newest first, filtered. Walks the address index backwards in chunks and scans each
    /// chunk forward (FasterLog reads forward efficiently). Bounded work per call: when
    /// <see cref="EventQuery.MaxScanned"/> events were examined without filling the page, the
    /// page ends early with a cursor so the caller can go on.
    /// </summary>
    public async Task<EventPage> QueryAsync(EventQuery query, CancellationToken cancellationToken = default)
    {
        const int chunk = 512;
        var results = new List<StoredEvent>(Math.Min(query.Limit, 1000));
        var count = _index.Count;
        var hi = query.BeforeId is { } before ? _index.LastBelow(before, count) : count - 1;
        var scanned = 0;
        var buffer = new List<StoredEvent>(chunk);

        while (hi >= 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var lo = Math.Max(0, hi - chunk + 1);
            buffer.Clear();
            await ReadRangeAsync(_index[lo], _index[hi], buffer, cancellationToken).ConfigureAwait(false);
            for (var i = buffer.Count - 1; i >= 0; i--)
            {
                scanned++;
                if (!query.Matches(buffer[i].Event)) continue;
                results.Add(buffer[i]);
                if (results.Count == query.Limit)
                    return new EventPage(results, buffer[i].Id, scanned);
            }
            hi = lo - 1;
            if (scanned >= query.MaxScanned && hi >= 0)
                return new EventPage(results, _index[hi] + 1, scanned);
        }
        return new EventPage(results, null, scanned);
    }

    /// <summary>Address one past the last committed event: where a consumer that is caught up waits.</summary>
    public long CommittedUntil => _log.CommittedUntilAddress;

    /// <summary>Address of the oldest event still held (retention moves it forward).</summary>
    public long BeginAddress => _log.BeginAddress;

    /// <summary>
    /// Committed events in log order from <paramref name="fromAddress"/> (an event id, or a
    /// <see cref="StoredEvent.NextId"/>), then waits for each later commit: the feed that
    /// detection and the graph consume, so they only ever see durable events.
    /// </summary>
    public async IAsyncEnumerable<StoredEvent> ReadCommittedAsync(long fromAddress,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        using var iterator = _log.Scan(Math.Max(fromAddress, _log.BeginAddress), long.MaxValue);
        while (!cancellationToken.IsCancellationRequested)
        {
            while (iterator.GetNext(out var entry, out var length, out var address, out var next))
                yield return new StoredEvent(address, EventCodec.Decode(entry.AsMemory(0, length)), next);
            bool more;
            try { more = await iterator.WaitAsync(cancellationToken).ConfigureAwait(false); }
            catch (OperationCanceledException) { yield break; }
            if (!more) yield break;
        }
    }

    /// <summary>Reads one event by id (log address), or null when no event starts there.</summary>
    public async Task<EventRecord?> GetAsync(long id, CancellationToken cancellationToken = default)
    {
        var count = _index.Count;
        var at = _index.LastBelow(id + 1, count);
        if (at < 0 || _index[at] != id) return null;
        var one = new List<StoredEvent>(1);
        await ReadRangeAsync(id, id, one, cancellationToken).ConfigureAwait(false);
        return one.Count == 1 ? one[0].Event : null;
    }

    private async Task ReadRangeAsync(long first, long last, List<StoredEvent> into, CancellationToken cancellationToken)
    {
        using var iterator = _log.Scan(first, last + 1);
        while (true)
        {
            while (iterator.GetNext(out var entry, out var length, out var address, out var next))
            {
                into.Add(new StoredEvent(address, EventCodec.Decode(entry.AsMemory(0, length)), next));
                if (address >= last) return;
            }
            if (!await iterator.WaitAsync(cancellationToken).ConfigureAwait(false)) return;
        }
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _appender.ConfigureAwait(false);
        if (_failure is null)
        {
            try { await _log.CommitAsync().ConfigureAwait(false); } catch (Exception) { /* already failed; nothing more to save */ }
        }
        _log.Dispose();
        _device.Dispose();
    }

    private sealed class WriteRequest(IReadOnlyList<EventRecord> events)
    {
        public IReadOnlyList<EventRecord> Events { get; } = events;
        public long[]? Ids { get; set; }
        public TaskCompletionSource<AppendResult> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}

/// <summary>An event with its id (log address) and the address right after it, where the next event starts.</summary>
public readonly record struct StoredEvent(long Id, EventRecord Event, long NextId);

public sealed record EventPage(IReadOnlyList<StoredEvent> Events, long? NextCursor, int Scanned);

public sealed class EventLogUnavailableException(string message, Exception inner) : Exception(message, inner);

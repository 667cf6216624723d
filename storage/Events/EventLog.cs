using System.Diagnostics;
using System.Threading.Channels;
using FASTER.core;
using Microsoft.Extensions.Logging;

namespace Redoubt.Storage.Events;

/// <summary>What the writer hands back for one appended batch: the event ids, in batch order.</summary>
public readonly record struct AppendResult(long[] Ids);

/// <summary>What opening the store found and how long it took.</summary>
public sealed record RecoveryReport(double OpenMillis, int IndexBlocks, long TailEventsScanned, long CommittedUntil, string? IndexRepair);

/// <summary>
/// The durable event log: a FASTER <see cref="FasterLog"/> of <see cref="EventCodec"/> entries
/// (CRC + MessagePack <see cref="EventRecord"/>), where an event's id is its log address.
/// One appender task takes batches from a bounded channel, encodes them into the log, issues one
/// commit for everything it took (group commit, bounded by <see cref="EventLogOptions.CommitDelay"/>
/// and <see cref="EventLogOptions.CommitMaxEvents"/>), and only then completes the batches: a caller
/// that awaits <see cref="AppendAsync"/> holds durable events and may acknowledge them.
/// A sparse <see cref="TimeIndex"/> (time.idx) maps time to log address and carries the counters,
/// so opening reads the index and scans only the events committed after its last block.
/// </summary>
public sealed partial class EventLog : IAsyncDisposable
{
    public const string FormatKind = "redoubt-event-log";
    /// <summary>2: entries carry a CRC; time.idx and layout.json sit beside the segments.</summary>
    public const int FormatVersion = 2;

    /// <summary>Stored with every commit: recovery that does not bring it back did not find a commit of ours.</summary>
    private static readonly byte[] Cookie = "RDBTLOG2"u8.ToArray();

    private readonly EventLogOptions _options;
    private readonly ILogger? _logger;
    private readonly TimeProvider _clock;
    private readonly StoreLock _lock;
    private readonly LogLayout _layout;
    private readonly IDevice _device;
    private readonly DiskSpace _disk;
    private readonly TimeIndex _index;
    private readonly Channel<Request> _queue;
    private readonly Task _appender;
    private volatile Generation _gen;
    private volatile StoreHealth _health;
    private volatile bool _closing;
    private int _disposed;

    public EventStats Stats { get; } = new();
    public CommitMetrics Commits { get; } = new();
    public RecoveryReport Recovery { get; }
    public string Directory => _options.Directory;
    /// <summary>Largest encoded event the log accepts (one page minus the entry header and our CRC).</summary>
    public int MaxEntryBytes => (1 << _layout.PageSizeBits) - 64;
    public StoreHealth Health => _health;
    /// <summary>Why the log takes no writes now, or null when it does.</summary>
    public string? Failure => _health.IsOk ? null : _health.Reason;
    public int QueuedRequests => _queue.Reader.Count;
    public long FreeBytes => _disk.FreeBytes;
    public long MinFreeBytes => _disk.MinFreeBytes;
    public int PageSizeBits => _layout.PageSizeBits;
    public int SegmentSizeBits => _layout.SegmentSizeBits;
    public int IndexBlocks => _index.ClosedBlocks;
    public long IndexFileBytes => _index.FileBytes;

    /// <summary>Raised (on the appender) when free space falls below the reserve; retention listens to it.</summary>
    public event Action? DiskFull;

    private EventLog(EventLogOptions options)
    {
        var started = Stopwatch.GetTimestamp();
        _options = options;
        _tail = options.TailRecords > 0 ? new CommittedTail(options.TailRecords) : null;
        _logger = options.Logger;
        _clock = options.Clock;
        StoreFormat.EnsureCompatible(options.Directory, FormatKind, FormatVersion);
        _lock = StoreLock.Acquire(options.Directory);
        try
        {
            _layout = LogLayout.LoadOrCreate(options.Directory, new LogLayout(options.PageSizeBits, options.SegmentSizeBits), out var ignored);
            if (ignored is not null) _logger?.LogWarning("event log: {Ignored}", ignored);
            _device = Devices.CreateLogDevice(Path.Combine(options.Directory, "events.log"));
            _disk = new DiskSpace(options.Directory, options.MinFreeBytes, options.DiskCheckInterval, _clock);
            _disk.Refresh(force: true);
            _gen = new Generation(OpenFasterLog(), 1);
            _index = LoadIndex(_gen.Log, out var tail, out var repair);
            if (options.OnRecovered is { } onRecovered) ReplayRecent(onRecovered);
            if (options.State is { } state) RecoverState(state);
            if (!HasCommits()) _gen.Log.CommitStronglyAsync(Cookie).AsTask().GetAwaiter().GetResult();
            Recovery = new RecoveryReport(Stopwatch.GetElapsedTime(started).TotalMilliseconds, _index.ClosedBlocks, tail, _gen.Log.CommittedUntilAddress, repair);
        }
        catch
        {
            _index?.Dispose();
            _gen?.Log.Dispose();
            _device?.Dispose();
            _lock.Dispose();
            throw;
        }
        _health = StoreHealth.Healthy(_clock.GetUtcNow());
        if (_disk.IsLow) EnterDiskFull();
        _queue = Channel.CreateBounded<Request>(new BoundedChannelOptions(options.QueueCapacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _appender = Task.Factory.StartNew(AppendLoop, TaskCreationOptions.LongRunning).Unwrap();
    }

    /// <summary>
    /// Opens (recovers) the store. A store that cannot be recovered faithfully — commit metadata
    /// unreadable, a torn or garbled committed tail, an index ahead of the log — throws
    /// <see cref="StoreDamagedException"/> with what was found; it is never opened empty.
    /// </summary>
    public static EventLog Open(EventLogOptions options) => new(options);

    private FasterLog OpenFasterLog()
    {
        var log = new FasterLog(new FasterLogSettings
        {
            LogDevice = _device,
            PageSizeBits = _layout.PageSizeBits,
            MemorySizeBits = Math.Max(_options.MemorySizeBits, _layout.PageSizeBits + 1),
            SegmentSizeBits = _layout.SegmentSizeBits,
            LogCommitDir = CommitDirectory,
            // The constructor swallows recovery errors (FASTER-NOTES 0.5): recover explicitly so a
            // broken store fails loudly instead of opening empty.
            TryRecoverLatest = false,
        });
        try
        {
            log.Recover();
        }
        catch (Exception e)
        {
            log.Dispose();
            throw new StoreDamagedException($"{Directory}: the log cannot be recovered from its commit metadata ({e.Message}). " + NothingChanged, e);
        }
        // FasterLog skips unreadable commit files and, with none left, starts empty (FASTER-NOTES 2.8).
        if (HasCommits() && !(log.RecoveredCookie ?? []).AsSpan().SequenceEqual(Cookie))
        {
            log.Dispose();
            throw new StoreDamagedException(
                $"{Directory}: no commit in {CommitDirectory} is readable, so the log would open empty although it was written. " + NothingChanged);
        }
        return log;
    }

    private const string NothingChanged =
        "Nothing was changed on disk. Restore the data directory from a backup (redoubt restore), or move this directory aside to start an empty store.";

    private string CommitDirectory => Path.Combine(Directory, "commits");

    private bool HasCommits() =>
        System.IO.Directory.Exists(CommitDirectory) && System.IO.Directory.EnumerateFiles(CommitDirectory, "commit.*", SearchOption.AllDirectories).Any();

    /// <summary>Bytes the log files take on disk.</summary>
    public long StoreBytes
    {
        get
        {
            long sum = 0;
            foreach (var f in new DirectoryInfo(_options.Directory).EnumerateFiles("*", SearchOption.AllDirectories))
            {
                try { sum += f.Length; } catch (FileNotFoundException) { /* a segment retention just deleted */ }
            }
            return sum;
        }
    }

    /// <summary>Events the store holds.</summary>
    public long Count => Stats.Events;

    /// <summary>Address one past the last committed event: where a consumer that is caught up waits.</summary>
    public long CommittedUntil => _gen.Log.CommittedUntilAddress;

    /// <summary>Address of the oldest event still held (retention moves it forward).</summary>
    public long BeginAddress => _gen.Log.BeginAddress;

    /// <summary>
    /// Reads time.idx, checks it against the recovered log, re-reads the last indexed block and
    /// scans what was committed after it: the only part of the log an open reads.
    /// </summary>
    private TimeIndex LoadIndex(FasterLog log, out long tailEvents, out string? repair)
    {
        var file = IndexFile.Open(Directory, out var blocks, out repair);
        if (repair is not null) _logger?.LogWarning("time index: {Repair}; the events after it are re-indexed from the log", repair);
        try
        {
            var begin = log.BeginAddress;
            var committed = log.CommittedUntilAddress;
            var below = blocks.FindIndex(b => b.Start >= begin);
            if (below < 0) below = blocks.Count;
            if (below > 0 && blocks[below - 1].End > begin)
                throw new StoreDamagedException($"{Directory}: the log begins at {begin}, inside an indexed block [{blocks[below - 1].Start}, {blocks[below - 1].End}). " + NothingChanged);
            blocks.RemoveRange(0, below); // dropped by retention; the file is rewritten by the next retention run
            if (blocks.Count > 0 && blocks[^1].End > committed)
                throw new StoreDamagedException(
                    $"{Directory}: the time index lists events up to address {blocks[^1].End}, but the log recovered only up to {committed}: " +
                    "acknowledged events are missing (commit metadata rolled back or log files replaced). " + NothingChanged);

            foreach (var b in blocks) Stats.Add(b.Count, b.Counters);
            var from = begin;
            if (blocks.Count > 0)
            {
                var last = blocks[^1];
                var seen = 0;
                (_lastEntry, _lastEntryCrc) = VerifyRange(log, last.Start, last.End, (_, _, _) => seen++);
                if (seen != last.Count)
                    throw new StoreDamagedException($"{Directory}: the last indexed block [{last.Start}, {last.End}) should hold {last.Count} events, the log has {seen}. " + NothingChanged);
                from = last.End;
            }

            var index = new TimeIndex(file, blocks, from, _options);
            long n = 0;
            var tailLast = VerifyRange(log, from, committed, (address, end, e) =>
            {
                index.Observe(address, end, e);
                Stats.Count(e);
                n++;
            });
            if (tailLast.Address >= 0) (_lastEntry, _lastEntryCrc) = tailLast;
            index.Publish();
            tailEvents = n;
            return index;
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Hands the events received within <see cref="EventLogOptions.RecoverWindow"/> to
    /// <paramref name="onRecovered"/>, starting at the first index block that may hold one (received
    /// times grow with the log, closely enough for a block's range to bound them).
    /// </summary>
    private void ReplayRecent(Action<long, EventRecord> onRecovered)
    {
        var log = _gen.Log;
        var cutoff = _clock.GetUtcNow().ToUnixTimeMilliseconds() - (long)_options.RecoverWindow.TotalMilliseconds;
        var closed = _index.ClosedSpans();
        var from = closed.Count > 0 ? closed[^1].End : log.BeginAddress;
        foreach (var b in closed)
        {
            if (b.MaxReceivedMs < cutoff) continue;
            from = b.Start;
            break;
        }
        long n = 0;
        VerifyRange(log, Math.Max(from, log.BeginAddress), log.CommittedUntilAddress, summariesOnly: _options.RecoverSummariesOnly, onEvent: (address, _, e) =>
        {
            if (e.ReceivedAtMs < cutoff) return;
            onRecovered(address, e);
            n++;
        });
        _logger?.LogInformation("event log: replayed {Events} events of the last {Window} to rebuild ingest state", n, _options.RecoverWindow);
    }

    /// <summary>
    /// Reads [from, until) and checks it is whole: every entry decodes (CRC), each starts where the
    /// previous ended (or at the next page, when it did not fit), and the last ends exactly at
    /// <paramref name="until"/>. FasterLog skips zeroed space silently, so a truncated file shows up
    /// only as a short or gapped range — which is what this looks for. Returns the address and CRC of
    /// the last entry read (-1 when the range is empty).
    /// </summary>
    private (long Address, uint Crc) VerifyRange(FasterLog log, long from, long until, Action<long, long, EventRecord> onEvent, bool summariesOnly = false)
    {
        if (from >= until) return (-1, 0);
        var expected = from;
        (long Address, uint Crc) last = (-1, 0);
        try
        {
            using var iterator = log.Scan(from, until);
            while (true)
            {
                while (iterator.GetNext(out var entry, out var length, out var address, out var next))
                {
                    var nextPage = ((expected >> _layout.PageSizeBits) + 1) << _layout.PageSizeBits;
                    if (address != expected && address != nextPage)
                        throw new StoreDamagedException(
                            $"{Directory}: events between addresses {expected} and {address} are unreadable (zeroed or overwritten log segment). " + NothingChanged);
                    var memory = entry.AsMemory(0, length);
                    onEvent(address, next, summariesOnly ? EventSummaryCodec.Decode(memory, address) : EventCodec.Decode(memory, address));
                    last = (address, System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(entry));
                    expected = next;
                }
                if (!iterator.WaitAsync().AsTask().GetAwaiter().GetResult()) break;
            }
        }
        catch (EventCorruptException e)
        {
            throw new StoreDamagedException($"{Directory}: the committed log is damaged: {e.Message}. " + NothingChanged, e);
        }
        catch (FasterException e)
        {
            throw new StoreDamagedException($"{Directory}: the committed log is damaged near address {expected}: {e.Message}. " + NothingChanged, e);
        }
        if (expected < until)
            throw new StoreDamagedException(
                $"{Directory}: the log's commit covers addresses up to {until}, but entries can be read only up to {expected}: " +
                "the segment file is truncated or its end overwritten. " + NothingChanged);
        return last;
    }

    public async ValueTask DisposeAsync()
    {
        // The host disposes its singletons after the shutdown path has closed the log: once is enough
        // (a second pass met the disposed FasterLog and warned of a failed final commit).
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _closing = true;
        _queue.Writer.TryComplete();
        await _appender.ConfigureAwait(false);
        var gen = _gen;
        if (_health.State != StoreState.Failed)
        {
            try { await gen.Log.CommitStronglyAsync(Cookie).ConfigureAwait(false); }
            catch (Exception e) { _logger?.LogWarning("event log: final commit failed ({Error}); every acknowledged event was committed before", e.Message); }
            await CloseStateAsync().ConfigureAwait(false);
        }
        else await _stateWrite.ConfigureAwait(false);
        gen.Closed.Cancel();
        gen.Log.Dispose();
        _device.Dispose();
        _index.Dispose();
        _lock.Dispose();
    }

    /// <summary>
    /// One FasterLog instance. After a device error FasterLog refuses every later commit until it is
    /// recreated (FASTER-NOTES 2.5), so a failure retires the generation and the appender opens a
    /// new one on the same files once the disk allows, from the last good commit.
    /// </summary>
    private sealed class Generation(FasterLog log, int number)
    {
        public FasterLog Log { get; } = log;
        public int Number { get; } = number;
        /// <summary>Cancelled when the generation is retired: tailing readers move to the next one.</summary>
        public CancellationTokenSource Closed { get; } = new();
    }
}

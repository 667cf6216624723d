using Microsoft.Extensions.Logging;

namespace Redoubt.Storage.Events;

/// <summary>
/// The sparse time index: the log cut into blocks (a few thousand events, at most 1 MiB or one hour
/// of received time each), each with the min/max event time it holds. Events arrive in received
/// order but not in event-time order, so a block is a zone map, not a sorted range: a query for
/// [from, to) reads every block whose [min, max] overlaps it, and an out-of-order event only widens
/// its own block (see docs/storage.md). The appender is the only writer (Observe, Publish, Drop);
/// readers take consistent snapshots under the lock: closed blocks plus the open block as of the
/// last commit, always a prefix of the committed log.
/// </summary>
internal sealed class TimeIndex : IDisposable
{
    private readonly object _lock = new();
    private readonly List<IndexBlock> _closed;
    private readonly Queue<IndexBlock> _unpersisted = new();
    private readonly IndexFile _file;
    private readonly EventLogOptions _options;
    private readonly ILogger? _logger;
    private IndexBlock _open = new();
    private BlockSpan? _openSpan;
    private long _end;

    public TimeIndex(IndexFile file, List<IndexBlock> closed, long end, EventLogOptions options)
    {
        _file = file;
        _closed = closed;
        _end = end;
        _options = options;
        _logger = options.Logger;
    }

    /// <summary>Address after the last event the index holds (appender's view).</summary>
    public long End => Volatile.Read(ref _end);

    public int ClosedBlocks { get { lock (_lock) return _closed.Count; } }
    public long FileBytes => _file.Length;
    public IndexBlock OpenBlock => _open;

    /// <summary>Appender only: one committed event, in log order.</summary>
    public void Observe(long address, long end, EventRecord e)
    {
        if (_open.Count > 0 && ShouldClose(_open, e)) Close();
        _open.Add(address, end, e);
        _end = end;
    }

    private bool ShouldClose(IndexBlock b, EventRecord next) =>
        b.Count >= _options.IndexBlockMaxEvents
        || b.End - b.Start >= _options.IndexBlockMaxBytes
        || Math.Max(b.MaxReceivedMs, next.ReceivedAtMs) - Math.Min(b.MinReceivedMs, next.ReceivedAtMs) >= (long)_options.IndexBlockMaxSpan.TotalMilliseconds;

    private void Close()
    {
        var block = _open;
        _open = new IndexBlock();
        block.Seal();
        lock (_lock)
        {
            _closed.Add(block);
            _openSpan = null;
        }
        _unpersisted.Enqueue(block);
        PersistPending();
    }

    /// <summary>Writes closed blocks not yet on disk. A failure (disk full) keeps them queued; the log still holds their events.</summary>
    public void PersistPending()
    {
        while (_unpersisted.TryPeek(out var block))
        {
            try { _file.Append(block); }
            catch (IOException e)
            {
                _logger?.LogWarning("time index: cannot write block at {Start} yet ({Error}); will retry", block.Start, e.Message);
                return;
            }
            _unpersisted.Dequeue();
        }
    }

    /// <summary>Appender only, after a commit was processed: makes the open block visible to queries.</summary>
    public void Publish()
    {
        var span = _open.Count > 0 ? _open.Span : (BlockSpan?)null;
        lock (_lock) _openSpan = span;
    }

    /// <summary>
    /// Blocks that may hold events with id &lt; <paramref name="beforeId"/>, time in [from, to) and the
    /// host and app of <paramref name="probe"/> (closed blocks with sketches only: the open block is always read), newest first.
    /// </summary>
    public List<BlockSpan> Candidates(long? beforeId, long? fromMs, long? toMs, bool newestFirst, SketchProbe probe = default)
    {
        var result = new List<BlockSpan>();
        lock (_lock)
        {
            var before = beforeId ?? long.MaxValue;
            if (_openSpan is { } open && open.Start < before && open.MayHoldTime(fromMs, toMs)) result.Add(open);
            for (var i = UpperBound(before) - 1; i >= 0; i--)
            {
                var s = _closed[i].Span;
                if (s.MayHoldTime(fromMs, toMs) && s.MayHold(probe)) result.Add(s);
            }
        }
        if (!newestFirst) result.Reverse();
        return result;
    }

    /// <summary>Index of the first closed block with Start &gt;= address.</summary>
    private int UpperBound(long address)
    {
        int lo = 0, hi = _closed.Count;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (_closed[mid].Start < address) lo = mid + 1; else hi = mid;
        }
        return lo;
    }

    /// <summary>The block whose address range holds <paramref name="id"/>, if any.</summary>
    public BlockSpan? Find(long id)
    {
        lock (_lock)
        {
            if (_openSpan is { } open && id >= open.Start && id < open.End) return open;
            var i = UpperBound(id + 1) - 1;
            if (i >= 0 && id < _closed[i].End) return _closed[i].Span;
            return null;
        }
    }

    /// <summary>The oldest block still held.</summary>
    public BlockSpan? First
    {
        get { lock (_lock) return _closed.Count > 0 ? _closed[0].Span : _openSpan; }
    }

    /// <summary>Closed blocks, oldest first (retention plans on these; the open block is never dropped).</summary>
    public List<BlockSpan> ClosedSpans()
    {
        lock (_lock) return _closed.Select(b => b.Span).ToList();
    }

    /// <summary>Appender only: forgets every closed block that starts before <paramref name="begin"/> and rewrites the file.</summary>
    public List<IndexBlock> DropBefore(long begin)
    {
        List<IndexBlock> dropped;
        lock (_lock)
        {
            var n = 0;
            while (n < _closed.Count && _closed[n].Start < begin) n++;
            dropped = _closed.GetRange(0, n);
            _closed.RemoveRange(0, n);
        }
        if (dropped.Count == 0) return dropped;
        // Pending blocks are part of the rewrite, so the queue empties.
        List<IndexBlock> keep;
        lock (_lock) keep = [.. _closed];
        try
        {
            _file.Rewrite(keep);
            _unpersisted.Clear();
        }
        catch (IOException e)
        {
            // The old file still lists the dropped blocks; open ignores blocks below the log's begin address.
            _logger?.LogWarning("time index: cannot rewrite after retention yet ({Error})", e.Message);
        }
        return dropped;
    }

    public void Dispose() => _file.Dispose();
}

using System.Runtime.CompilerServices;
using FASTER.core;

namespace Redoubt.Storage.Events;

/// <summary>An event with its id (log address) and the address right after it, where the next event starts.</summary>
public readonly record struct StoredEvent(long Id, EventRecord Event, long NextId);

/// <summary>
/// One page of query results. <see cref="Scanned"/> events were examined (matched on their encoded bytes)
/// in <see cref="BlocksRead"/> candidate index blocks, <see cref="BytesRead"/> bytes of log (a run of
/// neighbouring blocks is read through what lies between them) to find them: the measure of what the index saved.
/// </summary>
public sealed record EventPage(IReadOnlyList<StoredEvent> Events, long? NextCursor, int Scanned)
{
    public int BlocksRead { get; init; }
    public long BytesRead { get; init; }
}

public sealed partial class EventLog
{
    /// <summary>
    /// Events newest first, filtered. The time index names the blocks that may hold the time range
    /// and, where a block has a host/app sketch, the host and app. Entries are matched on their
    /// encoded bytes (<see cref="EventFilter"/>) and only matches are decoded. Candidate blocks are
    /// read in forward runs, one iterator each: first the newest blocks that hold as many events as
    /// the page needs (a page of newest events is usually all there), then runs whose span doubles up
    /// to <see cref="MaxRunPages"/> log pages. Every new iterator loads its page anew, which costs more
    /// than the events between neighbouring blocks: a run reads through gaps of up to a quarter page
    /// (the filter rejects those events); blocks further apart start a new run.
    /// Matches are taken from the end of each run. Bounded work per call: when
    /// <see cref="EventQuery.MaxScanned"/> events were examined without filling the page, the page
    /// ends early with a cursor so the caller can go on.
    /// </summary>
    public async Task<EventPage> QueryAsync(EventQuery query, CancellationToken cancellationToken = default)
    {
        var blocks = _index.Candidates(query.BeforeId, query.FromMs, query.ToMs, newestFirst: true, SketchProbe.For(query));
        var filter = new EventFilter(query);
        var results = new List<StoredEvent>(Math.Min(query.Limit, 1000));
        var matches = new List<StoredEvent>();
        int scanned = 0, blocksRead = 0;
        long bytesRead = 0;
        var maxSpan = (long)MaxRunPages << _layout.PageSizeBits;
        var maxGap = (1L << _layout.PageSizeBits) / 4;
        var runSpan = 0L; // the first run: the newest blocks that could fill the page
        for (var b = 0; b < blocks.Count;)
        {
            var need = query.Limit - results.Count;
            var end = Math.Min(blocks[b].End, query.BeforeId ?? long.MaxValue);
            var start = blocks[b].Start;
            long planned = blocks[b].Count;
            var inRun = 1;
            // Older blocks join the run while it holds fewer events than the page needs or they start
            // within runSpan of its end, while the scan budget lasts, and only across a short gap: far
            // apart (a one-hour window and a late event's block) they are read on their own.
            for (b++; b < blocks.Count && start - blocks[b].End <= maxGap && (planned < need || blocks[b].Start >= end - runSpan)
                      && scanned + planned < query.MaxScanned; b++, inRun++)
            {
                start = blocks[b].Start;
                planned += blocks[b].Count;
            }
            matches.Clear();
            scanned += await ScanRangeAsync(start, end, filter, matches, keepNewest: need, cancellationToken).ConfigureAwait(false);
            blocksRead += inRun;
            bytesRead += end - start;
            for (var i = matches.Count - 1; i >= 0; i--)
            {
                results.Add(matches[i]);
                if (results.Count == query.Limit)
                    return new EventPage(results, matches[i].Id, scanned) { BlocksRead = blocksRead, BytesRead = bytesRead };
            }
            if (scanned >= query.MaxScanned && b < blocks.Count)
                return new EventPage(results, start, scanned) { BlocksRead = blocksRead, BytesRead = bytesRead };
            runSpan = Math.Min(maxSpan, 2 * (end - start)); // the page is not full yet: grow the runs
        }
        return new EventPage(results, null, scanned) { BlocksRead = blocksRead, BytesRead = bytesRead };
    }

    /// <summary>
    /// Every matching event in log order (oldest first), streamed block by block: the export feed.
    /// Only the blocks the time index names are read; memory stays at a small batch of matches.
    /// </summary>
    public async IAsyncEnumerable<StoredEvent> ExportAsync(EventQuery query, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        // Neighbouring candidate blocks are read as one run: one sequential scan instead of a page
        // load per block (a short stretch of skipped blocks costs less to read through than to seek over).
        var blocks = _index.Candidates(query.BeforeId, query.FromMs, query.ToMs, newestFirst: false, SketchProbe.For(query));
        var filter = new EventFilter(query);
        var pageBytes = 1L << _layout.PageSizeBits;
        var batch = new List<StoredEvent>(ExportBatch);
        for (var i = 0; i < blocks.Count;)
        {
            var start = blocks[i].Start;
            var end = blocks[i].End;
            for (i++; i < blocks.Count && blocks[i].Start <= end + pageBytes; i++) end = blocks[i].End;
            var log = _gen.Log;
            var position = Math.Max(start, log.BeginAddress);
            if (position >= end) continue;
            FasterLogScanIterator iterator;
            try { iterator = log.Scan(position, end, scanBufferingMode: ScanBufferingMode.DoublePageBuffering); }
            catch (Exception e) when (Truncated(e, log, position)) { continue; }
            using (iterator)
            {
                while (true)
                {
                    batch.Clear();
                    bool more;
                    try { more = Drain(iterator, filter, batch, ExportBatch, ref position, out _); }
                    catch (Exception e) when (Truncated(e, log, position)) { break; }
                    foreach (var e in batch) yield return e;
                    if (more) continue;
                    try { if (!await iterator.WaitAsync(cancellationToken).ConfigureAwait(false)) break; }
                    catch (Exception e) when (Truncated(e, log, position)) { break; }
                }
            }
        }
    }

    private const int ExportBatch = 256;

    /// <summary>
    /// Longest run of a search, in log pages. Runs double up to it: a search that fills its page early
    /// reads at most about as much again as it needed, and one that scans far (a rare or absent text)
    /// loads each page about once instead of once per block.
    /// </summary>
    private const int MaxRunPages = 16;

    /// <summary>
    /// Scans [from, until) and adds the matching events to <paramref name="matches"/> in log order,
    /// keeping at most about the newest <paramref name="keepNewest"/> (only those can make the page).
    /// Returns how many entries were examined. Retention may truncate the range while it is read:
    /// a read error once the log's begin has moved past the position ends the range quietly.
    /// </summary>
    private async Task<int> ScanRangeAsync(long from, long until, EventFilter filter, List<StoredEvent> matches, int keepNewest, CancellationToken cancellationToken)
    {
        var log = _gen.Log;
        var position = Math.Max(from, log.BeginAddress);
        if (position >= until) return 0;
        FasterLogScanIterator iterator;
        // One page frame, not the default two: each iterator allocates its frames (a page each) anew.
        try { iterator = log.Scan(position, until, scanBufferingMode: ScanBufferingMode.SinglePageBuffering); }
        catch (Exception e) when (Truncated(e, log, position)) { return 0; }
        var scanned = 0;
        var trimAt = 2 * keepNewest + 64;
        using (iterator)
        {
            while (true)
            {
                bool more;
                int n;
                try { more = Drain(iterator, filter, matches, int.MaxValue, ref position, out n, trimAt, keepNewest); }
                catch (Exception e) when (Truncated(e, log, position)) { return scanned; }
                scanned += n;
                if (more) continue;
                try { if (!await iterator.WaitAsync(cancellationToken).ConfigureAwait(false)) return scanned; }
                catch (Exception e) when (Truncated(e, log, position)) { return scanned; }
            }
        }
    }

    /// <summary>
    /// Reads the entries the iterator has ready, in place on their pages: checks each CRC, matches the
    /// encoded bytes and decodes only matches into <paramref name="sink"/>. Stops when nothing more is
    /// ready (false: wait, then call again) or when <paramref name="sink"/> holds <paramref name="maxSink"/>
    /// (true). With <paramref name="trimAt"/>, the sink is cut to its newest <paramref name="keep"/>
    /// whenever it reaches that size. Synchronous: the page stays epoch-protected only within one entry.
    /// </summary>
    private static unsafe bool Drain(FasterLogScanIterator iterator, EventFilter filter, List<StoredEvent> sink, int maxSink,
        ref long position, out int scanned, int trimAt = int.MaxValue, int keep = 0)
    {
        var page = new PageEntry();
        scanned = 0;
        while (sink.Count < maxSink)
        {
            if (!iterator.UnsafeGetNext(out var pointer, out var length, out var address, out var next)) return false;
            try
            {
                var entry = page.Point(pointer, length);
                EventCodec.CheckEntry(entry.Span, address);
                scanned++;
                if (filter.Matches(entry[EventCodec.HeaderBytes..], address))
                {
                    sink.Add(new StoredEvent(address, EventCodec.DecodeChecked(entry, address), next));
                    if (sink.Count >= trimAt) sink.RemoveRange(0, sink.Count - keep);
                }
            }
            finally { iterator.UnsafeRelease(); }
            position = next;
        }
        return true;
    }

    /// <summary>Reads one event by id (log address), or null when no event starts there.</summary>
    public async Task<EventRecord?> GetAsync(long id, CancellationToken cancellationToken = default)
    {
        if (_index.Find(id) is not { } block) return null;
        await foreach (var e in ReadRangeAsync(block.Start, block.End, cancellationToken).ConfigureAwait(false))
        {
            if (e.Id == id) return e.Event;
            if (e.Id > id) break;
        }
        return null;
    }

    /// <summary>The oldest event still held (the retention horizon), or null when the store is empty.</summary>
    public async Task<StoredEvent?> OldestAsync(CancellationToken cancellationToken = default)
    {
        // Retention moves the log's begin a moment before it drops the index blocks: if the first
        // block turns out to be gone already, the next one is the horizon.
        for (var attempt = 0; attempt < 5; attempt++)
        {
            if (_index.First is not { } block) return null;
            await foreach (var e in ReadRangeAsync(block.Start, block.End, cancellationToken).ConfigureAwait(false))
                return e;
            await Task.Yield();
        }
        return null;
    }

    /// <summary>
    /// Committed events in [from, until), decoded and CRC-checked. Retention may truncate the range
    /// while it is read: a read error once the log's begin has moved past the position ends the
    /// range quietly (those events are gone by policy), any other error propagates.
    /// </summary>
    private async IAsyncEnumerable<StoredEvent> ReadRangeAsync(long from, long until, [EnumeratorCancellation] CancellationToken cancellationToken,
        ScanBufferingMode buffering = ScanBufferingMode.SinglePageBuffering)
    {
        var log = _gen.Log;
        from = Math.Max(from, log.BeginAddress);
        if (from >= until) yield break;
        FasterLogScanIterator iterator;
        // Block reads are short: one page frame, not the default two (FasterLog loads whole pages).
        try { iterator = log.Scan(from, until, scanBufferingMode: buffering); }
        catch (Exception e) when (Truncated(e, log, from)) { yield break; }
        using (iterator)
        {
            var position = from;
            while (true)
            {
                bool got;
                byte[] entry;
                int length;
                long address, next;
                try { got = iterator.GetNext(out entry, out length, out address, out next); }
                catch (Exception e) when (Truncated(e, log, position)) { yield break; }
                if (got)
                {
                    position = next;
                    yield return new StoredEvent(address, EventCodec.Decode(entry.AsMemory(0, length), address), next);
                    continue;
                }
                bool more;
                try { more = await iterator.WaitAsync(cancellationToken).ConfigureAwait(false); }
                catch (Exception e) when (Truncated(e, log, position)) { yield break; }
                if (!more) yield break;
            }
        }
    }

    private static bool Truncated(Exception e, FasterLog log, long position) =>
        e is FasterException or IOException or ArgumentException && log.BeginAddress > position;

    /// <summary>
    /// Committed events in log order from <paramref name="fromAddress"/> (an event id, or a
    /// <see cref="StoredEvent.NextId"/>), then waits for each later commit: the feed that
    /// detection and the graph consume, so they only ever see durable events. Survives the log
    /// being reopened after a failed commit: it moves to the new generation where it stopped.
    /// </summary>
    public async IAsyncEnumerable<StoredEvent> ReadCommittedAsync(long fromAddress, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var next = fromAddress;
        // One tailing reader (the fan-out) takes the appender's records of recent commits instead of decoding them again.
        var fromTail = _tail?.TryOwn() == true;
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var gen = _gen;
                using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, gen.Closed.Token);
                next = Math.Max(next, gen.Log.BeginAddress);
                using var iterator = gen.Log.Scan(next, long.MaxValue);
                while (true)
                {
                    while (TryNextCommitted(iterator, fromTail, out var stored))
                    {
                        next = stored.NextId;
                        yield return stored;
                    }
                    if (!await WaitQuietlyAsync(iterator, linked.Token).ConfigureAwait(false)) break;
                }
                if (cancellationToken.IsCancellationRequested || _closing) yield break;
                if (!gen.Closed.IsCancellationRequested) yield break; // the iterator ended: the log was completed
            }
        }
        finally { if (fromTail) _tail!.Release(); }
    }

    /// <summary>
    /// Waits for the next commit. On a generation whose commit failed, FasterLog rethrows that
    /// failure to every waiter: then wait until the appender retires the generation (the token is
    /// linked to it) and let the caller move to the next one.
    /// </summary>
    private static async Task<bool> WaitQuietlyAsync(FasterLogScanIterator iterator, CancellationToken token)
    {
        try { return await iterator.WaitAsync(token).ConfigureAwait(false); }
        catch (OperationCanceledException) { return false; }
        catch (CommitFailureException)
        {
            try { await Task.Delay(Timeout.Infinite, token).ConfigureAwait(false); }
            catch (OperationCanceledException) { }
            return false;
        }
    }
}

using System.Runtime.CompilerServices;
using FASTER.core;

namespace Redoubt.Storage.Events;

/// <summary>An event with its id (log address) and the address right after it, where the next event starts.</summary>
public readonly record struct StoredEvent(long Id, EventRecord Event, long NextId);

/// <summary>
/// One page of query results. <see cref="Scanned"/> events were decoded from <see cref="BlocksRead"/>
/// index blocks (<see cref="BytesRead"/> bytes of log) to find them: the measure of what the time index saved.
/// </summary>
public sealed record EventPage(IReadOnlyList<StoredEvent> Events, long? NextCursor, int Scanned)
{
    public int BlocksRead { get; init; }
    public long BytesRead { get; init; }
}

public sealed partial class EventLog
{
    /// <summary>
    /// Events newest first, filtered. The time index names the blocks that may hold the time range;
    /// each is scanned forward (FasterLog reads forward efficiently) and its matches taken from the
    /// end. Bounded work per call: when <see cref="EventQuery.MaxScanned"/> events were examined
    /// without filling the page, the page ends early with a cursor so the caller can go on.
    /// </summary>
    public async Task<EventPage> QueryAsync(EventQuery query, CancellationToken cancellationToken = default)
    {
        var blocks = _index.Candidates(query.BeforeId, query.FromMs, query.ToMs, newestFirst: true);
        var results = new List<StoredEvent>(Math.Min(query.Limit, 1000));
        var matches = new List<StoredEvent>();
        int scanned = 0, blocksRead = 0;
        long bytesRead = 0;
        for (var b = 0; b < blocks.Count; b++)
        {
            var block = blocks[b];
            var end = Math.Min(block.End, query.BeforeId ?? long.MaxValue);
            var need = query.Limit - results.Count;
            matches.Clear();
            await foreach (var e in ReadRangeAsync(block.Start, end, cancellationToken).ConfigureAwait(false))
            {
                scanned++;
                if (!query.Matches(e.Event)) continue;
                matches.Add(e);
                if (matches.Count >= 2 * need + 64) matches.RemoveRange(0, matches.Count - need); // only the newest `need` can make the page
            }
            blocksRead++;
            bytesRead += end - block.Start;
            for (var i = matches.Count - 1; i >= 0; i--)
            {
                results.Add(matches[i]);
                if (results.Count == query.Limit)
                    return new EventPage(results, matches[i].Id, scanned) { BlocksRead = blocksRead, BytesRead = bytesRead };
            }
            if (scanned >= query.MaxScanned && b + 1 < blocks.Count)
                return new EventPage(results, block.Start, scanned) { BlocksRead = blocksRead, BytesRead = bytesRead };
        }
        return new EventPage(results, null, scanned) { BlocksRead = blocksRead, BytesRead = bytesRead };
    }

    /// <summary>
    /// Every matching event in log order (oldest first), streamed block by block: the export feed.
    /// Only the blocks the time index names are read; memory stays at one event at a time.
    /// </summary>
    public async IAsyncEnumerable<StoredEvent> ExportAsync(EventQuery query, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        // Neighbouring candidate blocks are read as one run: one sequential scan instead of a page
        // load per block (a short stretch of skipped blocks costs less to read through than to seek over).
        var blocks = _index.Candidates(query.BeforeId, query.FromMs, query.ToMs, newestFirst: false);
        var pageBytes = 1L << _layout.PageSizeBits;
        for (var i = 0; i < blocks.Count;)
        {
            var start = blocks[i].Start;
            var end = blocks[i].End;
            for (i++; i < blocks.Count && blocks[i].Start <= end + pageBytes; i++) end = blocks[i].End;
            await foreach (var e in ReadRangeAsync(start, end, cancellationToken, ScanBufferingMode.DoublePageBuffering).ConfigureAwait(false))
                if (query.Matches(e.Event)) yield return e;
        }
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

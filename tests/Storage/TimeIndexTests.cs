using Redoubt.Storage.Events;

namespace Redoubt.Tests.Storage;

/// <summary>The sparse time index: narrow time queries read only the blocks that may hold the range, and find every match, also out of order.</summary>
public sealed class TimeIndexTests
{
    private static readonly long T0 = DateTimeOffset.Parse("2026-01-01T00:00:00Z").ToUnixTimeMilliseconds();
    private const long Minute = 60_000;

    /// <summary>Events one per simulated minute over ~3.5 days, event time lagging received time by up to 5 min; every 97th is a day late.</summary>
    private static async Task<List<StoredEvent>> FillAsync(EventLog log, int count = 5000)
    {
        var rng = new Random(42);
        for (var i = 0; i < count; i += 50)
        {
            var batch = Enumerable.Range(i, 50).Select(n =>
            {
                var received = T0 + n * Minute;
                var time = n % 97 == 0 ? received - 1440 * Minute : received - rng.Next(0, 5) * Minute;
                return new EventRecord { Message = $"e{n}", Source = "test", ReceivedAtMs = received, TimeMs = time };
            }).ToList();
            await log.AppendAsync(batch);
        }
        return await TempStore.AllAsync(log);
    }

    [Fact]
    public async Task A_one_hour_query_reads_a_few_blocks_and_returns_exactly_the_events_of_that_hour()
    {
        using var store = new TempStore();
        await using var log = store.Open(blockEvents: 64);
        var all = await FillAsync(log);
        var from = T0 + 2000 * Minute;
        var to = from + 60 * Minute;

        var page = await log.QueryAsync(new EventQuery { FromMs = from, ToMs = to, Limit = 10_000 });
        var expected = all.Where(e => e.Event.TimeMs >= from && e.Event.TimeMs < to).Select(e => e.Id).OrderDescending().ToList();
        Assert.Equal(expected, page.Events.Select(e => e.Id));
        Assert.Contains(page.Events, e => e.Event.Message == "e3492"); // received a day after its time, still found

        var full = await log.QueryAsync(new EventQuery { Limit = 10_000 });
        Assert.Equal(all.Count, full.Scanned);
        // About the hour's blocks plus those holding a late event from it: a small fraction of the log.
        Assert.True(page.Scanned < all.Count / 10, $"scanned {page.Scanned} of {all.Count} in {page.BlocksRead} blocks");
        Assert.True(page.BytesRead < full.BytesRead / 10, $"read {page.BytesRead} of {full.BytesRead} bytes");
    }

    [Fact]
    public async Task The_index_survives_a_restart_and_answers_the_same()
    {
        using var store = new TempStore();
        var from = T0 + 1000 * Minute;
        EventPage before;
        await using (var log = store.Open(blockEvents: 64))
        {
            await FillAsync(log, 3000);
            before = await log.QueryAsync(new EventQuery { FromMs = from, ToMs = from + 90 * Minute, Limit = 10_000 });
        }
        await using var again = store.Open(blockEvents: 64);
        var after = await again.QueryAsync(new EventQuery { FromMs = from, ToMs = from + 90 * Minute, Limit = 10_000 });
        Assert.Equal(before.Events.Select(e => e.Id), after.Events.Select(e => e.Id));
        Assert.Equal(before.Scanned, after.Scanned);
    }

    [Fact]
    public async Task Paging_newest_first_with_cursors_returns_every_event_once()
    {
        using var store = new TempStore();
        await using var log = store.Open(blockEvents: 64);
        var all = await FillAsync(log, 1000);
        var seen = new List<long>();
        long? cursor = null;
        do
        {
            var page = await log.QueryAsync(new EventQuery { Limit = 77, BeforeId = cursor });
            seen.AddRange(page.Events.Select(e => e.Id));
            cursor = page.NextCursor;
        } while (cursor is not null);
        Assert.Equal(all.Select(e => e.Id).Reverse(), seen);
    }

    [Fact]
    public async Task A_scan_budget_ends_a_page_early_with_a_cursor_that_goes_on()
    {
        using var store = new TempStore();
        await using var log = store.Open(blockEvents: 64);
        await FillAsync(log, 1000);
        var query = new EventQuery { Text = "no such text", MaxScanned = 200 };
        var page = await log.QueryAsync(query);
        Assert.Empty(page.Events);
        Assert.NotNull(page.NextCursor);
        Assert.InRange(page.Scanned, 200, 200 + 64);
    }

    [Fact]
    public async Task An_event_is_found_by_id_and_an_address_inside_an_event_is_not_an_id()
    {
        using var store = new TempStore();
        await using var log = store.Open();
        var ids = (await log.AppendAsync([TempStore.Event("one"), TempStore.Event("two")])).Ids;
        Assert.Equal("two", (await log.GetAsync(ids[1]))!.Message);
        Assert.Null(await log.GetAsync(ids[1] + 4));
        Assert.Null(await log.GetAsync(1L << 40));
    }
}

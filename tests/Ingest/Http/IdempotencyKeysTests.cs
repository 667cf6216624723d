using Redoubt.Ingest.Http;
using Redoubt.Storage.Events;
using Redoubt.Tests.Support;

namespace Redoubt.Tests.Ingest.Http;

public sealed class IdempotencyKeysTests
{
    private readonly ManualClock _clock = new(new DateTimeOffset(2026, 12, 1, 10, 0, 0, TimeSpan.Zero));

    private IdempotencyKeys Keys(int maxKeys = 100, int maxIds = 1000) => new(TimeSpan.FromHours(1), maxKeys, maxIds, _clock);

    /// <summary>The events of one keyed batch, as the NDJSON endpoint marks them.</summary>
    private List<EventRecord> Batch(string key, int count, byte sha = 7)
    {
        var events = Enumerable.Range(0, count).Select(_ => new EventRecord { ReceivedAtMs = _clock.GetUtcNow().ToUnixTimeMilliseconds() }).ToList();
        events[0].Batch = new BatchMark { Key = key, BodySha256 = [sha], Count = count };
        foreach (var e in events.Skip(1)) e.Batch = new BatchMark { Key = key };
        return events;
    }

    private static void Observe(IdempotencyKeys keys, IEnumerable<EventRecord> events, long firstId)
    {
        var id = firstId;
        foreach (var e in events) keys.Observe(id++, e);
    }

    [Fact]
    public void A_whole_batch_is_known_with_its_ids_and_fingerprint()
    {
        var keys = Keys();
        Observe(keys, Batch("k1", 3), 100);
        Assert.Equal(KeyState.Known, keys.Begin("k1", out var known));
        Assert.Equal([100, 101, 102], known!.Ids);
        Assert.Equal([7], known.BodySha256);
    }

    [Fact]
    public void A_torn_batch_is_not_remembered_so_its_retry_is_stored_again()
    {
        var keys = Keys();
        var events = Batch("torn", 3);
        Observe(keys, events.Take(2), 0);                       // the log ends after two of three
        Observe(keys, [new EventRecord()], 50);                 // …or another writer's event follows
        Assert.Equal(KeyState.New, keys.Begin("torn", out _));
        Observe(keys, events.Skip(2), 60);                      // a stray rest of it never completes anything
        keys.End("torn");
        Assert.Equal(KeyState.New, keys.Begin("torn", out _));
    }

    [Fact]
    public void A_key_in_flight_is_reported_until_its_request_ends()
    {
        var keys = Keys();
        Assert.Equal(KeyState.New, keys.Begin("k", out _));
        Assert.Equal(KeyState.InFlight, keys.Begin("k", out _));
        keys.End("k");
        Assert.Equal(KeyState.New, keys.Begin("k", out _));
    }

    [Fact]
    public void Keys_expire_after_their_lifetime()
    {
        var keys = Keys();
        Observe(keys, Batch("old", 1), 1);
        _clock.Advance(TimeSpan.FromMinutes(59));
        Assert.Equal(KeyState.Known, keys.Begin("old", out _));
        _clock.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(KeyState.New, keys.Begin("old", out _));
    }

    [Fact]
    public void The_oldest_keys_go_first_past_the_key_or_id_bound()
    {
        var keys = Keys(maxKeys: 2, maxIds: 5);
        Observe(keys, Batch("a", 1), 1);
        Observe(keys, Batch("b", 1), 2);
        Observe(keys, Batch("c", 1), 3);
        Assert.Equal(KeyState.New, keys.Begin("a", out _));
        Assert.Equal(KeyState.Known, keys.Begin("b", out _));
        Observe(keys, Batch("d", 5), 10); // 5 ids: b and c must go
        Assert.Equal(1, keys.Count);
        Assert.Equal(KeyState.Known, keys.Begin("d", out _));
    }

    [Theory]
    [InlineData("abc", "abc")]
    [InlineData("\"8e03978e-40d5-43e8-bc93-6894a57f9324\"", "8e03978e-40d5-43e8-bc93-6894a57f9324")]
    [InlineData("  spaced  ", "spaced")]
    [InlineData("", null)]
    [InlineData("has space", null)]
    [InlineData("caf\u00e9", null)]
    public void Keys_are_visible_ascii_and_a_quoted_string_is_unquoted(string header, string? expected) =>
        Assert.Equal(expected, IdempotencyKeys.Normalize(header));

    [Fact]
    public void A_key_longer_than_255_characters_is_refused() =>
        Assert.Null(IdempotencyKeys.Normalize(new string('k', 256)));
}

using Microsoft.Extensions.Time.Testing;
using Redoubt.Api.Access;

namespace Redoubt.Tests.Api.Access;

public sealed class AuditLogTests
{
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.Parse("2026-03-01T12:00:00Z"));

    [Fact]
    public async Task Entries_keep_their_order_and_numbering_across_a_restart()
    {
        await using var dir = new StateDir();
        var audit = new AuditLog(dir.Store, _clock);
        for (var i = 0; i < 12; i++)
        {
            await audit.RecordAsync("user:admin", i % 2 == 0 ? "login" : "token.create", target: $"t{i}");
            _clock.Advance(TimeSpan.FromSeconds(1));
        }
        await dir.ReopenAsync();
        audit = new AuditLog(dir.Store, _clock);
        var next = await audit.RecordAsync("cli:root", "password.reset");
        Assert.Equal(13, next.Seq);

        Assert.Equal(Enumerable.Range(1, 13).Select(i => (long)i), audit.All().Select(e => e.Seq));
        var page = audit.Query(new AuditQuery(Limit: 5));
        Assert.Equal([13L, 12, 11, 10, 9], page.Select(e => e.Seq));
        var older = audit.Query(new AuditQuery(BeforeSeq: 9, Limit: 5, Action: "token."));
        Assert.Equal([8L, 6, 4, 2], older.Select(e => e.Seq));
        var since = audit.Query(new AuditQuery(FromMs: DateTimeOffset.Parse("2026-03-01T12:00:10Z").ToUnixTimeMilliseconds()));
        Assert.Equal([13L, 12, 11], since.Select(e => e.Seq));
    }

    [Fact]
    public async Task A_repeated_event_is_recorded_once_an_hour()
    {
        await using var dir = new StateDir();
        var audit = new AuditLog(dir.Store, _clock);
        for (var i = 0; i < 50; i++) await audit.RecordOncePerHourAsync("use t1 127.0.0.1", "token:t1", "token.use", "ok", "token:t1", "127.0.0.1", null);
        await audit.RecordOncePerHourAsync("use t2 127.0.0.1", "token:t2", "token.use", "ok", "token:t2", "127.0.0.1", null);
        Assert.Equal(2, audit.All().Count());
        _clock.Advance(TimeSpan.FromHours(1));
        await audit.RecordOncePerHourAsync("use t1 127.0.0.1", "token:t1", "token.use", "ok", "token:t1", "127.0.0.1", null);
        Assert.Equal(3, audit.All().Count());
    }

    [Fact]
    public async Task Retention_removes_only_entries_older_than_the_cutoff()
    {
        await using var dir = new StateDir();
        var audit = new AuditLog(dir.Store, _clock);
        for (var i = 0; i < 15; i++)
        {
            await audit.RecordAsync("user:admin", "login");
            _clock.Advance(TimeSpan.FromDays(1));
        }
        Assert.Equal(5, await audit.DeleteOlderThanAsync(DateTimeOffset.Parse("2026-03-06T00:00:00Z")));
        Assert.Equal(Enumerable.Range(6, 10).Select(i => (long)i), audit.All().Select(e => e.Seq));
    }
}

using System.Net;
using Microsoft.Extensions.Time.Testing;
using Redoubt.Api.Access;

namespace Redoubt.Tests.Api.Access;

public sealed class LoginThrottleTests
{
    private static readonly IPAddress Here = IPAddress.Parse("192.0.2.10");
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.Parse("2026-01-01T00:00:00Z"));
    private readonly LoginThrottle _throttle;

    public LoginThrottleTests() => _throttle = new LoginThrottle(_clock, new LockoutOptions());

    [Fact]
    public void The_fifth_failure_locks_the_user_for_30_seconds_and_each_further_one_doubles_it()
    {
        for (var i = 0; i < 4; i++) _throttle.Failed("alice", Here);
        Assert.Equal(TimeSpan.Zero, _throttle.LockedFor("alice", Here));

        _throttle.Failed("alice", Here);
        Assert.Equal(TimeSpan.FromSeconds(30), _throttle.LockedFor("alice", null));

        _clock.Advance(TimeSpan.FromSeconds(30));
        Assert.Equal(TimeSpan.Zero, _throttle.LockedFor("alice", null));
        _throttle.Failed("alice", Here);
        Assert.Equal(TimeSpan.FromSeconds(60), _throttle.LockedFor("alice", null));

        _clock.Advance(TimeSpan.FromSeconds(60));
        _throttle.Failed("alice", Here);
        Assert.Equal(TimeSpan.FromSeconds(120), _throttle.LockedFor("ALICE", null)); // names are case-insensitive
    }

    [Fact]
    public void The_delay_stops_growing_at_fifteen_minutes()
    {
        for (var i = 0; i < 40; i++)
        {
            _throttle.Failed("bob", null);
            _clock.Advance(_throttle.LockedFor("bob", null));
        }
        _throttle.Failed("bob", null);
        Assert.Equal(TimeSpan.FromMinutes(15), _throttle.LockedFor("bob", null));
    }

    [Fact]
    public void A_good_password_clears_the_users_count()
    {
        for (var i = 0; i < 4; i++) _throttle.Failed("carol", Here);
        _throttle.Succeeded("carol");
        for (var i = 0; i < 4; i++) _throttle.Failed("carol", Here);
        Assert.Equal(TimeSpan.Zero, _throttle.LockedFor("carol", Here));
    }

    [Fact]
    public void Guessing_many_names_from_one_address_locks_that_address_for_every_name()
    {
        for (var i = 0; i < 20; i++) _throttle.Failed($"user{i}", Here);
        Assert.Equal(TimeSpan.FromSeconds(30), _throttle.LockedFor("someone-new", Here));
        Assert.Equal(TimeSpan.Zero, _throttle.LockedFor("someone-new", IPAddress.Parse("192.0.2.11")));
        Assert.Equal(TimeSpan.Zero, _throttle.LockedFor("someone-new", null));
    }

    [Fact]
    public void An_ipv4_mapped_address_counts_as_the_ipv4_address()
    {
        for (var i = 0; i < 20; i++) _throttle.Failed($"u{i}", Here.MapToIPv6());
        Assert.NotEqual(TimeSpan.Zero, _throttle.LockedFor("x", Here));
    }

    [Fact]
    public void Failures_are_forgotten_after_a_quiet_quarter_hour()
    {
        for (var i = 0; i < 4; i++) _throttle.Failed("dave", Here);
        _clock.Advance(TimeSpan.FromMinutes(16));
        _throttle.Failed("dave", Here);
        Assert.Equal(TimeSpan.Zero, _throttle.LockedFor("dave", Here));
    }
}

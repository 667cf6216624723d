using System.Net;
using Microsoft.Extensions.Time.Testing;
using Redoubt.Api.Access;

namespace Redoubt.Tests.Api.Access;

public sealed class LoginThrottleTests
{
    private static readonly IPAddress Here = IPAddress.Parse("192.0.2.10");
    private static readonly IPAddress Elsewhere = IPAddress.Parse("198.51.100.7");
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.Parse("2026-01-01T00:00:00Z"));
    private readonly LoginThrottle _throttle;

    public LoginThrottleTests() => _throttle = new LoginThrottle(_clock, new LockoutOptions());

    [Fact]
    public void The_fifth_failure_locks_the_user_at_that_address_for_30_seconds_and_each_further_one_doubles_it()
    {
        for (var i = 0; i < 4; i++) _throttle.Failed("alice", Here);
        Assert.Equal(TimeSpan.Zero, _throttle.LockedFor("alice", Here));

        var effect = _throttle.Failed("alice", Here);
        Assert.Equal(TimeSpan.FromSeconds(30), effect.Locked);
        Assert.False(effect.AddressWide);
        Assert.Equal(TimeSpan.FromSeconds(30), _throttle.LockedFor("alice", Here));

        _clock.Advance(TimeSpan.FromSeconds(30));
        Assert.Equal(TimeSpan.Zero, _throttle.LockedFor("alice", Here));
        _throttle.Failed("alice", Here);
        Assert.Equal(TimeSpan.FromSeconds(60), _throttle.LockedFor("alice", Here));

        _clock.Advance(TimeSpan.FromSeconds(60));
        _throttle.Failed("alice", Here);
        Assert.Equal(TimeSpan.FromSeconds(120), _throttle.LockedFor("ALICE", Here)); // names are case-insensitive
    }

    [Fact]
    public void A_guesser_at_one_address_never_locks_the_user_out_from_another_address()
    {
        // The review's denial of service: anyone reaching 8443 kept the admin locked out with 5 wrong passwords.
        for (var i = 0; i < 40; i++)
        {
            _throttle.Failed("admin", Here);
            _clock.Advance(_throttle.LockedFor("admin", Here));
        }
        _throttle.Failed("admin", Here);
        Assert.Equal(TimeSpan.FromMinutes(15), _throttle.LockedFor("admin", Here));
        Assert.Equal(TimeSpan.Zero, _throttle.LockedFor("admin", Elsewhere));
        // The real admin is only slowed, by the bounded backstop.
        Assert.Equal(TimeSpan.FromSeconds(4), _throttle.SlowdownFor("admin"));
    }

    [Fact]
    public void A_distributed_guesser_is_slowed_by_a_growing_bounded_hold_on_the_user_and_never_locks_it()
    {
        LoginThrottle.FailureEffect effect = default;
        for (var i = 0; i < 10; i++) effect = _throttle.Failed("admin", IPAddress.Parse($"203.0.113.{i}"));
        Assert.Equal(TimeSpan.Zero, _throttle.SlowdownFor("admin"));
        Assert.False(effect.SlowdownGrew);

        var expected = new[] { 0.5, 1, 2, 4, 4, 4 };
        for (var i = 0; i < expected.Length; i++)
        {
            effect = _throttle.Failed("admin", IPAddress.Parse($"203.0.113.{100 + i}"));
            Assert.Equal(TimeSpan.FromSeconds(expected[i]), _throttle.SlowdownFor("ADMIN"));
            Assert.Equal(TimeSpan.FromSeconds(expected[i]), effect.Slowdown);
            Assert.Equal(i < 4, effect.SlowdownGrew); // audited while it grows, not at every failure
            Assert.Equal(11 + i, effect.UserFailures);
            Assert.Equal(TimeSpan.Zero, effect.Locked);
        }
        Assert.Equal(TimeSpan.Zero, _throttle.LockedFor("admin", Here));
        Assert.Equal(TimeSpan.Zero, _throttle.SlowdownFor("someone-else"));
    }

    [Fact]
    public void A_good_password_clears_the_count_of_that_user_at_that_address_only()
    {
        for (var i = 0; i < 4; i++) _throttle.Failed("carol", Here);
        for (var i = 0; i < 4; i++) _throttle.Failed("carol", Elsewhere);
        _throttle.Succeeded("carol", Here);
        for (var i = 0; i < 4; i++) _throttle.Failed("carol", Here);
        Assert.Equal(TimeSpan.Zero, _throttle.LockedFor("carol", Here));
        _throttle.Failed("carol", Elsewhere);
        Assert.Equal(TimeSpan.FromSeconds(30), _throttle.LockedFor("carol", Elsewhere));
    }

    [Fact]
    public void Guessing_many_names_from_one_address_locks_that_address_for_every_name()
    {
        LoginThrottle.FailureEffect effect = default;
        for (var i = 0; i < 20; i++) effect = _throttle.Failed($"user{i}", Here);
        Assert.True(effect.AddressWide);
        Assert.Equal(TimeSpan.FromSeconds(30), _throttle.LockedFor("someone-new", Here));
        Assert.Equal(TimeSpan.Zero, _throttle.LockedFor("someone-new", IPAddress.Parse("192.0.2.11")));
        Assert.Equal(TimeSpan.Zero, _throttle.LockedFor("someone-new", null));
    }

    [Fact]
    public void An_ipv4_mapped_address_counts_as_the_ipv4_address()
    {
        for (var i = 0; i < 20; i++) _throttle.Failed($"u{i}", Here.MapToIPv6());
        Assert.NotEqual(TimeSpan.Zero, _throttle.LockedFor("x", Here));
        for (var i = 0; i < 5; i++) _throttle.Failed("erin", Elsewhere.MapToIPv6());
        Assert.NotEqual(TimeSpan.Zero, _throttle.LockedFor("erin", Elsewhere));
    }

    [Fact]
    public void Failures_are_forgotten_after_a_quiet_quarter_hour()
    {
        for (var i = 0; i < 4; i++) _throttle.Failed("dave", Here);
        for (var i = 0; i < 12; i++) _throttle.Failed("dave", IPAddress.Parse($"203.0.113.{i}"));
        Assert.NotEqual(TimeSpan.Zero, _throttle.SlowdownFor("dave"));
        _clock.Advance(TimeSpan.FromMinutes(16));
        Assert.Equal(TimeSpan.Zero, _throttle.SlowdownFor("dave"));
        _throttle.Failed("dave", Here);
        Assert.Equal(TimeSpan.Zero, _throttle.LockedFor("dave", Here));
        Assert.Equal(TimeSpan.Zero, _throttle.SlowdownFor("dave"));
    }
}

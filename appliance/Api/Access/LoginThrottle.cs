using System.Collections.Concurrent;
using System.Net;

namespace Redoubt.Api.Access;

/// <summary>
/// Lockout with a growing delay after failed sign-ins, counted per user name and per source
/// address (a guesser trying many names from one place is slowed as much as many places trying
/// one name). After <c>free</c> failures the key is locked for <see cref="LockoutOptions.BaseDelaySeconds"/>,
/// and each further failure doubles that, up to <see cref="LockoutOptions.MaxDelaySeconds"/>. While
/// locked no password is checked at all. Failures are forgotten after a quiet window. Kept in memory:
/// a restart (which an outsider cannot cause) clears it.
/// </summary>
public sealed class LoginThrottle(TimeProvider clock, LockoutOptions options)
{
    private sealed class Entry
    {
        public int Failures;
        public long LastFailureMs;
        public long LockedUntilMs;
    }

    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    /// <summary>How long sign-in stays refused for this user or address; zero when it is allowed.</summary>
    public TimeSpan LockedFor(string user, IPAddress? address)
    {
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        var until = Math.Max(Until(UserKey(user)), address is null ? 0 : Until(AddressKey(address)));
        return until > now ? TimeSpan.FromMilliseconds(until - now) : TimeSpan.Zero;
    }

    public void Failed(string user, IPAddress? address)
    {
        Fail(UserKey(user), options.FreeAttemptsPerUser);
        if (address is not null) Fail(AddressKey(address), options.FreeAttemptsPerAddress);
    }

    /// <summary>A good password clears the user's count (not the address's: one known account must not launder guesses at others).</summary>
    public void Succeeded(string user) => _entries.TryRemove(UserKey(user), out _);

    private long Until(string key) => _entries.TryGetValue(key, out var e) ? Volatile.Read(ref e.LockedUntilMs) : 0;

    private void Fail(string key, int free)
    {
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        if (_entries.Count > 100_000) Forget(now);
        var e = _entries.GetOrAdd(key, _ => new Entry());
        lock (e)
        {
            if (now - e.LastFailureMs > options.ForgetAfterSeconds * 1000L && e.LockedUntilMs <= now) e.Failures = 0;
            e.Failures++;
            e.LastFailureMs = now;
            if (e.Failures >= free)
            {
                var doublings = Math.Min(e.Failures - free, 30);
                var delay = Math.Min(options.BaseDelaySeconds * Math.Pow(2, doublings), options.MaxDelaySeconds);
                e.LockedUntilMs = now + (long)(delay * 1000);
            }
        }
    }

    private void Forget(long now)
    {
        foreach (var (key, e) in _entries)
            if (e.LockedUntilMs <= now && now - e.LastFailureMs > options.ForgetAfterSeconds * 1000L) _entries.TryRemove(key, out _);
    }

    private static string UserKey(string user) => "u:" + user.ToLowerInvariant();
    private static string AddressKey(IPAddress address) => "a:" + (address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address);
}

/// <summary>Configuration keys Access:Lockout:*.</summary>
public sealed class LockoutOptions
{
    public int FreeAttemptsPerUser { get; set; } = 5;
    public int FreeAttemptsPerAddress { get; set; } = 20;
    public double BaseDelaySeconds { get; set; } = 30;
    public double MaxDelaySeconds { get; set; } = 15 * 60;
    /// <summary>Failures older than this (and no lock running) no longer count.</summary>
    public int ForgetAfterSeconds { get; set; } = 15 * 60;
}

using System.Collections.Concurrent;
using System.Net;

namespace Redoubt.Api.Access;

/// <summary>
/// Throttles failed sign-ins so guessing is slow, without letting a guesser lock the real user out.
/// Three counts, each forgotten after a quiet window (<see cref="LockoutOptions.ForgetAfterSeconds"/>):
/// <list type="bullet">
/// <item>per user name <em>and</em> source address: after <see cref="LockoutOptions.FreeAttemptsPerUser"/>
/// failures that user may not sign in from that address for <see cref="LockoutOptions.BaseDelaySeconds"/>,
/// doubling with each further failure up to <see cref="LockoutOptions.MaxDelaySeconds"/>. The guesser's
/// address is locked; the same user from another address is not.</item>
/// <item>per source address, any name: after <see cref="LockoutOptions.FreeAttemptsPerAddress"/> failures that
/// address is locked the same way for every name (many names from one place).</item>
/// <item>per user name from every address (the backstop against a distributed guesser): after
/// <see cref="LockoutOptions.BackstopFreeAttempts"/> failures every sign-in as that user is <em>held</em>
/// before its password is checked, <see cref="LockoutOptions.BackstopBaseDelaySeconds"/> doubling up to
/// <see cref="LockoutOptions.BackstopMaxDelaySeconds"/>. It slows, it never refuses, so the real user
/// always gets in within a few seconds.</item>
/// </list>
/// While locked no password is checked at all. Kept in memory: a restart (which an outsider cannot cause) clears it.
/// </summary>
public sealed class LoginThrottle(TimeProvider clock, LockoutOptions options)
{
    private sealed class Entry
    {
        public int Failures;
        public long LastFailureMs;
        public long LockedUntilMs;
    }

    /// <summary>What one failure changed, for the audit log.</summary>
    /// <param name="Locked">The lock this failure started (zero: none).</param>
    /// <param name="AddressWide">The lock is on the address for every name, not on this user from it.</param>
    /// <param name="Slowdown">The hold every sign-in as this user now gets (zero: none).</param>
    /// <param name="SlowdownGrew">This failure started or lengthened the hold.</param>
    /// <param name="UserFailures">Recent failures for this user from every address.</param>
    public readonly record struct FailureEffect(TimeSpan Locked, bool AddressWide, TimeSpan Slowdown, bool SlowdownGrew, int UserFailures);

    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    /// <summary>How long sign-in as this user stays refused from this address; zero when it is allowed.</summary>
    public TimeSpan LockedFor(string user, IPAddress? address)
    {
        var now = Now();
        var until = Math.Max(Until(PairKey(user, address)), address is null ? 0 : Until(AddressKey(address)));
        return until > now ? TimeSpan.FromMilliseconds(until - now) : TimeSpan.Zero;
    }

    /// <summary>How long a sign-in as this user is held before its password is checked (the user-wide backstop).</summary>
    public TimeSpan SlowdownFor(string user)
    {
        if (!_entries.TryGetValue(UserKey(user), out var e)) return TimeSpan.Zero;
        lock (e) return Backstop(Live(e, Now()));
    }

    public FailureEffect Failed(string user, IPAddress? address)
    {
        var now = Now();
        if (_entries.Count > 100_000) Forget(now);
        var pairLock = Fail(PairKey(user, address), options.FreeAttemptsPerUser, now);
        var addressLock = address is null ? TimeSpan.Zero : Fail(AddressKey(address), options.FreeAttemptsPerAddress, now);

        var e = _entries.GetOrAdd(UserKey(user), _ => new Entry());
        int failures;
        TimeSpan before, after;
        lock (e)
        {
            failures = Live(e, now);
            before = Backstop(failures);
            e.Failures = ++failures;
            e.LastFailureMs = now;
            after = Backstop(failures);
        }
        var addressWide = addressLock > pairLock;
        return new FailureEffect(addressWide ? addressLock : pairLock, addressWide, after, after > before, failures);
    }

    /// <summary>
    /// A good password clears the count of this user from this address. Not the address's (one known
    /// account must not launder guesses at others), nor the user-wide backstop (a guesser elsewhere may still be at it).
    /// </summary>
    public void Succeeded(string user, IPAddress? address) => _entries.TryRemove(PairKey(user, address), out _);

    private long Now() => clock.GetUtcNow().ToUnixTimeMilliseconds();

    private long Until(string key) => _entries.TryGetValue(key, out var e) ? Volatile.Read(ref e.LockedUntilMs) : 0;

    /// <summary>The entry's failures that still count (caller holds its lock).</summary>
    private int Live(Entry e, long now) =>
        now - e.LastFailureMs > options.ForgetAfterSeconds * 1000L && e.LockedUntilMs <= now ? 0 : e.Failures;

    private TimeSpan Backstop(int failures)
    {
        if (failures <= options.BackstopFreeAttempts) return TimeSpan.Zero;
        var doublings = Math.Min(failures - options.BackstopFreeAttempts - 1, 30);
        return TimeSpan.FromSeconds(Math.Min(options.BackstopBaseDelaySeconds * Math.Pow(2, doublings), options.BackstopMaxDelaySeconds));
    }

    /// <summary>Counts a failure on a locking key; returns the lock it started (zero: still free).</summary>
    private TimeSpan Fail(string key, int free, long now)
    {
        var e = _entries.GetOrAdd(key, _ => new Entry());
        lock (e)
        {
            e.Failures = Live(e, now) + 1;
            e.LastFailureMs = now;
            if (e.Failures < free) return TimeSpan.Zero;
            var doublings = Math.Min(e.Failures - free, 30);
            var delay = Math.Min(options.BaseDelaySeconds * Math.Pow(2, doublings), options.MaxDelaySeconds);
            e.LockedUntilMs = now + (long)(delay * 1000);
            return TimeSpan.FromMilliseconds((long)(delay * 1000));
        }
    }

    private void Forget(long now)
    {
        foreach (var (key, e) in _entries)
            if (e.LockedUntilMs <= now && now - e.LastFailureMs > options.ForgetAfterSeconds * 1000L) _entries.TryRemove(key, out _);
    }

    private static string UserKey(string user) => "u:" + user.ToLowerInvariant();
    private static string PairKey(string user, IPAddress? address) => "p:" + user.ToLowerInvariant() + "@" + (address is null ? "-" : Unmapped(address));
    private static string AddressKey(IPAddress address) => "a:" + Unmapped(address);
    private static IPAddress Unmapped(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
}

/// <summary>Configuration keys Access:Lockout:*.</summary>
public sealed class LockoutOptions
{
    /// <summary>Failures for one user from one address before that pair is locked.</summary>
    public int FreeAttemptsPerUser { get; set; } = 5;
    /// <summary>Failures from one address (any names) before that address is locked.</summary>
    public int FreeAttemptsPerAddress { get; set; } = 20;
    public double BaseDelaySeconds { get; set; } = 30;
    public double MaxDelaySeconds { get; set; } = 15 * 60;
    /// <summary>Failures older than this (and no lock running) no longer count.</summary>
    public int ForgetAfterSeconds { get; set; } = 15 * 60;
    /// <summary>Failures for one user from all addresses before each sign-in as that user is held.</summary>
    public int BackstopFreeAttempts { get; set; } = 10;
    public double BackstopBaseDelaySeconds { get; set; } = 0.5;
    /// <summary>The longest hold: the backstop slows a guesser, it must never keep the real user out.</summary>
    public double BackstopMaxDelaySeconds { get; set; } = 4;
}

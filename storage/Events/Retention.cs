using System.Collections.Concurrent;

namespace Redoubt.Storage.Events;

/// <summary>How much of the log to keep. Null means no limit of that kind.</summary>
public sealed record RetentionPolicy(TimeSpan? MaxAge, long? MaxBytes)
{
    public bool IsUnlimited => MaxAge is null && MaxBytes is null;
}

/// <summary>What one retention run did.</summary>
public sealed record RetentionResult(
    DateTimeOffset RanAt, long OldBegin, long NewBegin, long DroppedEvents, long DroppedBytes, string? Reason, string? HeldBackBy)
{
    public bool Truncated => NewBegin > OldBegin;
}

/// <summary>
/// Addresses that derived stores still need: a sink's position, a KV store's last durable
/// checkpoint (its replay starts there). Retention never truncates past the lowest floor.
/// A store registers once with a function returning the first address it has not durably applied
/// (<see cref="long.MaxValue"/> when it needs nothing); disposing the registration removes it.
/// </summary>
public sealed class RetentionFloors
{
    private readonly ConcurrentDictionary<string, Func<long>> _floors = new(StringComparer.Ordinal);

    public IDisposable Register(string name, Func<long> firstAddressStillNeeded)
    {
        if (!_floors.TryAdd(name, firstAddressStillNeeded))
            throw new InvalidOperationException($"retention floor '{name}' is already registered");
        return new Registration(this, name);
    }

    public IReadOnlyList<(string Name, long Address)> Current() =>
        _floors.Select(f => (f.Key, Read(f.Value))).OrderBy(f => f.Item2).ToList();

    /// <summary>The lowest floor, or (null, MaxValue) when nothing holds data back.</summary>
    public (string? Name, long Address) Minimum()
    {
        (string? Name, long Address) min = (null, long.MaxValue);
        foreach (var (name, floor) in Current())
            if (floor < min.Address) min = (name, floor);
        return min;
    }

    // A floor that throws holds everything back: better to keep too much than to cut what a store needs.
    private static long Read(Func<long> f)
    {
        try { return f(); }
        catch (Exception) { return 0; }
    }

    private sealed class Registration(RetentionFloors owner, string name) : IDisposable
    {
        public void Dispose() => owner._floors.TryRemove(name, out _);
    }
}

public sealed partial class EventLog
{
    private readonly SemaphoreSlim _maintenance = new(1, 1);
    private volatile RetentionResult? _lastRetention;

    public RetentionFloors Floors { get; } = new();
    public RetentionResult? LastRetention => _lastRetention;

    /// <summary>
    /// Drops the oldest whole index blocks that are older than <see cref="RetentionPolicy.MaxAge"/>
    /// (by received time: the one clock the appliance trusts) or beyond <see cref="RetentionPolicy.MaxBytes"/>,
    /// never past a <see cref="Floors"/> entry and never the open block. Truncates through FasterLog
    /// (TruncateUntil a block start, then a commit); FasterLog deletes the segment files wholly below
    /// the new begin shortly after. Runs on the appender, between commits.
    /// </summary>
    public async Task<RetentionResult> ApplyRetentionAsync(RetentionPolicy policy, CancellationToken cancellationToken = default)
    {
        await _maintenance.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var result = await RunOnAppenderAsync(async gen =>
            {
                var now = _clock.GetUtcNow();
                var oldBegin = gen.Log.BeginAddress;
                if (_health.State == StoreState.Failed)
                    return new RetentionResult(now, oldBegin, oldBegin, 0, 0, null, "store failed");
                var (target, reason) = Plan(policy, now, oldBegin);
                var (floorName, floor) = Floors.Minimum();
                string? heldBack = null;
                if (target > floor)
                {
                    heldBack = floorName;
                    target = LastStartAtOrBelow(floor, oldBegin);
                }
                if (target <= oldBegin) return new RetentionResult(now, oldBegin, oldBegin, 0, 0, reason, heldBack);

                gen.Log.TruncateUntil(target);
                await gen.Log.CommitStronglyAsync(Cookie).ConfigureAwait(false); // persists the new begin
                long events = 0;
                foreach (var block in _index.DropBefore(target))
                {
                    events += block.Count;
                    Stats.Subtract(block.Count, block.Counters);
                }
                if (_index.OpenBlock.Count > 0 && _index.OpenBlock.Start < target)
                    throw new InvalidOperationException("retention cut into the open index block"); // Plan never does
                return new RetentionResult(now, oldBegin, target, events, target - oldBegin, reason, heldBack);
            }, cancellationToken).ConfigureAwait(false);
            _lastRetention = result;
            return result;
        }
        finally { _maintenance.Release(); }
    }

    /// <summary>The first block start to keep under the policy (appender only: reads the open block).</summary>
    private (long Target, string? Reason) Plan(RetentionPolicy policy, DateTimeOffset now, long begin)
    {
        var closed = _index.ClosedSpans();
        var committed = _index.End;
        var ageCut = policy.MaxAge is { } age ? now.ToUnixTimeMilliseconds() - (long)age.TotalMilliseconds : long.MinValue;
        string? reason = null;
        var k = 0;
        for (; k < closed.Count; k++)
        {
            var b = closed[k];
            if (b.MaxReceivedMs < ageCut) { reason ??= "age"; continue; }
            if (policy.MaxBytes is { } max && committed - b.Start > max) { reason ??= "size"; continue; }
            break;
        }
        if (k == 0) return (begin, null);
        var next = k < closed.Count ? closed[k].Start : _index.OpenBlock.Count > 0 ? _index.OpenBlock.Start : committed;
        return (next, reason);
    }

    private long LastStartAtOrBelow(long floor, long begin)
    {
        var best = begin;
        foreach (var b in _index.ClosedSpans())
        {
            if (b.Start > floor) break;
            best = b.Start;
        }
        if (_index.OpenBlock.Count > 0 && _index.OpenBlock.Start <= floor) best = Math.Max(best, _index.OpenBlock.Start);
        return best;
    }
}

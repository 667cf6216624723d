namespace Redoubt.Graph.Algorithms;

/// <summary>Why a query stopped early. Whatever it had found is still returned.</summary>
public enum BudgetHit { None, Time, Results, Visits, Cancelled }

/// <summary>Limits for one query (Graph:Budget in configuration; a request may ask for less, never more).</summary>
public sealed record QueryLimits
{
    public int MaxMillis { get; init; } = 2_000;
    public int MaxResults { get; init; } = 10_000;
    /// <summary>Work units: node expansions plus edges looked at.</summary>
    public long MaxVisits { get; init; } = 50_000_000;

    public static QueryLimits Default { get; } = new();

    /// <summary>This budget, lowered where the request asks for less.</summary>
    public QueryLimits Lower(int? maxMillis, int? maxResults) => this with
    {
        MaxMillis = maxMillis is { } ms ? Math.Clamp(ms, 1, MaxMillis) : MaxMillis,
        MaxResults = maxResults is { } r ? Math.Clamp(r, 1, MaxResults) : MaxResults,
    };
}

/// <summary>
/// The running budget of one query. Traversals call <see cref="Spend"/> as they work; the clock is
/// read every few thousand units, so checking costs nothing in the inner loop.
/// </summary>
public sealed class QueryBudget
{
    private const int ClockEvery = 4096;

    private readonly long _deadline;
    private readonly long _maxVisits;
    private readonly CancellationToken _cancel;
    private readonly TimeProvider _clock;
    private long _visits;
    private long _nextClock; // 0: the first call reads the clock and the cancellation

    public int MaxResults { get; }
    public BudgetHit Hit { get; private set; }
    public bool Exhausted => Hit != BudgetHit.None;
    public long Visits => _visits;
    public QueryLimits Limits { get; }

    /// <param name="clock">The system clock unless a test steps its own.</param>
    public QueryBudget(QueryLimits limits, CancellationToken cancel = default, TimeProvider? clock = null)
    {
        Limits = limits;
        _clock = clock ?? TimeProvider.System;
        _deadline = _clock.GetTimestamp() + (long)(limits.MaxMillis * (_clock.TimestampFrequency / 1000.0));
        _maxVisits = limits.MaxVisits;
        MaxResults = limits.MaxResults;
        _cancel = cancel;
    }

    public static QueryBudget Unlimited() => new(new QueryLimits { MaxMillis = int.MaxValue / 2, MaxResults = int.MaxValue, MaxVisits = long.MaxValue });

    /// <summary>Counts work; false once any limit is reached (and from then on).</summary>
    public bool Spend(int units = 1)
    {
        if (Hit != BudgetHit.None) return false;
        _visits += units;
        if (_visits > _maxVisits) { Hit = BudgetHit.Visits; return false; }
        if (_visits < _nextClock) return true;
        _nextClock = _visits + ClockEvery;
        return CheckClock();
    }

    /// <summary>
    /// Reads the clock and the cancellation without counting work: for phases that work without
    /// producing units (a sort's comparisons), called every few thousand steps. False once any limit is reached.
    /// </summary>
    public bool CheckClock()
    {
        if (Hit != BudgetHit.None) return false;
        if (_cancel.IsCancellationRequested) Hit = BudgetHit.Cancelled;
        else if (_clock.GetTimestamp() > _deadline) Hit = BudgetHit.Time;
        return Hit == BudgetHit.None;
    }

    /// <summary>Records that the result limit was reached.</summary>
    public void ResultsFull()
    {
        if (Hit == BudgetHit.None) Hit = BudgetHit.Results;
    }
}

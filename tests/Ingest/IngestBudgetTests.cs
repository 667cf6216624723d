using Redoubt.Ingest;

namespace Redoubt.Tests.Ingest;

public sealed class IngestBudgetTests
{
    [Fact]
    public void Takes_what_fits_refuses_what_does_not_and_takes_it_after_a_release()
    {
        var budget = new IngestBudget(100);
        Assert.True(budget.TryAcquire(60));
        Assert.False(budget.TryAcquire(50));
        Assert.True(budget.TryAcquire(40));
        budget.Release(60);
        Assert.True(budget.TryAcquire(50));
        Assert.Equal(90, budget.UsedBytes);
    }

    [Fact]
    public void An_empty_budget_admits_even_a_unit_larger_than_itself_so_it_cannot_starve()
    {
        var budget = new IngestBudget(10);
        Assert.True(budget.TryAcquire(25));
        Assert.False(budget.TryAcquire(1));
    }

    [Fact]
    public async Task A_waiter_is_admitted_when_room_is_released_and_gives_up_at_its_deadline()
    {
        var budget = new IngestBudget(100);
        Assert.True(budget.TryAcquire(100));
        var waiting = budget.AcquireAsync(30, Timeout.InfiniteTimeSpan, CancellationToken.None).AsTask();
        Assert.False(waiting.IsCompleted);
        budget.Release(50);
        Assert.True(await waiting.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(80, budget.UsedBytes);
        Assert.False(await budget.AcquireAsync(30, TimeSpan.FromMilliseconds(50), CancellationToken.None));
        Assert.Equal(80, budget.UsedBytes);
    }
}

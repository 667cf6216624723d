using Redoubt.Detection.Engine;
using Redoubt.Tests.Support;

namespace Redoubt.Tests.Detection;

/// <summary>The matching path allocates nothing per event once warm (counted bytes, not timed).</summary>
public class AllocationTests
{
    [Fact]
    public void Evaluating_real_events_with_all_shared_rules_allocates_nothing_without_hits()
    {
        var set = SigmaCorpus.RuleSet;
        var evaluator = new Evaluator(set);
        var events = File.ReadLines(SharedData.PathOf("agent-events", "otrf-security-datasets", "windows", "cmd_seatbelt_group_user_2020-11-0216391814.json"))
            .Where(l => l.Length > 0).Select(Sigma.Json).ToList();
        // Warm up (buffers grow to the largest event), and keep only events that raise no hit (a hit allocates its record).
        var quiet = events.Where(e => evaluator.Evaluate(0, e, null) == 0).ToList();
        Assert.True(quiet.Count > 100);
        foreach (var e in quiet) evaluator.Evaluate(0, e, null);
        var before = GC.GetAllocatedBytesForCurrentThread();
        foreach (var e in quiet) evaluator.Evaluate(0, e, null);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
    }
}

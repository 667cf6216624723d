using Redoubt.Detection;
using Redoubt.Detection.Engine;
using Xunit.Abstractions;

namespace Redoubt.Tests.Detection;

/// <summary>
/// SigmaHQ's regression data: for every case, its real events (evtx rendered as JSON) fire the
/// expected rule at least match_count times (match_count is a minimum, as SigmaHQ's runner treats it)
/// with the whole shared rule set loaded.
/// </summary>
public class SigmaRegressionTests(ITestOutputHelper output)
{
    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        foreach (var c in SigmaCorpus.RegressionCases.Where(c => c.JsonPath is not null).DistinctBy(c => c.JsonPath)) data.Add(c.JsonPath!);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Case_fires_its_rule(string jsonPath)
    {
        var c = SigmaCorpus.RegressionCases.First(x => x.JsonPath == jsonPath);
        var set = SigmaCorpus.RuleSet;
        Assert.Contains(set.Rules, r => r.Rule.Id == c.RuleId);
        var evaluator = new Evaluator(set);
        var hits = new HitList();
        var events = SigmaCorpus.Events(c);
        Assert.Equal(c.EventCount, events.Count);
        for (var i = 0; i < events.Count; i++) evaluator.Evaluate(i, Sigma.Json(events[i]), hits);
        var mine = hits.Hits.Where(h => h.RuleId == c.RuleId).ToList();
        Assert.True(mine.Count >= (c.MatchCount ?? 1),
            $"{c.RuleTitle} ({c.RulePath}) fired {mine.Count} times on {events.Count} events, expected at least {c.MatchCount ?? 1}");
        foreach (var h in mine)
        {
            Assert.NotEmpty(h.Matched); // a hit says which fields matched
            output.WriteLine($"{h.RuleTitle}: event {h.EventId} via {h.LogSource}: {string.Join(", ", h.Matched.Select(m => m.Field + "=" + m.Value))}");
        }
    }

    [Fact]
    public void Every_regression_case_is_covered()
    {
        // The index lists 203 rules; one (Cisco, raw syslog) has its only test commented out upstream.
        var withTests = SigmaCorpus.RegressionCases.Count(c => c.JsonPath is not null);
        Assert.Equal(202, withTests);
    }
}

using Redoubt.Detection;
using Redoubt.Detection.Engine;
using Redoubt.Storage.Events;
using Xunit.Abstractions;

namespace Redoubt.Tests.Detection;

public class ScratchTests(ITestOutputHelper output)
{
    [Fact]
    public void Report()
    {
        var set = SigmaCorpus.RuleSet;
        output.WriteLine($"files {SigmaCorpus.FileCount} rules {set.RuleCount} errors {set.Errors.Count} gated {set.GatedRules} patterns {set.IndexPatterns} bytes {set.IndexBytes}");
        foreach (var g in set.Errors.GroupBy(e => e.Code)) output.WriteLine($"{g.Key}: {g.Count()}");
        foreach (var e in set.Errors.Take(40)) output.WriteLine($"{e.File}:{e.Line} {e.Code} {e.Message}");
        var ev = new Evaluator(set);
        int pass = 0, fail = 0;
        foreach (var c in SigmaCorpus.RegressionCases)
        {
            if (c.JsonPath is null || !c.JsonPath.EndsWith(".json")) continue;
            var hits = new RecentDetections(1000);
            long id = 0;
            foreach (var e in SigmaCorpus.Events(c))
                ev.Evaluate(id++, new EventRecord { Json = e, Format = "json" }, hits);
            var n = hits.Recent(1000).Count(h => h.RuleId == c.RuleId);
            var ok = c.MatchCount is { } m ? n == m : n > 0;
            if (ok) pass++; else { fail++; output.WriteLine($"FAIL {c.RuleId} {c.RulePath} got {n} want {c.MatchCount}"); }
        }
        output.WriteLine($"regression pass {pass} fail {fail}");
    }
}

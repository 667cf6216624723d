using Xunit.Abstractions;

namespace Redoubt.Tests.Detection;

/// <summary>Every rule in the shared SigmaHQ subset loads, or is listed with a precise reason.</summary>
public class SharedRuleLoadTests(ITestOutputHelper output)
{
    [Fact]
    public void Every_shared_rule_loads_or_has_a_listed_error()
    {
        var set = SigmaCorpus.RuleSet;
        var files = SigmaCorpus.RuleFolders
            .SelectMany(f => Directory.EnumerateFiles(Support.SharedData.PathOf("sigma", f), "*.yml", SearchOption.AllDirectories)
                .Select(p => Path.Combine(f, Path.GetRelativePath(Support.SharedData.PathOf("sigma", f), p))))
            .ToHashSet();
        var accounted = set.Rules.Select(r => r.Rule.Origin.File).Concat(set.Errors.Select(e => e.File)).ToHashSet();
        Assert.Empty(files.Except(accounted));
        foreach (var e in set.Errors)
        {
            output.WriteLine($"{e.File}:{e.Line}: {e.Code}: {e.Message}");
            Assert.True(e.Line > 0 && e.Message.Length > 10, $"error without position or reason: {e}");
        }
        var rate = 100.0 * set.RuleCount / (set.RuleCount + set.Errors.Count);
        output.WriteLine($"{set.RuleCount} rules loaded of {set.RuleCount + set.Errors.Count} ({rate:F1}%), {set.GatedRules} pre-filtered by literals");
        // The shared rules use only spec features, so all of them must load (docs/detection.md records the rate).
        Assert.Empty(set.Errors);
        Assert.Equal(1563, set.RuleCount);
    }
}

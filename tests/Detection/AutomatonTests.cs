using Redoubt.Detection.Engine;
using Redoubt.Tests.Support;

namespace Redoubt.Tests.Detection;

/// <summary>
/// The literal index's automaton against a brute-force reference: every pattern checked with
/// Contains / StartsWith / EndsWith / Equals on the text, for random patterns over a small alphabet (so
/// they overlap and nest), non-ASCII ones included, and for the shared rules' keyword literals on real lines.
/// </summary>
public class AutomatonTests
{
    private static ulong[] Reference(IReadOnlyList<(string Text, AtomKind Kind, IReadOnlyList<int> Members)> patterns, string text, int members)
    {
        var bits = new ulong[(members + 63) / 64];
        foreach (var (p, kind, who) in patterns)
        {
            var hit = kind switch
            {
                AtomKind.Exact => text == p,
                AtomKind.Prefix => text.StartsWith(p, StringComparison.Ordinal),
                AtomKind.Suffix => text.EndsWith(p, StringComparison.Ordinal),
                _ => text.Contains(p, StringComparison.Ordinal),
            };
            if (hit) foreach (var m in who) bits[m >> 6] |= 1UL << m;
        }
        return bits;
    }

    [Fact]
    public void Finds_exactly_the_patterns_a_brute_force_search_finds_on_random_text()
    {
        var random = new Random(20261204);
        const string letters = "abcab ./\\-éab";
        string Word(int max) => new([.. Enumerable.Range(0, random.Next(1, max)).Select(_ => letters[random.Next(letters.Length)])]);
        for (var round = 0; round < 40; round++)
        {
            const int members = 150;
            var patterns = Enumerable.Range(0, random.Next(1, 60))
                .Select(_ => (Word(6), (AtomKind)random.Next(4), (IReadOnlyList<int>)[random.Next(members), random.Next(members)]))
                .DistinctBy(p => (p.Item1, p.Item2)).ToList();
            var automaton = new Automaton(patterns);
            for (var t = 0; t < 200; t++)
            {
                var text = Word(40);
                var bits = new ulong[(members + 63) / 64];
                automaton.Scan(text, bits);
                Assert.True(Reference(patterns, text, members).SequenceEqual(bits), $"round {round}, text '{text}'");
            }
        }
    }

    [Fact]
    public void Finds_the_shared_rules_keyword_literals_as_brute_force_does_on_real_lines()
    {
        var set = SigmaCorpus.RuleSet;
        var keywords = set.Rules.SelectMany((r, i) => r.Gate.Where(a => a.FieldId < 0).Select(a => (a.Text, a.Kind, Member: i)))
            .GroupBy(a => (a.Text, a.Kind)).Select(g => (g.Key.Text, g.Key.Kind, (IReadOnlyList<int>)g.Select(a => a.Member).Distinct().ToList()))
            .Where(p => p.Text.All(char.IsAscii)).ToList();
        Assert.True(keywords.Count > 100, $"only {keywords.Count} keyword literals");
        var automaton = new Automaton(keywords);
        var lines = File.ReadLines(SharedData.PathOf("logs", "loghub", "Linux", "Linux_2k.log")).Take(500)
            .Concat(keywords.Select(k => "prefix " + k.Text + " suffix")) // lines that do hold literals
            .Select(l => l.ToLowerInvariant());
        var found = 0;
        foreach (var line in lines)
        {
            var bits = new ulong[(set.Rules.Count + 63) / 64];
            automaton.Scan(line, bits);
            Assert.True(Reference(keywords, line, set.Rules.Count).SequenceEqual(bits), line);
            found += bits.Count(b => b != 0);
        }
        Assert.True(found > 100);
    }
}

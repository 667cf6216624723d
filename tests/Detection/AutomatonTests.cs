using Redoubt.Detection.Engine;
using Redoubt.Detection.Events;
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

    [Fact]
    public void The_literal_index_marks_what_brute_force_finds_on_random_fields()
    {
        var random = new Random(7);
        const string letters = "abc%-01 ./";
        string Word(int max) => new([.. Enumerable.Range(0, random.Next(1, max)).Select(_ => letters[random.Next(letters.Length)])]);
        var names = new FieldNames();
        var slots = Enumerable.Range(0, 6).Select(i => names.Intern("f" + i)).ToArray();
        for (var round = 0; round < 30; round++)
        {
            const int members = 100;
            // Slot k gets k*3 patterns: exact ones (looked up) and others (the automaton), few or many.
            var atoms = slots.SelectMany((slot, k) => Enumerable.Range(0, k * 3)
                .Select(_ => (Member: random.Next(members), Slot: slot, Kind: (AtomKind)random.Next(4), Text: Word(5)))).ToList();
            var index = new LiteralIndex(atoms);
            var fields = new EventFields(names);
            for (var t = 0; t < 100; t++)
            {
                fields.Reset();
                var values = slots.Select(slot => (slot, Enumerable.Range(0, random.Next(0, 3)).Select(_ => Word(30)).ToList())).ToList();
                foreach (var (slot, list) in values) foreach (var v in list) fields.Add(slot, v, ValueKind.String);
                var bits = new ulong[(members + 63) / 64];
                index.Mark(fields, bits);
                var expected = new ulong[bits.Length];
                foreach (var (member, slot, kind, text) in atoms)
                {
                    var hit = values.First(v => v.slot == slot).Item2.Any(v => kind switch
                    {
                        AtomKind.Exact => v == text,
                        AtomKind.Prefix => v.StartsWith(text, StringComparison.Ordinal),
                        AtomKind.Suffix => v.EndsWith(text, StringComparison.Ordinal),
                        _ => v.Contains(text, StringComparison.Ordinal),
                    });
                    if (hit) expected[member >> 6] |= 1UL << member;
                }
                Assert.True(expected.SequenceEqual(bits), $"round {round}, event {t}");
            }
        }
    }
}

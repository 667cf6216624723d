using Redoubt.Detection;
using Redoubt.Detection.Engine;
using Redoubt.Detection.Matching;
using Redoubt.Storage.Events;
using Redoubt.Tests.Detection.Events;
using Redoubt.Tests.Support;

namespace Redoubt.Tests.Detection;

/// <summary>
/// The literal pre-filter (log-source and rule indexes) only saves work: with all shared rules, an
/// evaluator that runs every source condition and every rule of the event's sources raises exactly
/// the same hits, on every real event we have (OTRF datasets, SigmaHQ regression events, real syslog).
/// </summary>
public class PrefilterEquivalenceTests
{
    private static IEnumerable<EventRecord> SyslogEvents()
    {
        foreach (var log in new[] { "Linux", "OpenSSH", "Mac", "Thunderbird", "Apache" })
            foreach (var line in File.ReadLines(SharedData.PathOf("logs", "loghub", log, log + "_2k.log")).Take(500))
            {
                var e = new EventRecord { Source = "syslog" };
                Redoubt.Parsing.SyslogParser.Parse(System.Text.Encoding.UTF8.GetBytes("<38>" + line), DateTimeOffset.UtcNow, TimeZoneInfo.Utc, e);
                yield return e;
            }
        foreach (var file in Directory.GetFiles(SharedData.PathOf("agent-events", "otrf-security-datasets", "linux")).Order(StringComparer.Ordinal))
            foreach (var line in File.ReadLines(file))
                yield return Sigma.Syslog("audispd", line);
    }

    /// <summary>
    /// One syslog event per value of every keyword item of the shared rules, its message holding that
    /// value (wildcards filled in) between real words: events the keyword gates must let through.
    /// </summary>
    private static IEnumerable<EventRecord> KeywordEvents(RuleSet set)
    {
        static IEnumerable<FieldItem> Items(Node node) => node switch
        {
            FieldItem f => [f],
            AndNode a => a.Children.SelectMany(Items),
            OrNode o => o.Children.SelectMany(Items),
            NotNode n => Items(n.Child),
            _ => [],
        };
        foreach (var rule in set.Rules)
            foreach (var item in Items(rule.Root).Where(i => i.FieldId < 0))
                foreach (var m in item.Values.OfType<StringMatcher>())
                {
                    var text = string.Join(" x ", m.Pattern.Pieces).Replace(Glob.AnyOne, 'a');
                    yield return Sigma.Syslog("bash", "session opened " + text + " for user root");
                    yield return Sigma.Syslog("sshd", text.ToUpperInvariant()); // case-insensitive unless |cased
                }
    }

    [Fact]
    public void Keyword_rules_behind_the_literal_index_fire_as_without_it()
    {
        var set = SigmaCorpus.RuleSet;
        Assert.Contains(set.Rules, r => r.Gate.Any(a => a.FieldId < 0)); // keyword items do gate now
        var fast = new Evaluator(set);
        var full = new Evaluator(set, prefilter: false);
        var count = 0;
        var hits = 0;
        foreach (var e in KeywordEvents(set))
        {
            var a = new HitList();
            var b = new HitList();
            fast.Evaluate(count, e, a);
            full.Evaluate(count, e, b);
            var expected = Describe(b);
            Assert.True(expected == Describe(a), $"event {count} ({e.Message}):\nunfiltered:\n{expected}\nprefiltered:\n{Describe(a)}");
            count++;
            hits += b.Hits.Count;
        }
        Assert.True(count > 500, $"only {count} events");
        Assert.True(hits > 200, $"only {hits} hits on {count} events built from keywords: the comparison must cover events that fire");
    }

    private static string Describe(HitList hits) => string.Join("\n", hits.Hits
        .Select(h => $"{h.RuleId} via {h.LogSource}: {string.Join(", ", h.Matched.Select(m => m.Field + "=" + m.Value))}")
        .Order(StringComparer.Ordinal));

    [Fact]
    public void Prefiltered_and_unfiltered_evaluation_raise_the_same_hits_on_all_real_events()
    {
        var set = SigmaCorpus.RuleSet;
        var fast = new Evaluator(set);
        var full = new Evaluator(set, prefilter: false);
        var events = JsonEventReaderTests.CorpusEvents().Select(Sigma.Json).Concat(SyslogEvents());
        var count = 0;
        var hits = 0;
        foreach (var e in events)
        {
            var a = new HitList();
            var b = new HitList();
            fast.Evaluate(count, e, a);
            full.Evaluate(count, e, b);
            var expected = Describe(b);
            Assert.True(expected == Describe(a), $"event {count} ({e.Json ?? e.Message}):\nunfiltered:\n{expected}\nprefiltered:\n{Describe(a)}");
            count++;
            hits += b.Hits.Count;
        }
        Assert.True(count > 10_000, $"only {count} events");
        Assert.True(hits > 300, $"only {hits} hits: the comparison must cover events that fire");
    }
}

using Redoubt.Detection;
using Redoubt.Detection.Engine;
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

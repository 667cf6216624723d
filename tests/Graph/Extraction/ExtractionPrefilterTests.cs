using System.Text;
using Redoubt.Graph.Extraction;
using Redoubt.Ingest.Syslog;
using Redoubt.Storage.Events;
using Redoubt.Tests.Detection.Events;
using Redoubt.Tests.Support;

namespace Redoubt.Tests.Graph.Extraction;

/// <summary>
/// The extraction rules' literal index only saves work: with every shipped rule, an extractor that
/// evaluates only the rules whose `when` literals the event holds writes exactly the same graph (nodes,
/// edges, counts, evidence, properties) and counts the same per rule as one that evaluates every rule,
/// on every real event we have: the load driver's syslog mix and the agents' JSON.
/// </summary>
public sealed class ExtractionPrefilterTests
{
    private static IEnumerable<EventRecord> RealEvents()
    {
        var syslog = new SyslogEvents(TimeZoneInfo.Utc, TimeProvider.System);
        var logs = SharedData.PathOf("logs");
        var files = new[] { "Linux", "OpenSSH", "Mac", "Thunderbird" }.Select(n => Path.Combine(logs, "loghub", n, n + "_2k.log"))
            .Concat(Directory.GetFiles(Path.Combine(logs, "wazuh-ruleset-tests", "by-vendor-log"), "*.log").Order(StringComparer.Ordinal))
            .Concat(Directory.GetFiles(Path.Combine(logs, "cef", "elastic-beats-decode-cef"), "*.log", SearchOption.AllDirectories).Order(StringComparer.Ordinal));
        foreach (var file in files)
            foreach (var line in File.ReadLines(file).Where(l => l.Length > 0))
                yield return syslog.FromFrame(Encoding.UTF8.GetBytes(line[0] == '<' ? line : "<38>" + line), false, Transport.SyslogTcp, null);
        foreach (var json in JsonEventReaderTests.CorpusEvents())
            yield return new EventRecord { Json = json, Format = "json", Source = "ingest" };
    }

    private static string Describe(RecordingGraph g, ExtractionRuleSet rules) => string.Join("\n",
        g.Nodes
            .Concat(g.Edges.OrderBy(e => e.Key, StringComparer.Ordinal).Select(e => $"{e.Key} x{e.Value} [{string.Join(',', g.Evidence[e.Key])}]"))
            .Concat(g.Properties.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Key + " " + string.Join(',', p.Value.OrderBy(kv => kv.Key, StringComparer.Ordinal))))
            .Concat(rules.Rules.Select(r => $"{r.Id}: {r.Counters.Matched} {r.Counters.Unparsed} {r.Counters.Filtered} {r.Counters.Extracted} {r.Counters.Edges} {r.Counters.Incomplete}")));

    [Fact]
    public void Prefiltered_and_unfiltered_extraction_write_the_same_graph_on_all_real_events()
    {
        var fastRules = ExtractionRuleSet.Load(null);
        var fullRules = ExtractionRuleSet.Load(null);
        var fast = new RuleExtractor(fastRules);
        var full = new RuleExtractor(fullRules, prefilter: false);
        var a = new RecordingGraph();
        var b = new RecordingGraph();
        long id = 64, count = 0;
        foreach (var e in RealEvents())
        {
            fast.Extract(new StoredEvent(id, e, id + 1), a);
            full.Extract(new StoredEvent(id, e, id + 1), b);
            id++;
            count++;
        }
        Assert.True(count > 10_000, $"only {count} events");
        Assert.True(b.Edges.Count > 500, $"only {b.Edges.Count} edges: the comparison must cover events that extract");
        Assert.Equal(Describe(b, fullRules), Describe(a, fastRules));
    }
}

using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Redoubt.Storage.Graph;
using Redoubt.Tests.Support;

namespace Redoubt.Tests.Graph;

/// <summary>
/// The graph is derived from the event log and must equal its fold after any crash: the real
/// appliance takes the real OpenSSH corpus over TCP syslog, is SIGKILLed between graph checkpoints
/// (and once while the graph is still catching up), restarted, and the graph it holds is compared,
/// edge by edge, with a fold of the events the log holds, computed here independently of the
/// appliance's extraction code.
/// </summary>
public sealed partial class GraphRecoveryTests
{
    private static readonly string[] Args = ["--Graph:CheckpointAfterEvents=500", "--Graph:CheckpointSeconds=3600"];

    [Fact]
    public async Task After_kills_between_checkpoints_the_graph_equals_the_fold_of_the_log()
    {
        var dir = Directory.CreateTempSubdirectory("redoubt-graph-kill-").FullName;
        try
        {
            var lines = Loghub.Load("OpenSSH").Select(l => l.Raw).ToList();

            // 1. 1,200 events: checkpoints at 500 and 1,000 applied events; the last 200 only in the log. Kill.
            await using (var app = await ApplianceProcess.StartAsync(dir, Args))
            {
                await Senders.SendTcpLinesAsync(app.SyslogPort, lines.Take(1200));
                await app.WaitForEventCountAsync(1200);
                var graph = await WaitGraphCaughtUpAsync(app);
                Assert.True(graph.GetProperty("checkpointedUntil").GetInt64() > 0, "no checkpoint before the kill");
                Assert.True(graph.GetProperty("checkpointedUntil").GetInt64() < graph.GetProperty("appliedUntil").GetInt64(), "nothing left to replay");
                app.Kill();
            }

            // 2. Restart: the 200 are replayed; the graph matches the log. Then 800 more, killed as soon as
            //    they are durable, whatever the graph has applied by then.
            await using (var app = await ApplianceProcess.StartAsync(dir, Args))
            {
                var graph = await WaitGraphCaughtUpAsync(app);
                var expected = Fold(await app.AllEventsAsync());
                Assert.Equal(expected.Values.Sum(e => e.Count), graph.GetProperty("counters").GetProperty("observations").GetInt64());
                Assert.Equal(expected.Count, graph.GetProperty("counters").GetProperty("edges").GetInt64());

                await Senders.SendTcpLinesAsync(app.SyslogPort, lines.Skip(1200));
                await app.WaitForEventCountAsync(2000);
                app.Kill();
            }

            // 3. Restart, catch up, stop cleanly; then compare every edge of the store with the fold.
            Dictionary<EdgeKey, ExpectedEdge> fold;
            await using (var app = await ApplianceProcess.StartAsync(dir, Args))
            {
                await WaitGraphCaughtUpAsync(app);
                fold = Fold(await app.AllEventsAsync());
                Assert.Equal(0, await app.StopAsync());
            }
            await using var store = GraphStore.Open(new GraphStoreOptions { Directory = Path.Combine(dir, "graph") });
            var held = store.Edges().ToList();
            var byKey = held.ToDictionary(e => Key(store, e));
            Assert.Equal(held.Count, byKey.Count); // no duplicate edges
            Assert.Equal(fold.Keys.Order(), byKey.Keys.Order());
            foreach (var (key, want) in fold)
            {
                var got = byKey[key];
                Assert.True(want == new ExpectedEdge(got.Count, got.FirstSeenMs, got.LastSeenMs, got.FirstEventId, string.Join(',', got.RecentEventIds)),
                    $"{key}: expected {want}, store holds {got}");
            }
            Assert.True(fold.Values.Sum(e => e.Count) >= 523, "the corpus has 523 auth attempts; each gives at least one observation");
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    /// <summary>Waits until the graph sink has applied everything committed; returns its stats entry.</summary>
    internal static async Task<JsonElement> WaitGraphCaughtUpAsync(ApplianceProcess app)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var stats = await app.StatsAsync();
            var graph = stats.GetProperty("stores").EnumerateArray().Single(s => s.GetProperty("name").GetString() == "graph");
            if (graph.GetProperty("appliedUntil").GetInt64() == stats.GetProperty("committedUntil").GetInt64() && stats.GetProperty("events").GetInt64() > 0)
                return graph;
            if (DateTime.UtcNow > deadline) throw new TimeoutException("graph did not catch up: " + graph + "\n" + app.Output);
            await Task.Delay(100);
        }
    }

    public readonly record struct EdgeKey(string Source, string Type, string Target) : IComparable<EdgeKey>
    {
        public int CompareTo(EdgeKey other) => string.CompareOrdinal(ToString(), other.ToString());
    }

    public readonly record struct ExpectedEdge(long Count, long FirstSeenMs, long LastSeenMs, long FirstEventId, string RecentEventIds);

    internal static EdgeKey Key(GraphStore store, EdgeRecord e)
    {
        var s = store.GetNode(e.Source)!;
        var t = store.GetNode(e.Target)!;
        return new EdgeKey($"{s.Kind}:{s.Key}", GraphSchema.Name(e.Type), $"{t.Kind}:{t.Key}");
    }

    [GeneratedRegex(@"^(?<source>.+) -(?<type>[A-Z_]+)-> (?<target>.+)$")]
    private static partial Regex EdgeText();

    /// <summary>
    /// What the sshd and PAM lines in the log say, read by <see cref="Extraction.OpenSshTruth"/> (regexes
    /// written from the lines' own formats, not from the extraction rules).
    /// </summary>
    internal static Dictionary<EdgeKey, ExpectedEdge> Fold(List<JsonElement> events)
    {
        var edges = new Dictionary<EdgeKey, List<(long Id, long Time)>>();
        foreach (var e in events)
        {
            var id = e.GetProperty("id").GetInt64();
            var time = e.GetProperty("time").GetDateTimeOffset().ToUnixTimeMilliseconds();
            foreach (var text in Extraction.OpenSshTruth.Edges(e.GetProperty("host").GetString()!, e.GetProperty("message").GetString() ?? ""))
            {
                var m = EdgeText().Match(text);
                var key = new EdgeKey(m.Groups["source"].Value, m.Groups["type"].Value, m.Groups["target"].Value);
                if (!edges.TryGetValue(key, out var l)) edges[key] = l = [];
                l.Add((id, time));
            }
        }
        return edges.ToDictionary(kv => kv.Key, kv => new ExpectedEdge(
            kv.Value.Count, kv.Value.Min(o => o.Time), kv.Value.Max(o => o.Time), kv.Value.Min(o => o.Id),
            string.Join(',', kv.Value.Select(o => o.Id).Distinct().OrderDescending().Take(3).Select(i => i.ToString(CultureInfo.InvariantCulture)))));
    }
}

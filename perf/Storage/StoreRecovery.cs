using System.Diagnostics;
using System.Numerics;
using EventLog = Redoubt.Storage.Events.EventLog;
using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Redoubt.Commit;
using Redoubt.Configuration;
using Redoubt.Graph.Extraction;
using Redoubt.Graph.Store;
using Redoubt.Storage.Events;
using Redoubt.Storage.Graph;

namespace Redoubt.Perf.Storage;

// Recovery time of the graph store (issue 4 item 10). Two measurements:
//   graph  --edges N   build a graph store of N distinct edges (+N/2 repeat observations), checkpoint,
//                      close; then time the open (FASTER recovery + node load) and a full Edges() scan
//                      (what the in-memory graph rebuild reads).
//   replay --events N  an event log of N sshd auth events (synthetic scale, shaped like the loghub
//                      OpenSSH lines), then time the fan-out replaying all of it into a fresh graph store
//                      through the real GraphStoreSink: the worst case of "replay after the last checkpoint".
// Usage: dotnet run -c Release --project perf -- store-recovery graph --edges 1000000 [--dir D] [--checkpoint snapshot|foldover]
//        dotnet run -c Release --project perf -- store-recovery replay --events 1000000 [--dir D]
public static class StoreRecovery
{
    public static async Task<int> RunAsync(string[] args)
    {
        var mode = args.Length > 0 ? args[0] : "graph";
        var opts = Parse(args.Skip(1).ToArray());
        var root = opts.GetValueOrDefault("dir") ?? Directory.CreateTempSubdirectory("redoubt-perf-").FullName;
        try
        {
            if (mode == "graph") await GraphRecovery(long.Parse(opts.GetValueOrDefault("edges") ?? "1000000", CultureInfo.InvariantCulture), opts.GetValueOrDefault("checkpoint") ?? "snapshot");
            else if (mode == "replay") await Replay(long.Parse(opts.GetValueOrDefault("events") ?? "1000000", CultureInfo.InvariantCulture));
            else { System.Console.Error.WriteLine("modes: graph, replay"); return 2; }
            return 0;
        }
        finally
        {
            if (!opts.ContainsKey("keep")) Directory.Delete(root, recursive: true);
        }

        GraphStoreOptions GraphOptions(long edges, FASTER.core.CheckpointType type) => new()
        {
            Directory = Path.Combine(root, "graph"),
            // ≥ 32 bytes of index per record (FASTER-NOTES 3.1): 1.1 records per edge with the nodes.
            IndexSizeBytes = Math.Max(1L << 26, (long)BitOperations.RoundUpToPowerOf2((ulong)(edges * 48))),
            MemorySizeBytes = 1L << 29, // 512 MiB: 1M edges fit in memory, 10M edges mostly spill to disk
            PageSizeBytes = 1L << 22,
            SegmentSizeBytes = 1L << 28,
            CheckpointType = type,
        };

        async Task GraphRecovery(long edges, string checkpoint)
        {
            var type = checkpoint == "foldover" ? FASTER.core.CheckpointType.FoldOver : FASTER.core.CheckpointType.Snapshot;
            var nodes = Math.Max(1000, edges / 10);
            var build = Stopwatch.StartNew();
            long observed = 0;
            await using (var graph = GraphStore.Open(GraphOptions(edges, type)))
            {
                for (long n = 0; n < nodes; n++)
                    graph.UpsertNode(n % 2 == 0 ? NodeKind.Host : NodeKind.User, "node-" + n.ToString(CultureInfo.InvariantCulture), n);
                // Ten out-edges per node, to peers spread over the id space; every other edge is seen twice.
                for (long i = 0; i < edges; i++)
                {
                    var src = i / 10 % nodes + 1;
                    var dst = (src * 7919 + i % 10 * 104729) % nodes + 1;
                    var type2 = (EdgeType)(1 + i % 12);
                    graph.ObserveEdge(src, type2, dst, i, Provenance.FromEvent(64 + i * 8));
                    observed++;
                    if (i % 2 == 0) { graph.ObserveEdge(src, type2, dst, i + 1, Provenance.FromEvent(64 + i * 8 + 4)); observed++; }
                }
                var applied = build.Elapsed;
                graph.MarkApplied(64 + edges * 8);
                var cp = Stopwatch.StartNew();
                await graph.CheckpointAsync();
                System.Console.WriteLine($"built {graph.EdgeCount:N0} edges, {graph.NodeCount:N0} nodes, {observed:N0} observations in {applied.TotalSeconds:F1} s ({observed / applied.TotalSeconds:N0} obs/s); full checkpoint ({checkpoint}) {cp.Elapsed.TotalSeconds:F2} s");
            }
            System.Console.WriteLine($"store on disk: {DirBytes(Path.Combine(root, "graph")) / 1e6:N0} MB");

            GC.Collect();
            var cpu0 = Cpu();
            var open = Stopwatch.StartNew();
            await using var again = GraphStore.Open(GraphOptions(edges, type));
            var opened = open.Elapsed;
            var cpu1 = Cpu();
            var scan = Stopwatch.StartNew();
            long count = 0, sum = 0;
            foreach (var e in again.Edges()) { count++; sum += e.Count; }
            var scanned = scan.Elapsed;
            var cpu2 = Cpu();
            if (count != again.EdgeCount || sum != observed) throw new InvalidOperationException($"recovered {count} edges / {sum} observations, expected {again.EdgeCount} / {observed}");
            System.Console.WriteLine($"RESULT graph edges={count:N0} nodes={again.NodeCount:N0} checkpoint={checkpoint} open(recover+load nodes)={opened.TotalSeconds:F2}s edges-scan={scanned.TotalSeconds:F2}s total={(opened + scanned).TotalSeconds:F2}s cpu(open)={(cpu1 - cpu0).TotalSeconds:F2}s cpu(scan)={(cpu2 - cpu1).TotalSeconds:F2}s load={Load()}");
        }

        async Task Replay(long events)
        {
            var logDir = Path.Combine(root, "events");
            var rnd = new Random(42);
            var users = Enumerable.Range(0, 5000).Select(i => "user" + i).ToArray();
            var write = Stopwatch.StartNew();
            await using (var log = EventLog.Open(new EventLogOptions { Directory = logDir }))
            {
                var batch = new List<EventRecord>(4096);
                for (long i = 0; i < events; i++)
                {
                    // Shaped like the loghub OpenSSH corpus: ~1 accepted per 50 failed, addresses from a /12.
                    var ip = $"10.{rnd.Next(16)}.{rnd.Next(256)}.{rnd.Next(256)}";
                    var message = rnd.Next(50) == 0
                        ? $"Accepted password for {users[rnd.Next(users.Length)]} from {ip} port {rnd.Next(1024, 65535)} ssh2"
                        : $"Failed password for invalid user {users[rnd.Next(users.Length)]} from {ip} port {rnd.Next(1024, 65535)} ssh2";
                    batch.Add(new EventRecord { TimeMs = 1_765_000_000_000 + i, ReceivedAtMs = 1_765_000_000_000 + i, Host = "host" + rnd.Next(200), App = "sshd", Message = message, Source = "perf" });
                    if (batch.Count == batch.Capacity) { await log.AppendAsync(batch.ToArray()); batch.Clear(); }
                }
                if (batch.Count > 0) await log.AppendAsync(batch.ToArray());
            }
            System.Console.WriteLine($"wrote {events:N0} events in {write.Elapsed.TotalSeconds:F1} s");

            await using var log2 = EventLog.Open(new EventLogOptions { Directory = logDir });
            var graph = GraphStore.Open(GraphOptions(events, FASTER.core.CheckpointType.Snapshot));
            var options = Options.Create(new RedoubtOptions { Graph = new GraphOptions { CheckpointSeconds = 3600, CheckpointAfterEvents = long.MaxValue } });
            var sink = new GraphStoreSink(graph, [new RuleExtractor(ExtractionRuleSet.Load(null))], log2, options, NullLogger<GraphStoreSink>.Instance);
            var fanout = new EventFanout(log2, [sink], NullLogger<EventFanout>.Instance);
            var cpu0 = Cpu();
            var replay = Stopwatch.StartNew();
            await fanout.StartAsync(CancellationToken.None);
            while (sink.AppliedUntil < log2.CommittedUntil) await Task.Delay(50);
            var replayed = replay.Elapsed;
            var cpu1 = Cpu();
            await fanout.StopAsync(CancellationToken.None);
            await sink.DisposeAsync();
            System.Console.WriteLine($"RESULT replay events={events:N0} edges={graph.EdgeCount:N0} nodes={graph.NodeCount:N0} replay={replayed.TotalSeconds:F2}s ({events / replayed.TotalSeconds:N0} events/s) cpu={(cpu1 - cpu0).TotalSeconds:F2}s load={Load()}");
            await graph.DisposeAsync();
        }

        static TimeSpan Cpu() => Process.GetCurrentProcess().TotalProcessorTime;
        static string Load() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "?";

        static long DirBytes(string dir) => new DirectoryInfo(dir).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length);

        static Dictionary<string, string> Parse(string[] a)
        {
            var d = new Dictionary<string, string>();
            for (var i = 0; i < a.Length; i++)
                if (a[i].StartsWith("--", StringComparison.Ordinal))
                    d[a[i][2..]] = i + 1 < a.Length && !a[i + 1].StartsWith("--", StringComparison.Ordinal) ? a[++i] : "true";
            return d;
        }
    }
}

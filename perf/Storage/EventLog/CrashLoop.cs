using System.Collections.Concurrent;
using System.Diagnostics;
using Redoubt.Tests.Support;

namespace Redoubt.Perf.Storage.EventLogBench;

/// <summary>
/// The long crash run: the real appliance under NDJSON load from several writers, SIGKILLed at a
/// random moment, restarted on the same data directory, N times. After every restart: the store
/// opened, and every acknowledged event is there with its exact content.
/// </summary>
internal static class CrashLoop
{
    public static async Task<int> RunAsync(string[] args)
    {
        var kills = (int)Args.Long(args, "--kills", 25);
        var writers = (int)Args.Long(args, "--writers", 4);
        var seed = (int)Args.Long(args, "--seed", Environment.TickCount);
        var rng = new Random(seed);
        var dir = Directory.CreateTempSubdirectory("redoubt-crash-loop-").FullName;
        var acked = new ConcurrentDictionary<long, string>();
        var restarts = new List<double>();
        var total = Stopwatch.StartNew();
        try
        {
            for (var k = 0; k < kills; k++)
            {
                var start = Stopwatch.StartNew();
                await using var app = await ApplianceProcess.StartAsync(dir);
                restarts.Add(start.Elapsed.TotalMilliseconds);
                await CrashLoad.CheckAsync(app, acked, $"seed {seed}, after kill {k}");
                await CrashLoad.RunAndKillAsync(app, acked, writers, batch: 50, TimeSpan.FromMilliseconds(rng.Next(100, 3000)), rng.Next());
                System.Console.WriteLine($"kill {k + 1}/{kills}: {acked.Count} acknowledged events so far, restart took {restarts[^1]:F0} ms");
            }
            await using var last = await ApplianceProcess.StartAsync(dir);
            var stored = await CrashLoad.CheckAsync(last, acked, $"seed {seed}, final");
            System.Console.WriteLine($"RESULT crash-loop: {kills} SIGKILLs under load ({writers} writers, 50-event batches), seed {seed}: " +
                              $"{acked.Count} events acknowledged, 0 lost, 0 altered, store opened {kills + 1}/{kills + 1} times; " +
                              $"{stored} events stored (acknowledged + committed-but-unacknowledged at kill time); " +
                              $"start-to-healthy median {Median(restarts):F0} ms, max {restarts.Max():F0} ms; {total.Elapsed.TotalSeconds:F0} s in all");
            return 0;
        }
        catch (CrashCheckException e)
        {
            System.Console.WriteLine("RESULT crash-loop FAILED: " + e.Message);
            return 1;
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    private static double Median(List<double> xs) => xs.Order().ElementAt(xs.Count / 2);
}

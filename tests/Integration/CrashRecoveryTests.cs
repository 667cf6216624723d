using System.Collections.Concurrent;
using System.Text.Json;
using Redoubt.Tests.Support;

namespace Redoubt.Tests.Integration;

/// <summary>
/// kill -9 of the real process while agents post NDJSON (an acknowledged protocol): after every
/// restart on the same data directory the store opens and holds every acknowledged event, id for
/// id and byte for byte. A longer run (20+ kills) is perf/Redoubt.Perf crash-loop.
/// </summary>
public sealed class CrashRecoveryTests
{
    [Fact]
    public async Task Every_acknowledged_event_survives_SIGKILL_at_random_moments()
    {
        var seed = Environment.TickCount;
        var rng = new Random(seed);
        var dir = Directory.CreateTempSubdirectory("redoubt-crash-").FullName;
        var acked = new ConcurrentDictionary<long, string>();
        try
        {
            for (var round = 0; round < 3; round++)
            {
                await using var app = await ApplianceProcess.StartAsync(dir);
                await CrashLoad.CheckAsync(app, acked, $"seed {seed}, after kill {round}");
                var killAfter = TimeSpan.FromMilliseconds(rng.Next(200, 1500));
                await CrashLoad.RunAndKillAsync(app, acked, writers: 3, batch: 25, killAfter, rng.Next());
            }
            await using var last = await ApplianceProcess.StartAsync(dir);
            var stored = await CrashLoad.CheckAsync(last, acked, $"seed {seed}, final");
            Assert.True(acked.Count > 0, "no batch was acknowledged before the kills");
            Assert.Equal(stored, (await last.StatsAsync()).GetProperty("events").GetInt64());
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}


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

/// <summary>Load-then-kill and the check after restart, shared with the perf crash loop.</summary>
public static class CrashLoad
{
    /// <summary>Posts batches of real agent events from several writers, records every acknowledged id, and SIGKILLs the process mid-stream.</summary>
    public static async Task RunAndKillAsync(ApplianceProcess app, ConcurrentDictionary<long, string> acked, int writers, int batch, TimeSpan killAfter, int seed)
    {
        using var stop = new CancellationTokenSource();
        var firstAck = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var tasks = Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
        {
            var offset = (long)seed * 7919 + w * 100_003;
            while (!stop.IsCancellationRequested)
            {
                var lines = Otrf.Take(offset, batch);
                offset += batch;
                try
                {
                    using var r = await app.PostNdjsonAsync(string.Join("\n", lines) + "\n");
                    if (!r.IsSuccessStatusCode) continue;
                    var ids = JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.GetProperty("ids").EnumerateArray().Select(i => i.GetInt64()).ToList();
                    for (var i = 0; i < ids.Count; i++)
                        if (!acked.TryAdd(ids[i], lines[i])) throw new InvalidOperationException($"id {ids[i]} acknowledged twice");
                    firstAck.TrySetResult();
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException) { return; } // killed
            }
        })).ToList();
        await firstAck.Task.WaitAsync(TimeSpan.FromSeconds(60));
        await Task.Delay(killAfter);
        app.Kill();
        await stop.CancelAsync();
        await Task.WhenAll(tasks);
    }

    /// <summary>Every acknowledged event is stored with its exact content; ids are unique. Returns how many events the store holds.</summary>
    public static async Task<long> CheckAsync(ApplianceProcess app, ConcurrentDictionary<long, string> acked, string context)
    {
        var stored = new Dictionary<long, JsonElement>();
        foreach (var e in await app.AllEventsAsync())
            Assert.True(stored.TryAdd(e.GetProperty("id").GetInt64(), e), $"{context}: id {e.GetProperty("id")} listed twice");
        var missing = acked.Keys.Where(id => !stored.ContainsKey(id)).Order().Take(5).ToList();
        Assert.True(missing.Count == 0, $"{context}: {acked.Count - stored.Keys.Count(acked.ContainsKey)} acknowledged events missing, e.g. {string.Join(", ", missing)}");
        foreach (var (id, line) in acked)
            Assert.True(JsonElement.DeepEquals(JsonDocument.Parse(line).RootElement, stored[id].GetProperty("json")), $"{context}: event {id} differs from what was acknowledged");
        return stored.Count;
    }
}

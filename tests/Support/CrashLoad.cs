using System.Collections.Concurrent;
using System.Text.Json;

namespace Redoubt.Tests.Support;

/// <summary>Load-then-kill and the check after restart, shared by the crash test and the perf crash loop (so no xunit here).</summary>
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
            if (!stored.TryAdd(e.GetProperty("id").GetInt64(), e)) throw new CrashCheckException($"{context}: id {e.GetProperty("id")} listed twice");
        var missing = acked.Keys.Where(id => !stored.ContainsKey(id)).Order().Take(5).ToList();
        if (missing.Count > 0) throw new CrashCheckException($"{context}: {acked.Count - stored.Keys.Count(acked.ContainsKey)} acknowledged events missing, e.g. {string.Join(", ", missing)}");
        foreach (var (id, line) in acked)
            if (!JsonElement.DeepEquals(JsonDocument.Parse(line).RootElement, stored[id].GetProperty("json"))) throw new CrashCheckException($"{context}: event {id} differs from what was acknowledged");
        return stored.Count;
    }
}

public sealed class CrashCheckException(string message) : Exception(message);

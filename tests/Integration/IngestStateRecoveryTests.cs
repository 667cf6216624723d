using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;
using Redoubt.Tests.Support;

namespace Redoubt.Tests.Integration;

/// <summary>
/// Ingest state after kill -9 of the real process, now that it comes from a checkpoint beside the log
/// plus the events after it: every idempotency key acknowledged before the kill still answers its
/// retry with the same ids (and stores nothing), and every source's last-seen time equals the newest
/// event the log holds for it. Checkpoints are taken every 200 events here, so the kills land between
/// checkpoints and each restart replays a tail.
/// </summary>
public sealed class IngestStateRecoveryTests
{
    private sealed record Acked(string Body, string Answer);

    [Fact]
    public async Task Keys_and_last_seen_times_survive_SIGKILL_between_state_checkpoints()
    {
        var seed = Environment.TickCount;
        var rng = new Random(seed);
        var dir = Directory.CreateTempSubdirectory("redoubt-ingest-state-").FullName;
        var acked = new ConcurrentDictionary<string, Acked>();
        try
        {
            for (var round = 0; round < 3; round++)
            {
                await using var app = await ApplianceProcess.StartAsync(dir, "--Storage:StateCheckpointEvents=200");
                if (round > 0)
                {
                    Assert.Contains("ingest state from its checkpoint", app.Output);
                    await CheckAsync(app, acked, $"seed {seed}, after kill {round}");
                }
                // Killed once this round has had a few acknowledged batches, plus a random delay: a kill
                // timed by the clock alone left only 4 batches acknowledged on a loaded CI machine.
                await PostAndKillAsync(app, acked, round, minAcks: rng.Next(4, 12), TimeSpan.FromMilliseconds(rng.Next(0, 800)));
            }
            await using var last = await ApplianceProcess.StartAsync(dir);
            await CheckAsync(last, acked, $"seed {seed}, final");
            Assert.True(acked.Count > 10, $"only {acked.Count} keyed batches were acknowledged before the kills");
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    private static async Task<(HttpStatusCode Status, string Body, bool Replayed)> PostAsync(ApplianceProcess app, string body, string key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/ingest") { Content = new StringContent(body, Encoding.UTF8, "application/x-ndjson") };
        request.Headers.TryAddWithoutValidation("Idempotency-Key", key);
        using var response = await app.Http.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(), response.Headers.Contains("Idempotent-Replayed"));
    }

    /// <summary>Three writers post keyed batches of real agent events until the process is SIGKILLed.</summary>
    private static async Task PostAndKillAsync(ApplianceProcess app, ConcurrentDictionary<string, Acked> acked, int round, int minAcks, TimeSpan killAfter)
    {
        using var stop = new CancellationTokenSource();
        var enough = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var ackedThisRound = 0;
        var writers = Enumerable.Range(0, 3).Select(w => Task.Run(async () =>
        {
            var offset = round * 1_000_003L + w * 100_003L;
            for (var n = 0; !stop.IsCancellationRequested; n++)
            {
                var body = string.Join("\n", Otrf.Take(offset, 20)) + "\n";
                offset += 20;
                var key = $"r{round}-w{w}-{n}";
                try
                {
                    var (status, answer, _) = await PostAsync(app, body, key);
                    if (status != HttpStatusCode.OK) continue;
                    acked[key] = new Acked(body, answer);
                    if (Interlocked.Increment(ref ackedThisRound) >= minAcks) enough.TrySetResult();
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException) { return; } // killed
            }
        })).ToList();
        await enough.Task.WaitAsync(TimeSpan.FromSeconds(120));
        await Task.Delay(killAfter);
        app.Kill();
        await stop.CancelAsync();
        await Task.WhenAll(writers);
    }

    private static async Task CheckAsync(ApplianceProcess app, ConcurrentDictionary<string, Acked> acked, string context)
    {
        // Sources first (a retry below would move them): last seen = the newest stored event of each source.
        var events = await app.AllEventsAsync();
        var expected = events
            .GroupBy(e => e.GetProperty("host").GetString() is { Length: > 0 } h ? h : "127.0.0.1", StringComparer.OrdinalIgnoreCase)
            .ToDictionary(g => g.Key, g => g.Max(e => e.GetProperty("receivedAt").GetDateTime()), StringComparer.OrdinalIgnoreCase);
        var sources = (await app.StatsAsync()).GetProperty("sources").EnumerateArray()
            .ToDictionary(s => s.GetProperty("source").GetString()!, s => s.GetProperty("lastSeen").GetDateTime(), StringComparer.OrdinalIgnoreCase);
        Assert.True(expected.Count > 0, context);
        foreach (var (source, lastSeen) in expected)
        {
            Assert.True(sources.TryGetValue(source, out var got), $"{context}: source {source} is not listed after the restart");
            Assert.Equal(lastSeen, got);
        }

        var stored = events.Count;
        foreach (var (key, batch) in acked)
        {
            var (status, answer, replayed) = await PostAsync(app, batch.Body, key);
            Assert.True(status == HttpStatusCode.OK && replayed, $"{context}: key {key} answered {status} (replayed: {replayed}) {answer}");
            Assert.Equal(batch.Answer, answer);
        }
        Assert.Equal(stored, (await app.StatsAsync()).GetProperty("events").GetInt64());
    }
}

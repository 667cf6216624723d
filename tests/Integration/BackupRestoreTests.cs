using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using System.Net.Http.Json;
using Redoubt.Storage.Backup;
using Redoubt.Storage.Graph;
using Redoubt.Tests.Graph;
using Redoubt.Tests.Support;

namespace Redoubt.Tests.Integration;

/// <summary>`redoubt backup` against the running appliance while agents keep posting, then `redoubt restore` and a new appliance on the copy.</summary>
public sealed class BackupRestoreTests
{
    // A graph checkpoint every 300 events: the backup meets a graph with checkpoints behind it and events applied since.
    private static readonly string[] Args = ["--Graph:CheckpointAfterEvents=300", "--Graph:CheckpointSeconds=3600"];

    [Fact]
    public async Task An_online_backup_of_every_store_restores_the_events_state_and_graph_of_its_point()
    {
        var work = Directory.CreateTempSubdirectory("redoubt-backup-").FullName;
        try
        {
            var archive = Path.Combine(work, "site.tar");
            var restored = Path.Combine(work, "restored");
            var sshd = Loghub.Load("OpenSSH").Select(l => l.Raw).ToList();
            var ackedBefore = new ConcurrentDictionary<long, string>();
            List<JsonElement> original;
            BackupManifest manifest;
            string adminToken, readerToken;
            List<string> tokensBefore;
            await using (var app = await ApplianceProcess.StartAsync(Directory.CreateDirectory(Path.Combine(work, "original")).FullName, Args))
            {
                adminToken = app.Token!;
                for (var i = 0; i < 5; i++) await PostAsync(app, i * 100, ackedBefore);
                await Senders.SendTcpLinesAsync(app.SyslogPort, sshd.Take(1000));
                await app.WaitForEventCountAsync(1500);
                // State: a user and a token, made through the API and acknowledged before the backup.
                using (var r = await app.Http.PostAsJsonAsync("/api/v1/users", new { name = "bea", role = "viewer", password = "bea's long enough password" }))
                    Assert.True(r.IsSuccessStatusCode, await r.Content.ReadAsStringAsync());
                using (var r = await app.Http.PostAsJsonAsync("/api/v1/tokens", new { name = "reader", scopes = new[] { "events:read" }, expiresInDays = 5 }))
                {
                    Assert.True(r.IsSuccessStatusCode, await r.Content.ReadAsStringAsync());
                    readerToken = JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.GetProperty("token").GetString()!;
                }
                tokensBefore = TokenIds(await app.GetJsonAsync("/api/v1/tokens"));

                // While the backup runs: NDJSON posts, sshd lines over TCP syslog (graph edges), new tokens (state writes).
                using var stop = new CancellationTokenSource();
                var during = new ConcurrentDictionary<long, string>();
                var posts = Task.Run(async () =>
                {
                    for (var i = 5; !stop.IsCancellationRequested; i++) await PostAsync(app, i * 100, during);
                });
                var syslog = Task.Run(async () =>
                {
                    foreach (var chunk in sshd.Skip(1000).Chunk(50))
                    {
                        if (stop.IsCancellationRequested) break;
                        await Senders.SendTcpLinesAsync(app.SyslogPort, chunk);
                    }
                });
                var tokens = Task.Run(async () =>
                {
                    for (var i = 0; !stop.IsCancellationRequested; i++)
                        using (var r = await app.Http.PostAsJsonAsync("/api/v1/tokens", new { name = $"during {i}", scopes = new[] { "events:read" } }))
                            r.EnsureSuccessStatusCode();
                });
                // An unknown store is refused, naming it; nothing is written.
                var (unknown, why) = await RedoubtCli.RunAsync("backup", "--out", archive, "--stores", "events,nosuch", "--url", $"https://127.0.0.1:{app.HttpPort}", "--token", app.Token!, "--cert", app.CertificateFile);
                Assert.Equal(1, unknown);
                Assert.Contains("no store directory nosuch", why);
                Assert.False(File.Exists(archive));
                var (code, output) = await RedoubtCli.RunAsync("backup", "--out", archive, "--url", $"https://127.0.0.1:{app.HttpPort}", "--token", app.Token!, "--cert", app.CertificateFile);
                Assert.True(code == 0, output + "\n" + app.Output);
                Assert.DoesNotContain("omitted", output);
                await stop.CancelAsync();
                await Task.WhenAll(posts, syslog, tokens);
                Assert.NotEmpty(during);
                original = await app.AllEventsAsync();
            }
            await using (var f = File.OpenRead(archive)) manifest = await Backup.VerifyAsync(f);
            Assert.Equal(["graph", "state", "summary", "events"], manifest.Stores.Select(s => s.Directory)); // derived stores first, the log last
            var facts = manifest.Stores.Single(s => s.Directory == "events").Facts;
            var committed = long.Parse(facts["committedUntil"], CultureInfo.InvariantCulture);
            var graphAt = long.Parse(manifest.Stores.Single(s => s.Directory == "graph").Facts["checkpointedUntil"], CultureInfo.InvariantCulture);
            Assert.InRange(graphAt, 1, committed); // a real graph checkpoint, never ahead of the copied log

            var (restoreCode, restoreOutput) = await RedoubtCli.RunAsync("restore", archive, "--data", restored);
            Assert.True(restoreCode == 0, restoreOutput);
            List<JsonElement> back;
            // The site secret comes back as it was: summaries keep their pseudonyms across the restore.
            Assert.Equal(await File.ReadAllBytesAsync(Path.Combine(work, "original", "summary", "site-secret")),
                await File.ReadAllBytesAsync(Path.Combine(restored, "summary", "site-secret")));
            await using (var copy = await ApplianceProcess.StartAsync(restored, Args))
            {
                back = await copy.AllEventsAsync();
                var expected = original.Where(e => e.GetProperty("id").GetInt64() < committed).Select(e => e.ToString()).ToList();
                Assert.Equal(expected, back.Select(e => e.ToString()).ToList());
                Assert.Equal(long.Parse(facts["events"], CultureInfo.InvariantCulture), back.Count);
                var restoredIds = back.Select(e => e.GetProperty("id").GetInt64()).ToHashSet();
                Assert.All(ackedBefore.Keys, id => Assert.Contains(id, restoredIds)); // acknowledged before the backup began

                // State: the user, every token made before the backup, and those tokens still open the API.
                var users = (await copy.GetJsonAsync("/api/v1/users")).GetProperty("users").EnumerateArray().Select(u => u.GetProperty("name").GetString()).ToList();
                Assert.Contains("bea", users);
                var tokensAfter = TokenIds(await copy.GetJsonAsync("/api/v1/tokens"));
                Assert.All(tokensBefore, id => Assert.Contains(id, tokensAfter));
                foreach (var token in new[] { adminToken, readerToken })
                {
                    using var client = copy.NewClient(token);
                    using var r = await client.GetAsync("/api/v1/events?limit=1");
                    Assert.Equal(System.Net.HttpStatusCode.OK, r.StatusCode);
                }

                // Graph: caught up from its restored checkpoint, it equals the fold of the restored log.
                var graph = await GraphRecoveryTests.WaitGraphCaughtUpAsync(copy);
                var fold = GraphRecoveryTests.Fold(back);
                Assert.True(fold.Count > 0, "the sshd lines before the backup make edges");
                // The Windows events posted as NDJSON make edges too (logons in the extraction rules); the
                // sshd ones are checked edge by edge below, the rest by where their evidence lies.
                Assert.True(graph.GetProperty("counters").GetProperty("edges").GetInt64() >= fold.Count);
                Assert.Equal(0, await copy.StopAsync());
            }
            await using var store = GraphStore.Open(new GraphStoreOptions { Directory = Path.Combine(restored, "graph") });
            var inLog = back.Select(e => e.GetProperty("id").GetInt64()).ToHashSet();
            var syslogIds = back.Where(e => e.GetProperty("transport").GetString()!.StartsWith("syslog", StringComparison.Ordinal))
                .Select(e => e.GetProperty("id").GetInt64()).ToHashSet();
            var all = store.Edges().ToList();
            // No edge comes from an event past the backup point (or from nowhere).
            Assert.All(all, e => Assert.Contains(e.FirstEventId, inLog));
            var held = all.Where(e => syslogIds.Contains(e.FirstEventId)).ToDictionary(e => GraphRecoveryTests.Key(store, e));
            var want = GraphRecoveryTests.Fold(back);
            Assert.Equal(want.Keys.Order(), held.Keys.Order());
            foreach (var (key, edge) in want)
            {
                var got = held[key];
                Assert.Equal(edge, new GraphRecoveryTests.ExpectedEdge(got.Count, got.FirstSeenMs, got.LastSeenMs, got.FirstEventId, string.Join(',', got.RecentEventIds)));
            }
        }
        finally { Directory.Delete(work, recursive: true); }
    }

    [Fact]
    public async Task Keys_acknowledged_before_a_backup_answer_the_same_after_a_restore_with_or_without_the_state_checkpoint()
    {
        var work = Directory.CreateTempSubdirectory("redoubt-backup-keys-").FullName;
        try
        {
            var archive = Path.Combine(work, "site.tar");
            var answers = new Dictionary<string, (string Body, string Answer)>();
            string after;
            await using (var app = await ApplianceProcess.StartAsync(Directory.CreateDirectory(Path.Combine(work, "original")).FullName))
            {
                for (var i = 0; i < 4; i++)
                {
                    var body = string.Join("\n", Otrf.Take(i * 50, 50)) + "\n";
                    var (status, answer, _) = await KeyedPostAsync(app, body, $"before-{i}");
                    Assert.Equal(System.Net.HttpStatusCode.OK, status);
                    answers[$"before-{i}"] = (body, answer);
                }
                var (code, output) = await RedoubtCli.RunAsync("backup", "--out", archive, "--url", $"https://127.0.0.1:{app.HttpPort}", "--token", app.Token!, "--cert", app.CertificateFile);
                Assert.True(code == 0, output);
                after = string.Join("\n", Otrf.Take(1000, 50)) + "\n";
                Assert.Equal(System.Net.HttpStatusCode.OK, (await KeyedPostAsync(app, after, "after-backup")).Status);
            }
            await using (var f = File.OpenRead(archive))
                Assert.Contains((await Backup.VerifyAsync(f)).Files, e => e.Path == "events/" + Redoubt.Storage.Events.LogStateFile.FileName);

            foreach (var withCheckpoint in new[] { true, false })
            {
                var restored = Path.Combine(work, withCheckpoint ? "restored" : "restored-without");
                var (restoreCode, restoreOutput) = await RedoubtCli.RunAsync("restore", archive, "--data", restored);
                Assert.True(restoreCode == 0, restoreOutput);
                if (!withCheckpoint) File.Delete(Path.Combine(restored, "events", Redoubt.Storage.Events.LogStateFile.FileName));
                await using var copy = await ApplianceProcess.StartAsync(restored);
                Assert.Contains(withCheckpoint ? "ingest state from its checkpoint" : "ingest state rebuilt from", copy.Output);
                var events = (await copy.StatsAsync()).GetProperty("events").GetInt64();
                foreach (var (key, (body, answer)) in answers)
                {
                    var (status, again, replayed) = await KeyedPostAsync(copy, body, key);
                    Assert.True(status == System.Net.HttpStatusCode.OK && replayed, $"{key}: {status} {again}");
                    Assert.Equal(answer, again);
                }
                Assert.Equal(events, (await copy.StatsAsync()).GetProperty("events").GetInt64());
                // The key posted after the backup point is not in the restored log: a new batch.
                var (afterStatus, _, afterReplayed) = await KeyedPostAsync(copy, after, "after-backup");
                Assert.Equal((System.Net.HttpStatusCode.OK, false), (afterStatus, afterReplayed));
            }
        }
        finally { Directory.Delete(work, recursive: true); }
    }

    private static async Task<(System.Net.HttpStatusCode Status, string Body, bool Replayed)> KeyedPostAsync(ApplianceProcess app, string body, string key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/ingest") { Content = new StringContent(body, System.Text.Encoding.UTF8, "application/x-ndjson") };
        request.Headers.TryAddWithoutValidation("Idempotency-Key", key);
        using var response = await app.Http.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(), response.Headers.Contains("Idempotent-Replayed"));
    }

    private static List<string> TokenIds(JsonElement list) =>
        list.GetProperty("tokens").EnumerateArray().Select(t => t.GetProperty("id").GetString()!).ToList();

    [Fact]
    public async Task Restore_refuses_a_directory_that_is_not_empty_and_a_truncated_archive()
    {
        var work = Directory.CreateTempSubdirectory("redoubt-restore-").FullName;
        try
        {
            var archive = Path.Combine(work, "site.tar");
            await using (var app = await ApplianceProcess.StartAsync())
            {
                await PostAsync(app, 0, new ConcurrentDictionary<long, string>());
                var (code, output) = await RedoubtCli.RunAsync("backup", "--out", archive, "--stores", "events", "--url", $"https://127.0.0.1:{app.HttpPort}", "--token", app.Token!, "--cert", app.CertificateFile);
                Assert.True(code == 0, output);
            }
            var busy = Directory.CreateDirectory(Path.Combine(work, "busy")).FullName;
            await File.WriteAllTextAsync(Path.Combine(busy, "keep"), "x");
            var (refused, why) = await RedoubtCli.RunAsync("restore", archive, "--data", busy);
            Assert.Equal(1, refused);
            Assert.Contains("not empty", why);

            var cut = Path.Combine(work, "cut.tar");
            var bytes = await File.ReadAllBytesAsync(archive);
            await File.WriteAllBytesAsync(cut, bytes[..(bytes.Length - 3000)]);
            var (cutCode, cutWhy) = await RedoubtCli.RunAsync("restore", cut, "--data", Path.Combine(work, "t"));
            Assert.Equal(1, cutCode);
            Assert.StartsWith("redoubt: restore failed", cutWhy.Trim());
            Assert.False(Directory.Exists(Path.Combine(work, "t")));
        }
        finally { Directory.Delete(work, recursive: true); }
    }

    private static async Task PostAsync(ApplianceProcess app, long offset, ConcurrentDictionary<long, string> acked)
    {
        var lines = Otrf.Take(offset, 100);
        using var r = await app.PostNdjsonAsync(string.Join("\n", lines) + "\n");
        r.EnsureSuccessStatusCode();
        var ids = JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.GetProperty("ids").EnumerateArray().Select(i => i.GetInt64()).ToList();
        for (var i = 0; i < ids.Count; i++) acked[ids[i]] = lines[i];
    }
}

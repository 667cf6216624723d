using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using Redoubt.Storage.Backup;
using Redoubt.Tests.Support;

namespace Redoubt.Tests.Integration;

/// <summary>`redoubt backup` against the running appliance while agents keep posting, then `redoubt restore` and a new appliance on the copy.</summary>
public sealed class BackupRestoreTests
{
    [Fact]
    public async Task An_online_backup_restores_to_every_event_committed_at_its_point_with_identical_content()
    {
        var work = Directory.CreateTempSubdirectory("redoubt-backup-").FullName;
        try
        {
            var archive = Path.Combine(work, "site.tar");
            var restored = Path.Combine(work, "restored");
            var ackedBefore = new ConcurrentDictionary<long, string>();
            List<JsonElement> original;
            BackupManifest manifest;
            await using (var app = await ApplianceProcess.StartAsync())
            {
                for (var i = 0; i < 10; i++) await PostAsync(app, i * 100, ackedBefore);

                using var stop = new CancellationTokenSource();
                var during = new ConcurrentDictionary<long, string>();
                var writer = Task.Run(async () =>
                {
                    for (var i = 10; !stop.IsCancellationRequested; i++) await PostAsync(app, i * 100, during);
                });
                // The state and graph stores have no backup participant yet: a whole backup is refused, naming them.
                var (whole, why) = await RedoubtCli.RunAsync("backup", "--out", archive, "--url", $"https://127.0.0.1:{app.HttpPort}", "--token", app.Token!, "--cert", app.CertificateFile);
                Assert.Equal(1, whole);
                Assert.Contains("no backup participant", why);
                Assert.False(File.Exists(archive));
                var (code, output) = await RedoubtCli.RunAsync("backup", "--out", archive, "--stores", "events", "--url", $"https://127.0.0.1:{app.HttpPort}", "--token", app.Token!, "--cert", app.CertificateFile);
                Assert.True(code == 0, output);
                Assert.Contains("events (", output);
                Assert.Contains("omitted on request", output);
                await stop.CancelAsync();
                await writer;
                Assert.NotEmpty(during);
                original = await app.AllEventsAsync();
            }
            await using (var f = File.OpenRead(archive)) manifest = await Backup.VerifyAsync(f);
            var facts = manifest.Stores.Single(s => s.Directory == "events").Facts;
            var committed = long.Parse(facts["committedUntil"], CultureInfo.InvariantCulture);

            var (restoreCode, restoreOutput) = await RedoubtCli.RunAsync("restore", archive, "--data", restored);
            Assert.True(restoreCode == 0, restoreOutput);
            await using var copy = await ApplianceProcess.StartAsync(restored);
            var back = await copy.AllEventsAsync();

            var expected = original.Where(e => e.GetProperty("id").GetInt64() < committed).Select(e => e.ToString()).ToList();
            Assert.Equal(expected, back.Select(e => e.ToString()).ToList());
            Assert.Equal(long.Parse(facts["events"], CultureInfo.InvariantCulture), back.Count);
            var restoredIds = back.Select(e => e.GetProperty("id").GetInt64()).ToHashSet();
            Assert.All(ackedBefore.Keys, id => Assert.Contains(id, restoredIds)); // acknowledged before the backup began
        }
        finally { Directory.Delete(work, recursive: true); }
    }

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

using System.Net;
using System.Net.Sockets;
using Redoubt.Tests.Support;

namespace Redoubt.Tests.Integration;

/// <summary>Start, stop and restart of the real process.</summary>
public sealed class LifecycleTests
{
    [Fact]
    public async Task A_clean_stop_and_restart_shows_the_same_events()
    {
        var dir = Directory.CreateTempSubdirectory("redoubt-restart-").FullName;
        try
        {
            List<string> before;
            await using (var app = await ApplianceProcess.StartAsync(dir))
            {
                await Senders.SendTcpLinesAsync(app.SyslogPort, Loghub.Load("OpenSSH").Take(500).Select(l => l.Raw));
                using var r = await app.PostNdjsonAsync("{\"host\":\"agent1\",\"message\":\"from an agent\"}\n");
                r.EnsureSuccessStatusCode();
                await app.WaitForEventCountAsync(501);
                before = (await app.AllEventsAsync()).Select(e => e.ToString()).ToList();
                Assert.Equal(0, await app.StopAsync());
                // An empty store's log begins at address 64: that was once logged as "resumes at event 64".
                Assert.Contains("detection starts from the start of the event log", app.Output);
                Assert.DoesNotContain("at event", app.Output);
            }

            await using (var again = await ApplianceProcess.StartAsync(dir))
            {
                var after = (await again.AllEventsAsync()).Select(e => e.ToString()).ToList();
                Assert.Equal(before, after);
                Assert.Equal(501, (await again.StatsAsync()).GetProperty("events").GetInt64());
                Assert.Contains("detection resumes where it stopped, at log address", again.Output);
            }
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public async Task A_clean_stop_after_an_online_backup_closes_the_sinks_before_the_stores_they_checkpoint_into()
    {
        // Review: after a backup, SIGTERM logged "sink detection: checkpoint failed" (the state store was closed
        // first) and the next start applied the last events again. A backup resolves the state store anew as a
        // backup participant, so the host's own disposal, newest first, closed it before the sinks.
        var dir = Directory.CreateTempSubdirectory("redoubt-stop-backup-").FullName;
        try
        {
            long committed;
            await using (var app = await ApplianceProcess.StartAsync(dir))
            {
                using (var r = await app.PostNdjsonAsync("{\"host\":\"agent1\",\"message\":\"before the backup\"}\n")) r.EnsureSuccessStatusCode();
                using (var backup = await app.Http.GetAsync("/api/v1/admin/backup", HttpCompletionOption.ResponseHeadersRead))
                {
                    backup.EnsureSuccessStatusCode();
                    await (await backup.Content.ReadAsStreamAsync()).CopyToAsync(Stream.Null);
                }
                using (var r = await app.PostNdjsonAsync("{\"host\":\"agent1\",\"message\":\"after the backup\"}\n")) r.EnsureSuccessStatusCode();
                await app.WaitForEventCountAsync(2);
                committed = (await app.StatsAsync()).GetProperty("committedUntil").GetInt64();
                Assert.Equal(0, await app.StopAsync());
                Assert.DoesNotContain("checkpoint failed", app.Output);
                Assert.DoesNotContain("fail:", app.Output);
                // A clean stop says so (a crash or kill -9 writes nothing), after saying it is stopping.
                var stopping = app.Output.IndexOf("redoubt stopping:", StringComparison.Ordinal);
                Assert.True(stopping >= 0, app.Output);
                Assert.True(app.Output.IndexOf("redoubt stopped: every sink checkpointed and every store closed", StringComparison.Ordinal) > stopping, app.Output);
            }

            await using var again = await ApplianceProcess.StartAsync(dir);
            Assert.Contains($"detection resumes where it stopped, at log address {committed}", again.Output);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public async Task A_syslog_port_in_use_stops_start_up_with_one_line_naming_it()
    {
        var dir = Directory.CreateTempSubdirectory("redoubt-busy-").FullName;
        using var squatter = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        squatter.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var busy = ((IPEndPoint)squatter.LocalEndPoint!).Port;
        await using var app = ApplianceProcess.Launch(dir, ApplianceProcess.FreePort(), busy);
        Assert.Equal(2, await app.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        var lines = app.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains(lines, l => l.StartsWith("redoubt: ", StringComparison.Ordinal) && l.Contains($"udp 127.0.0.1:{busy}") && l.Contains("in use"));
        Assert.DoesNotContain("   at ", app.Output); // no stack trace
        Directory.Delete(dir, true);
    }

    [Fact]
    public async Task An_http_port_in_use_stops_start_up_with_one_line_naming_it()
    {
        var dir = Directory.CreateTempSubdirectory("redoubt-busy-").FullName;
        using var squatter = new TcpListener(IPAddress.Loopback, 0);
        squatter.Start();
        var busy = ((IPEndPoint)squatter.LocalEndpoint).Port;
        await using var app = ApplianceProcess.Launch(dir, busy, ApplianceProcess.FreePort());
        Assert.Equal(2, await app.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains(app.Output.Split('\n'), l => l.StartsWith("redoubt: cannot listen for http", StringComparison.Ordinal) && l.Contains(busy.ToString()));
        Directory.Delete(dir, true);
    }

    [Fact]
    public async Task A_data_directory_that_cannot_be_written_stops_start_up_with_one_line_naming_it()
    {
        var dir = Directory.CreateTempSubdirectory("redoubt-ro-").FullName;
        var file = Path.Combine(dir, "not-a-dir");
        await File.WriteAllTextAsync(file, "x");
        var data = Path.Combine(file, "data"); // below a regular file: cannot be created, even by root
        await using var app = ApplianceProcess.Launch(dir, ApplianceProcess.FreePort(), ApplianceProcess.FreePort(), "--data", data);
        Assert.Equal(2, await app.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains(app.Output.Split('\n'), l => l.StartsWith($"redoubt: data directory {data} is not writable", StringComparison.Ordinal));
        Directory.Delete(dir, true);
    }

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")] // file modes; the appliance runs on Linux
    public async Task Store_files_that_cannot_be_opened_stop_start_up_with_one_line_not_a_crash()
    {
        // Review: a directory in place of events/time.idx or summary/site-secret crashed the start (exit 134, stack trace).
        var dir = Directory.CreateTempSubdirectory("redoubt-files-").FullName;
        try
        {
            await using (var first = await ApplianceProcess.StartAsync(dir)) Assert.Equal(0, await first.StopAsync());
            foreach (var (file, expected) in new[]
                     {
                         (Path.Combine("events", "time.idx"), "redoubt: cannot use a file it needs: "),
                         (Path.Combine("summary", "site-secret"), "is a directory, not the site secret file"),
                     })
            {
                var path = Path.Combine(dir, file);
                var saved = path + ".saved";
                File.Move(path, saved);
                Directory.CreateDirectory(path);
                await using (var app = ApplianceProcess.Launch(dir, ApplianceProcess.FreePort(), ApplianceProcess.FreePort()))
                {
                    Assert.Equal(2, await app.WaitForExitAsync(TimeSpan.FromSeconds(60)));
                    Assert.Contains(app.Output.Split('\n'), l => l.StartsWith("redoubt: ", StringComparison.Ordinal) && l.Contains(expected));
                    Assert.DoesNotContain("   at ", app.Output); // no stack trace
                }
                Directory.Delete(path);
                File.Move(saved, path);
            }

            // A site secret others can read (restored by an older build, copied by hand) is made owner-only at start.
            var secret = Path.Combine(dir, "summary", "site-secret");
            File.SetUnixFileMode(secret, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
            await using (var again = await ApplianceProcess.StartAsync(dir)) Assert.Equal(0, await again.StopAsync());
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(secret));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public async Task A_store_of_another_format_version_is_refused_with_a_clear_message()
    {
        var dir = Directory.CreateTempSubdirectory("redoubt-fmt-").FullName;
        Directory.CreateDirectory(Path.Combine(dir, "events"));
        await File.WriteAllTextAsync(Path.Combine(dir, "events", "format.json"), """{"Kind":"redoubt-event-log","Version":99}""");
        await using var app = ApplianceProcess.Launch(dir, ApplianceProcess.FreePort(), ApplianceProcess.FreePort());
        Assert.Equal(2, await app.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains("format version 99", app.Output);
        Assert.Equal("""{"Kind":"redoubt-event-log","Version":99}""", await File.ReadAllTextAsync(Path.Combine(dir, "events", "format.json")));
        Directory.Delete(dir, true);
    }
}

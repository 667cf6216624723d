using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Redoubt.Tests.Support;

namespace Redoubt.Tests.Integration;

/// <summary>
/// A full disk, for real: the data directory is a small tmpfs mounted for the test, filled by
/// another file. Redoubt refuses writes with a clear error and a visible state, loses and corrupts
/// nothing, and takes writes again by itself once the space is freed.
/// </summary>
public sealed class DiskFullTests
{
    private static readonly string[] SmallGeometry =
        ["--Storage:PageSizeBits=16", "--Storage:MemorySizeBits=18", "--Storage:SegmentSizeBits=20",
         // The graph store shares the small disk: its hash-index checkpoint must fit too.
         "--Graph:IndexMiB=1", "--Graph:MemoryMiB=4"];

    [SkippableFact]
    public async Task Below_the_free_space_reserve_writes_are_refused_with_503_and_resume_when_space_returns()
    {
        await using var disk = await Tmpfs.MountAsync(48);
        var data = Directory.CreateDirectory(Path.Combine(disk.Path, "data")).FullName;
        var acked = new Dictionary<long, string>();
        await using (var app = await ApplianceProcess.StartAsync(data, [.. SmallGeometry, "--Storage:MinFreeBytes=16777216"]))
        {
            await PostAsync(app, 0, acked, expectOk: true);

            var filler = disk.Fill(leaveFree: 8L << 20); // below the 16 MiB reserve
            var refused = await PostUntilAsync(app, acked, r => r.StatusCode == HttpStatusCode.ServiceUnavailable);
            var body = JsonDocument.Parse(await refused.Content.ReadAsStringAsync()).RootElement;
            Assert.Equal("disk_full", body.GetProperty("error").GetString());
            Assert.NotNull(refused.Headers.RetryAfter);
            using (var health = await app.Http.GetAsync("/healthz"))
            {
                Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
                Assert.Contains("disk_full", await health.Content.ReadAsStringAsync());
            }
            var storage = (await app.StatsAsync()).GetProperty("storage");
            Assert.Equal("disk_full", storage.GetProperty("state").GetString());
            Assert.Contains("reserve", storage.GetProperty("reason").GetString());

            File.Delete(filler);
            await PostUntilAsync(app, acked, r => r.IsSuccessStatusCode); // no restart
            Assert.Equal("ok", (await app.StatsAsync()).GetProperty("storage").GetProperty("state").GetString());
            await CheckAsync(app, acked);
        }
    }

    [SkippableFact]
    public async Task A_commit_that_hits_ENOSPC_is_not_acknowledged_and_the_log_reopens_once_space_returns()
    {
        await using var disk = await Tmpfs.MountAsync(48);
        var data = Directory.CreateDirectory(Path.Combine(disk.Path, "data")).FullName;
        var acked = new Dictionary<long, string>();
        await using (var app = await ApplianceProcess.StartAsync(data, [.. SmallGeometry, "--Storage:MinFreeBytes=0"]))
        {
            await PostAsync(app, 0, acked, expectOk: true);
            var filler = disk.Fill(leaveFree: 0); // no reserve configured: FasterLog itself runs into ENOSPC
            var refused = await PostUntilAsync(app, acked, r => r.StatusCode == HttpStatusCode.ServiceUnavailable);
            Assert.Equal("disk_full", JsonDocument.Parse(await refused.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetString());
            Assert.Equal("failed", (await app.StatsAsync()).GetProperty("storage").GetProperty("state").GetString());

            File.Delete(filler);
            await PostUntilAsync(app, acked, r => r.IsSuccessStatusCode);
            await CheckAsync(app, acked);
            Assert.Equal(0, await app.StopAsync());
        }
        await using var again = await ApplianceProcess.StartAsync(data, [.. SmallGeometry, "--Storage:MinFreeBytes=0"]);
        await CheckAsync(again, acked);
    }

    private static long _offset;

    private static async Task<HttpResponseMessage> PostAsync(ApplianceProcess app, int _, Dictionary<long, string> acked, bool expectOk = false)
    {
        var lines = Otrf.Take(Interlocked.Add(ref _offset, 200), 200);
        var r = await app.PostNdjsonAsync(string.Join("\n", lines) + "\n");
        if (r.IsSuccessStatusCode)
        {
            var ids = JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.GetProperty("ids").EnumerateArray().Select(i => i.GetInt64()).ToList();
            for (var i = 0; i < ids.Count; i++) acked.Add(ids[i], lines[i]);
        }
        else if (expectOk) Assert.Fail($"POST failed: {(int)r.StatusCode} {await r.Content.ReadAsStringAsync()}\n{app.Output}");
        return r;
    }

    private static async Task<HttpResponseMessage> PostUntilAsync(ApplianceProcess app, Dictionary<long, string> acked, Func<HttpResponseMessage, bool> until)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(60))
        {
            var r = await PostAsync(app, 0, acked);
            if (until(r)) return r;
            await Task.Delay(100);
        }
        throw new TimeoutException("the expected response never came\n" + app.Output);
    }

    private static async Task CheckAsync(ApplianceProcess app, Dictionary<long, string> acked)
    {
        var stored = (await app.AllEventsAsync()).ToDictionary(e => e.GetProperty("id").GetInt64());
        foreach (var (id, line) in acked)
        {
            Assert.True(stored.TryGetValue(id, out var e), $"acknowledged event {id} is missing");
            Assert.True(JsonElement.DeepEquals(JsonDocument.Parse(line).RootElement, e.GetProperty("json")), $"event {id} differs");
        }
    }
}

/// <summary>A tmpfs of a few MiB, mounted for one test (needs root; skipped with the reason when mounting is not permitted).</summary>
public sealed class Tmpfs : IAsyncDisposable
{
    public string Path { get; }

    private Tmpfs(string path) => Path = path;

    public static async Task<Tmpfs> MountAsync(int megabytes)
    {
        var path = Directory.CreateTempSubdirectory("redoubt-tmpfs-").FullName;
        var (code, output) = await RunAsync("mount", "-t", "tmpfs", "-o", $"size={megabytes}m", "tmpfs", path);
        if (code != 0)
        {
            Directory.Delete(path);
            Skip.If(true, $"cannot mount a tmpfs to simulate a full disk (mount said: {output.Trim()}); run the tests as root");
        }
        return new Tmpfs(path);
    }

    /// <summary>Writes a file that leaves about <paramref name="leaveFree"/> bytes free (0: until the filesystem refuses).</summary>
    public string Fill(long leaveFree)
    {
        var file = System.IO.Path.Combine(Path, "filler-" + Guid.NewGuid().ToString("N"));
        var chunk = new byte[64 * 1024];
        Array.Fill(chunk, (byte)0xAA);
        using var f = new FileStream(file, FileMode.CreateNew, FileAccess.Write);
        try
        {
            while (new DriveInfo(Path).AvailableFreeSpace > leaveFree + chunk.Length) f.Write(chunk);
            if (leaveFree == 0) while (true) { f.Write(chunk); f.Flush(); }
        }
        catch (IOException) { /* full */ }
        return file;
    }

    public async ValueTask DisposeAsync()
    {
        await RunAsync("umount", "-l", Path);
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
    }

    private static async Task<(int, string)> RunAsync(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        try
        {
            using var p = Process.Start(psi)!;
            var err = await p.StandardError.ReadToEndAsync();
            await p.WaitForExitAsync();
            return (p.ExitCode, err);
        }
        catch (System.ComponentModel.Win32Exception e) { return (-1, e.Message); }
    }
}

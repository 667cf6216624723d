using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace Redoubt.Tests.Support;

/// <summary>
/// The real appliance as a child process (`dotnet redoubt.dll`) on free loopback ports with its own
/// data directory. Output is captured for assertion messages. Kill() is SIGKILL; StopAsync is SIGTERM.
/// </summary>
public sealed class ApplianceProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly bool _ownsDataDir;

    public string DataDir { get; }
    public int HttpPort { get; }
    public int SyslogPort { get; }
    public HttpClient Http { get; }
    public string Output { get { lock (_output) return _output.ToString(); } }
    public bool HasExited => _process.HasExited;
    public int ExitCode => _process.ExitCode;

    private ApplianceProcess(string dataDir, bool ownsDataDir, int httpPort, int syslogPort, IEnumerable<string> extraArgs)
    {
        DataDir = dataDir;
        _ownsDataDir = ownsDataDir;
        HttpPort = httpPort;
        SyslogPort = syslogPort;
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = dataDir,
        };
        // Tests store little: a 32 MiB free-space reserve (not the appliance's 256 MiB) keeps a CI box with
        // a nearly full disk from refusing writes; a test's own --Storage:MinFreeBytes comes later and wins.
        foreach (var a in (string[])[Repo.ApplianceDll, "--data", dataDir, "--http", $"127.0.0.1:{httpPort}", "--syslog", $"127.0.0.1:{syslogPort}", "--Storage:MinFreeBytes=33554432"])
            psi.ArgumentList.Add(a);
        foreach (var a in extraArgs) psi.ArgumentList.Add(a);
        psi.Environment["REDOUBT_CONFIG_DIR"] = Path.Combine(dataDir, "no-etc"); // never read the machine's /etc/redoubt
        psi.Environment["DOTNET_NOLOGO"] = "1";
        _process = new Process { StartInfo = psi };
        _process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_output) _output.AppendLine(e.Data); };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_output) _output.AppendLine(e.Data); };
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        Http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{httpPort}"), Timeout = TimeSpan.FromSeconds(60) };
    }

    /// <summary>Starts the appliance and waits for /healthz.</summary>
    public static async Task<ApplianceProcess> StartAsync(string? dataDir = null, params string[] extraArgs)
    {
        var owns = dataDir is null;
        dataDir ??= Directory.CreateTempSubdirectory("redoubt-test-").FullName;
        var app = new ApplianceProcess(dataDir, owns, FreePort(), FreePort(), extraArgs);
        await app.WaitHealthyAsync();
        return app;
    }

    /// <summary>Starts the appliance without waiting, for tests of start-up failures.</summary>
    public static ApplianceProcess Launch(string dataDir, int httpPort, int syslogPort, params string[] extraArgs) =>
        new(dataDir, false, httpPort, syslogPort, extraArgs);

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
        return _process.ExitCode;
    }

    private async Task WaitHealthyAsync()
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
                throw new InvalidOperationException($"appliance exited with {_process.ExitCode}:\n{Output}");
            try
            {
                using var r = await Http.GetAsync("/healthz");
                if (r.IsSuccessStatusCode) return;
            }
            catch (HttpRequestException) { }
            await Task.Delay(100);
        }
        throw new TimeoutException("appliance did not become healthy:\n" + Output);
    }

    /// <summary>A port free for both TCP and UDP on loopback right now.</summary>
    public static int FreePort()
    {
        for (var attempt = 0; attempt < 50; attempt++)
        {
            using var tcp = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            tcp.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            var port = ((IPEndPoint)tcp.LocalEndPoint!).Port;
            try
            {
                using var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
                udp.Bind(new IPEndPoint(IPAddress.Loopback, port));
                return port;
            }
            catch (SocketException) { }
        }
        throw new InvalidOperationException("no free port");
    }

    public async Task<JsonElement> GetJsonAsync(string path)
    {
        using var r = await Http.GetAsync(path);
        var body = await r.Content.ReadAsStringAsync();
        if (!r.IsSuccessStatusCode) throw new HttpRequestException($"GET {path}: {(int)r.StatusCode} {body}\n--- appliance output ---\n{Output}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    public async Task<JsonElement> StatsAsync() => await GetJsonAsync("/api/v1/stats");

    /// <summary>Waits until the store holds at least <paramref name="count"/> events.</summary>
    public async Task WaitForEventCountAsync(long count, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        long seen = -1;
        while (DateTime.UtcNow < deadline)
        {
            seen = (await StatsAsync()).GetProperty("events").GetInt64();
            if (seen >= count) return;
            await Task.Delay(100);
        }
        throw new TimeoutException($"store holds {seen} events, expected {count}\n{Output}");
    }

    /// <summary>Every stored event (newest first), following cursors.</summary>
    public async Task<List<JsonElement>> AllEventsAsync(string filter = "")
    {
        var all = new List<JsonElement>();
        string? cursor = null;
        do
        {
            var page = await GetJsonAsync($"/api/v1/events?limit=5000{filter}" + (cursor is null ? "" : "&cursor=" + cursor));
            all.AddRange(page.GetProperty("events").EnumerateArray());
            cursor = page.GetProperty("nextCursor").ValueKind == JsonValueKind.Null ? null : page.GetProperty("nextCursor").GetString();
        } while (cursor is not null);
        return all;
    }

    public async Task<HttpResponseMessage> PostNdjsonAsync(string body) =>
        await Http.PostAsync("/api/v1/ingest", new StringContent(body, Encoding.UTF8, "application/x-ndjson"));

    public void Kill() => _process.Kill(entireProcessTree: true);

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int sig);

    /// <summary>SIGTERM, as systemd stops the service; waits for a clean exit.</summary>
    public async Task<int> StopAsync()
    {
        if (_process.HasExited) return _process.ExitCode;
        kill(_process.Id, 15);
        return await WaitForExitAsync(TimeSpan.FromSeconds(30));
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            try { _process.Kill(entireProcessTree: true); await _process.WaitForExitAsync(); } catch (InvalidOperationException) { }
        }
        _process.Dispose();
        Http.Dispose();
        if (_ownsDataDir) try { Directory.Delete(DataDir, recursive: true); } catch (IOException) { }
    }
}

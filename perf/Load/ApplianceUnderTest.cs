using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;

namespace Redoubt.Perf.Load;

/// <summary>
/// The real appliance as a child process, started the way tests/Support/ApplianceProcess.cs does it:
/// `redoubt token create` makes an admin token in a fresh data directory, then `dotnet redoubt.dll`
/// runs on free loopback ports; <see cref="Http"/> speaks HTTPS with that token and trusts exactly the
/// appliance's own certificate.
/// </summary>
public sealed class ApplianceUnderTest : IAsyncDisposable
{
    private Process _process;
    private readonly StringBuilder _output = new();
    private string _dll;
    private int _launchedAt;
    private readonly string[] _extraArgs;
    private readonly bool _ownsDataDir;

    public string DataDir { get; }
    public int HttpPort { get; } = FreePort();
    public int SyslogPort { get; } = FreePort();
    public int RelpPort { get; } = FreePort();
    public int ForwardPort { get; } = FreePort();
    public int Pid => _process.Id;
    public HttpClient Http { get; }
    public string Output { get { lock (_output) return _output.ToString(); } }

    private ApplianceUnderTest(string dll, string dataDir, bool owns, string token, IEnumerable<string> extraArgs, TimeSpan? httpTimeout = null)
    {
        DataDir = dataDir;
        _ownsDataDir = owns;
        _dll = dll;
        _extraArgs = [.. extraArgs];
        _process = Launch();
        var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = 64,
            SslOptions = { RemoteCertificateValidationCallback = (_, cert, _, _) => cert is not null && IsApplianceCertificate(cert) },
        };
        Http = new HttpClient(handler) { BaseAddress = new Uri($"https://127.0.0.1:{HttpPort}"), Timeout = httpTimeout ?? TimeSpan.FromSeconds(120) };
        Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
    }

    private Process Launch()
    {
        var psi = Psi(_dll, DataDir);
        foreach (var a in (string[])["--data", DataDir, "--http", $"127.0.0.1:{HttpPort}", "--syslog", $"127.0.0.1:{SyslogPort}",
                     "--relp", $"127.0.0.1:{RelpPort}", "--forward", $"127.0.0.1:{ForwardPort}", "--SyslogTls:Enabled=false"])
            psi.ArgumentList.Add(a);
        foreach (var a in _extraArgs) psi.ArgumentList.Add(a);
        lock (_output) _launchedAt = _output.Length;
        var process = new Process { StartInfo = psi };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_output) _output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_output) _output.AppendLine(e.Data); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    /// <summary>
    /// kill -9, then the same command on the same data directory and ports; returns the seconds from
    /// the new start until /healthz answers (event log recovery and index rebuild included).
    /// </summary>
    public async Task<double> CrashAndRestartAsync(string? dll = null)
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
        _process.Dispose();
        if (dll is not null) _dll = dll;
        var sw = Stopwatch.StartNew();
        _process = Launch();
        await WaitHealthyAsync(this);
        return sw.Elapsed.TotalSeconds;
    }

    /// <summary>SIGTERM (a clean stop: final checkpoints), then the same command again; returns the seconds to healthy.</summary>
    public async Task<double> StopAndStartAsync(string? dll = null)
    {
        kill(_process.Id, 15);
        await _process.WaitForExitAsync();
        _process.Dispose();
        if (dll is not null) _dll = dll;
        var sw = Stopwatch.StartNew();
        _process = Launch();
        await WaitHealthyAsync(this);
        return sw.Elapsed.TotalSeconds;
    }

    /// <summary>The "redoubt ready" log line of the current process (null until it is logged).</summary>
    public string? ReadyLine() => LineOf("redoubt ready");

    /// <summary>How the current process rebuilt its ingest state (builds with a state checkpoint log it).</summary>
    public string? StateLine() => LineOf("ingest state ")?.Replace("event log: ", "", StringComparison.Ordinal);

    private string? LineOf(string marker)
    {
        lock (_output)
        {
            var since = _output.ToString(_launchedAt, _output.Length - _launchedAt);
            var at = since.IndexOf(marker, StringComparison.Ordinal);
            if (at < 0) return null;
            var end = since.IndexOf('\n', at);
            return end < 0 ? since[at..] : since[at..end].TrimEnd();
        }
    }

    private static async Task WaitHealthyAsync(ApplianceUnderTest app)
    {
        var deadline = DateTime.UtcNow.AddSeconds(300); // a 10M-event store on a shared machine
        while (DateTime.UtcNow < deadline)
        {
            if (app._process.HasExited) throw new InvalidOperationException($"appliance exited with {app._process.ExitCode}:\n{app.Output}");
            try { using var r = await app.Http.GetAsync("/healthz"); if (r.IsSuccessStatusCode) return; }
            catch (HttpRequestException) { }
            await Task.Delay(50);
        }
        throw new TimeoutException("appliance did not become healthy:\n" + app.Output);
    }

    private static ProcessStartInfo Psi(string dll, string dataDir)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = dataDir };
        psi.ArgumentList.Add(dll);
        psi.Environment["REDOUBT_CONFIG_DIR"] = Path.Combine(dataDir, "no-etc"); // never the machine's /etc/redoubt
        psi.Environment["DOTNET_NOLOGO"] = "1";
        return psi;
    }

    /// <summary>Makes the token, starts the appliance and waits (up to 300 s: the machine is shared) for /healthz.</summary>
    public static async Task<ApplianceUnderTest> StartAsync(string dll, IEnumerable<string> extraArgs, string? existingDataDir = null, TimeSpan? httpTimeout = null)
    {
        // An existing data directory (a store written beforehand) stays when the appliance is disposed.
        var dataDir = existingDataDir ?? Directory.CreateTempSubdirectory("redoubt-load-").FullName;
        var psi = Psi(dll, dataDir);
        foreach (var a in (string[])["token", "create", "--data", dataDir, "--name", "perf-load", "--scopes", "admin", "--days", "1"]) psi.ArgumentList.Add(a);
        using (var cli = Process.Start(psi)!)
        {
            var stdout = await cli.StandardOutput.ReadToEndAsync();
            var stderr = await cli.StandardError.ReadToEndAsync();
            await cli.WaitForExitAsync();
            if (cli.ExitCode != 0) throw new InvalidOperationException($"redoubt token create exited with {cli.ExitCode}: {stdout}{stderr}");
            var app = new ApplianceUnderTest(dll, dataDir, owns: existingDataDir is null, stdout.Trim(), extraArgs, httpTimeout);
            try { await WaitHealthyAsync(app); }
            catch { await app.DisposeAsync(); throw; }
            return app;
        }
    }

    private bool IsApplianceCertificate(X509Certificate cert)
    {
        var file = Path.Combine(DataDir, "tls", "redoubt.crt");
        if (!File.Exists(file)) return false;
        using var expected = X509Certificate2.CreateFromPem(File.ReadAllText(file));
        return expected.RawData.AsSpan().SequenceEqual(cert.GetRawCertData());
    }

    public async Task<JsonElement> GetJsonAsync(string path, CancellationToken ct = default)
    {
        using var r = await Http.GetAsync(path, ct);
        var body = await r.Content.ReadAsStringAsync(ct);
        if (!r.IsSuccessStatusCode) throw new HttpRequestException($"GET {path}: {(int)r.StatusCode} {body}");
        using var doc = JsonDocument.Parse(body);
        return doc.RootElement.Clone();
    }

    /// <summary>
    /// Events in the store, and whether every sink (detection, graph...) has applied everything committed:
    /// the fan-out has handed it over (sinks' lag 0) and each checkpointed store has applied it (its own
    /// queue drained), so CPU measured up to then includes the sinks' work.
    /// </summary>
    public async Task<(long Events, bool SinksCaughtUp)> ProgressAsync(CancellationToken ct = default)
    {
        var s = await GetJsonAsync("/api/v1/stats", ct);
        var committed = s.GetProperty("committedUntil").GetInt64();
        var caughtUp = s.GetProperty("sinks").EnumerateArray().All(k => k.GetProperty("lagBytes").GetInt64() == 0)
            && (!s.TryGetProperty("stores", out var stores) || stores.EnumerateArray().All(k => k.GetProperty("appliedUntil").GetInt64() >= committed));
        return (s.GetProperty("events").GetInt64(), caughtUp);
    }

    /// <summary>CPU seconds (user + system) the appliance process has used so far, from /proc.</summary>
    public double CpuSeconds()
    {
        var stat = File.ReadAllText($"/proc/{_process.Id}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        // fields[0] is field 3 (state); utime and stime are fields 14 and 15.
        return (long.Parse(fields[11], System.Globalization.CultureInfo.InvariantCulture) + long.Parse(fields[12], System.Globalization.CultureInfo.InvariantCulture)) / 100.0;
    }

    /// <summary>Resident set size of the appliance, in bytes.</summary>
    public long RssBytes()
    {
        foreach (var line in File.ReadLines($"/proc/{_process.Id}/status"))
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                return long.Parse(line[6..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture) * 1024;
        return 0;
    }

    /// <summary>Open file descriptors of the appliance (sockets, FASTER segments, pipes), from /proc.</summary>
    public int OpenHandles() => Directory.GetFiles($"/proc/{_process.Id}/fd").Length;

    /// <summary>Threads of the appliance, from /proc.</summary>
    public int Threads() => Directory.GetDirectories($"/proc/{_process.Id}/task").Length;

    private static readonly HashSet<int> HandedOut = [];

    /// <summary>A port free for TCP and UDP on loopback now, never one this run handed out before (the kernel may offer a just-released port again).</summary>
    public static int FreePort()
    {
        for (var attempt = 0; attempt < 200; attempt++)
        {
            using var tcp = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            tcp.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            var port = ((IPEndPoint)tcp.LocalEndPoint!).Port;
            try
            {
                using var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
                udp.Bind(new IPEndPoint(IPAddress.Loopback, port));
                lock (HandedOut) if (HandedOut.Add(port)) return port;
            }
            catch (SocketException) { }
        }
        throw new InvalidOperationException("no free port");
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int sig);

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            kill(_process.Id, 15); // SIGTERM, as systemd stops it
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            try { await _process.WaitForExitAsync(cts.Token); }
            catch (OperationCanceledException) { _process.Kill(entireProcessTree: true); }
        }
        _process.Dispose();
        Http.Dispose();
        if (_ownsDataDir) try { Directory.Delete(DataDir, recursive: true); } catch (IOException) { }
    }
}

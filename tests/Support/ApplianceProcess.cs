using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;

namespace Redoubt.Tests.Support;

/// <summary>How to start the appliance; every port left null is a free one.</summary>
public sealed record ApplianceStart
{
    public string? DataDir { get; init; }
    public int? HttpPort { get; init; }
    public int? SyslogPort { get; init; }
    public int? TlsPort { get; init; }
    public int? RelpPort { get; init; }
    public int? ForwardPort { get; init; }
    public IReadOnlyList<string> ExtraArgs { get; init; } = [];
    /// <summary>Extra environment variables (as systemd passes NOTIFY_SOCKET, WATCHDOG_USEC).</summary>
    public IReadOnlyDictionary<string, string>? Environment { get; init; }
}

/// <summary>
/// The real appliance as a child process (`dotnet redoubt.dll`) on free loopback ports with its own
/// data directory. Output is captured for assertion messages. Kill() is SIGKILL; StopAsync is SIGTERM.
/// <see cref="Http"/> is authenticated the way a real client is: before the start, the real
/// `redoubt token create` makes an admin-scope API token in the data directory, and the client
/// sends it as a Bearer token over HTTPS, trusting exactly the appliance's own self-signed
/// certificate (DATA/tls/redoubt.crt) and nothing else.
/// Every listener gets its own free port (syslog UDP+TCP, syslog over TLS, RELP), so parallel tests never collide.
/// </summary>
public sealed class ApplianceProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly bool _ownsDataDir;

    public string DataDir { get; }
    public int HttpPort { get; }
    public int SyslogPort { get; }
    /// <summary>The forward-protocol listener's port (always on a free port: the default 24224 would collide between tests).</summary>
    public int ForwardPort { get; }
    /// <summary>Syslog over TLS (RFC 5425).</summary>
    public int TlsPort { get; }
    public int RelpPort { get; }
    /// <summary>Carries <see cref="Token"/> (every scope): make every API call of a test through it.</summary>
    public HttpClient Http { get; }
    /// <summary>The admin-scope API token <see cref="Http"/> sends; null for <see cref="Launch"/>ed processes.</summary>
    public string? Token { get; }
    public Uri BaseAddress { get; }
    /// <summary>The self-signed certificate the appliance made on first start (exists once it is healthy).</summary>
    public string CertificateFile => Path.Combine(DataDir, "tls", "redoubt.crt");
    public string Output { get { lock (_output) return _output.ToString(); } }
    public bool HasExited => _process.HasExited;
    /// <summary>The appliance's own process (dotnet runs it in-process): /proc/PID for its memory.</summary>
    public int Pid => _process.Id;
    public int ExitCode => _process.ExitCode;

    private ApplianceProcess(string dataDir, bool ownsDataDir, int httpPort, int syslogPort, string? token, IEnumerable<string> extraArgs,
        int? tlsPort = null, int? relpPort = null, int? forwardPort = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        TlsPort = tlsPort ?? FreePort();
        RelpPort = relpPort ?? FreePort();
        ForwardPort = forwardPort ?? FreePort();
        DataDir = dataDir;
        Token = token;
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
        foreach (var a in (string[])[Repo.ApplianceDll, "--data", dataDir, "--http", $"127.0.0.1:{httpPort}", "--syslog", $"127.0.0.1:{syslogPort}",
                     "--syslog-tls", $"127.0.0.1:{TlsPort}", "--relp", $"127.0.0.1:{RelpPort}", "--forward", $"127.0.0.1:{ForwardPort}",
                     "--Storage:MinFreeBytes=33554432"])
            psi.ArgumentList.Add(a);
        foreach (var a in extraArgs) psi.ArgumentList.Add(a);
        Isolate(psi, dataDir);
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) psi.Environment[name] = value;
        _process = new Process { StartInfo = psi };
        _process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_output) _output.AppendLine(e.Data); };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_output) _output.AppendLine(e.Data); };
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        BaseAddress = new Uri($"https://127.0.0.1:{httpPort}");
        Http = NewClient(bearer: token);
    }

    private static void Isolate(ProcessStartInfo psi, string dataDir)
    {
        psi.Environment["REDOUBT_CONFIG_DIR"] = Path.Combine(dataDir, "no-etc"); // never read the machine's /etc/redoubt
        psi.Environment["DOTNET_NOLOGO"] = "1";
    }

    /// <summary>Starts the appliance (after making its API token with the real CLI) and waits for /healthz.</summary>
    public static async Task<ApplianceProcess> StartAsync(string? dataDir = null, params string[] extraArgs) =>
        await StartAsync(new ApplianceStart { DataDir = dataDir, ExtraArgs = extraArgs });

    /// <summary>Starts the appliance as <paramref name="start"/> says (token first, as above) and waits for /healthz.</summary>
    public static async Task<ApplianceProcess> StartAsync(ApplianceStart start)
    {
        var owns = start.DataDir is null;
        var dataDir = start.DataDir ?? Directory.CreateTempSubdirectory("redoubt-test-").FullName;
        var token = await CreateTokenAsync(dataDir, "integration tests", Redoubt.Api.Access.Scopes.Admin);
        var app = new ApplianceProcess(dataDir, owns, start.HttpPort ?? FreePort(), start.SyslogPort ?? FreePort(), token, start.ExtraArgs,
            start.TlsPort, start.RelpPort, start.ForwardPort, start.Environment);
        try { await app.WaitHealthyAsync(); }
        catch { await app.DisposeAsync(); throw; }
        return app;
    }

    /// <summary>The same data directory and ports, for a restart that senders must find where they left it.</summary>
    public ApplianceStart SameStart(params string[] extraArgs) => new()
    {
        DataDir = DataDir, HttpPort = HttpPort, SyslogPort = SyslogPort, TlsPort = TlsPort, RelpPort = RelpPort, ForwardPort = ForwardPort, ExtraArgs = extraArgs,
    };

    /// <summary>Starts the appliance without waiting and without a token, for tests of start-up failures.</summary>
    public static ApplianceProcess Launch(string dataDir, int httpPort, int syslogPort, params string[] extraArgs) =>
        new(dataDir, false, httpPort, syslogPort, null, extraArgs);

    /// <summary>`redoubt token create` against a (stopped) appliance's data directory; returns the token it printed.</summary>
    public static async Task<string> CreateTokenAsync(string dataDir, string name, params string[] scopes)
    {
        var (code, stdout, stderr) = await RunCliAsync(dataDir, "token", "create", "--data", dataDir, "--name", name, "--scopes", string.Join(',', scopes), "--days", "2");
        if (code != 0) throw new InvalidOperationException($"redoubt token create exited with {code}:\n{stdout}{stderr}");
        return stdout.Trim();
    }

    /// <summary>Runs `redoubt ARGS…` (an admin command) to completion, as an admin on the box would.</summary>
    public static Task<(int ExitCode, string Stdout, string Stderr)> RunCliAsync(string dataDir, params string[] args) =>
        RunCliWithInputAsync(dataDir, null, args);

    /// <summary>As <see cref="RunCliAsync"/>, with <paramref name="stdin"/> typed into the command.</summary>
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunCliWithInputAsync(string dataDir, string? stdin, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = dataDir,
        };
        psi.ArgumentList.Add(Repo.ApplianceDll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        Isolate(psi, dataDir);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (stdin is not null) await p.StandardInput.WriteAsync(stdin);
        p.StandardInput.Close();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await p.WaitForExitAsync(cts.Token);
        return (p.ExitCode, await stdout, await stderr);
    }

    /// <summary>
    /// A client for this appliance that trusts only its own certificate: with a bearer token, or with
    /// a cookie jar for console sessions, or with neither (the anonymous caller of the security tests).
    /// <paramref name="from"/> binds its connections to another loopback address (127.0.0.2…), so a test
    /// can be two clients at two addresses, as the appliance sees them.
    /// </summary>
    public HttpClient NewClient(string? bearer = null, CookieContainer? cookies = null, IPAddress? from = null)
    {
        var handler = new SocketsHttpHandler
        {
            UseCookies = cookies is not null,
            CookieContainer = cookies ?? new CookieContainer(),
            AllowAutoRedirect = false,
            SslOptions = { RemoteCertificateValidationCallback = (_, cert, _, _) => cert is not null && IsApplianceCertificate(cert) },
        };
        if (from is not null)
            handler.ConnectCallback = async (context, ct) =>
            {
                var socket = new Socket(from.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    socket.Bind(new IPEndPoint(from, 0));
                    await socket.ConnectAsync(context.DnsEndPoint, ct);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            };
        var client = new HttpClient(handler) { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        if (bearer is not null) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        return client;
    }

    // Pinning, not "accept anything": the test fails if the appliance serves any other certificate.
    private bool IsApplianceCertificate(X509Certificate cert)
    {
        if (!File.Exists(CertificateFile)) return false;
        using var expected = X509Certificate2.CreateFromPem(File.ReadAllText(CertificateFile));
        return expected.RawData.AsSpan().SequenceEqual(cert.GetRawCertData());
    }

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

    private static readonly HashSet<int> HandedOut = [];

    /// <summary>
    /// A port free for both TCP and UDP on loopback right now, and never handed out before in this
    /// test run: the kernel may give a just-released port again, and one appliance's HTTP and syslog
    /// ports then collide (seen under load: "Address already in use" at start).
    /// </summary>
    public static int FreePort()
    {
        for (var attempt = 0; attempt < 200; attempt++)
        {
            using var tcp = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            tcp.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            var port = ((IPEndPoint)tcp.LocalEndPoint!).Port;
            lock (HandedOut)
                if (!HandedOut.Add(port)) continue;
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

    /// <summary>One listener's entry in /api/v1/stats, by its transport ("syslog-tls", "relp"…) and optionally its name.</summary>
    public async Task<JsonElement> ListenerAsync(string transport, string? name = null) =>
        (await StatsAsync()).GetProperty("listeners").EnumerateArray()
            .Single(l => l.GetProperty("transport").GetString() == transport && (name is null || l.GetProperty("name").GetString() == name));

    /// <summary>How many times a listener rejected something for <paramref name="reason"/> (0 when never).</summary>
    public async Task<long> RejectedAsync(string transport, string reason, string? name = null) =>
        (await ListenerAsync(transport, name)).GetProperty("rejected").TryGetProperty(reason, out var n) ? n.GetInt64() : 0;

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

    /// <summary>
    /// Waits until the graph sink has applied every committed event (the in-memory graph follows the
    /// store on the same task, so it is caught up too); returns the sink's stats entry.
    /// </summary>
    public async Task<JsonElement> WaitGraphCaughtUpAsync(TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        while (true)
        {
            var stats = await StatsAsync();
            var graph = stats.GetProperty("stores").EnumerateArray().Single(s => s.GetProperty("name").GetString() == "graph");
            if (graph.GetProperty("appliedUntil").GetInt64() == stats.GetProperty("committedUntil").GetInt64() && stats.GetProperty("events").GetInt64() > 0)
                return graph;
            if (DateTime.UtcNow > deadline) throw new TimeoutException("graph did not catch up: " + graph + "\n" + Output);
            await Task.Delay(100);
        }
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

    private int _disposed;

    /// <summary>Kills the process if it still runs and removes the data dir it owns. Safe to call twice, also at once.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        if (!_process.HasExited)
        {
            try { _process.Kill(entireProcessTree: true); await _process.WaitForExitAsync(); } catch (InvalidOperationException) { }
        }
        _process.Dispose();
        Http.Dispose();
        if (_ownsDataDir) try { Directory.Delete(DataDir, recursive: true); } catch (IOException) { }
    }
}

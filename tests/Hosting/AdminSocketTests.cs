using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Redoubt.Tests.Support;

namespace Redoubt.Tests.Hosting;

/// <summary>
/// The admin socket of the real appliance process, used by the real CLI: status, tokens made and
/// revoked while it runs, its refusals, the peer-credential check, and sd_notify's watchdog
/// keep-alive seen from a socket standing in for systemd's.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class AdminSocketTests
{
    [Fact]
    public async Task Status_and_tokens_go_through_the_admin_socket_of_the_running_appliance()
    {
        await using var app = await ApplianceProcess.StartAsync();
        var socket = Path.Combine(app.DataDir, "admin.sock");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite, File.GetUnixFileMode(socket));

        var (code, stdout, stderr) = await ApplianceProcess.RunCliAsync(app.DataDir, "status", "--data", app.DataDir);
        Assert.True(code == 0, stderr);
        Assert.Contains("running (pid ", stdout);
        Assert.Contains("event log   ok", stdout);
        Assert.Contains($"listener    syslog syslog-tcp 127.0.0.1:{app.SyslogPort}: listening", stdout);
        (code, stdout, _) = await ApplianceProcess.RunCliAsync(app.DataDir, "status", "--json", "--data", app.DataDir);
        Assert.Equal(0, code);
        var status = JsonDocument.Parse(stdout).RootElement;
        Assert.True(status.GetProperty("healthy").GetBoolean());
        Assert.Equal(app.DataDir, status.GetProperty("dataDir").GetString());

        // A scoped token made beside the running appliance works at once; revoked, it fails at once.
        (code, stdout, stderr) = await ApplianceProcess.RunCliAsync(app.DataDir, "token", "create", "--name", "soc pull", "--scopes", "events:read", "--data", app.DataDir);
        Assert.True(code == 0, stderr);
        var token = stdout.Trim();
        var id = token.Split('_')[1];
        using var soc = app.NewClient(bearer: token);
        using (var r = await soc.GetAsync("/api/v1/events")) Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        using (var r = await soc.GetAsync("/api/v1/stats")) Assert.Equal(HttpStatusCode.Forbidden, r.StatusCode);
        (code, stdout, _) = await ApplianceProcess.RunCliAsync(app.DataDir, "token", "revoke", id, "--data", app.DataDir);
        Assert.Equal(0, code);
        Assert.Contains($"token {id} 'soc pull' revoked", stdout);
        using (var r = await soc.GetAsync("/api/v1/events")) Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);

        // The actor recorded is the OS user the kernel reports for the socket's peer.
        var audit = (await app.GetJsonAsync("/api/v1/audit")).GetProperty("entries").EnumerateArray()
            .Where(e => e.GetProperty("target").GetString() == "token:" + id).ToList();
        Assert.Contains(audit, e => e.GetProperty("action").GetString() == "token.create" && e.GetProperty("actor").GetString() == "cli:root");
        Assert.Contains("admin socket: token.create by cli:root", app.Output);

        // A refusal inside the appliance comes back with its code and exit status.
        (code, _, stderr) = await ApplianceProcess.RunCliAsync(app.DataDir, "token", "revoke", "0123456789ab", "--data", app.DataDir);
        Assert.Equal(1, code);
        Assert.Contains("no token with id '0123456789ab'", stderr);

        Assert.Equal(0, await app.StopAsync());
        Assert.False(File.Exists(socket), "the socket file is removed at stop");
        (code, _, stderr) = await ApplianceProcess.RunCliAsync(app.DataDir, "status", "--data", app.DataDir);
        Assert.Equal(3, code);
        Assert.Contains("the appliance is not running", stderr);
    }

    [Fact]
    public async Task A_malformed_request_and_an_unknown_command_get_stable_errors_on_the_same_connection()
    {
        await using var app = await ApplianceProcess.StartAsync();
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(Path.Combine(app.DataDir, "admin.sock")));
        await using var stream = new NetworkStream(socket);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        async Task<JsonElement> Ask(string line)
        {
            await stream.WriteAsync(Encoding.UTF8.GetBytes(line + "\n"));
            return JsonDocument.Parse((await reader.ReadLineAsync())!).RootElement;
        }

        var bad = await Ask("status please");
        Assert.False(bad.GetProperty("ok").GetBoolean());
        Assert.Equal("bad_request", bad.GetProperty("error").GetString());
        Assert.Equal(2, bad.GetProperty("exitCode").GetInt32());
        var unknown = await Ask("{\"command\":\"graph.drop\"}");
        Assert.Equal("unknown_command", unknown.GetProperty("error").GetString());
        Assert.Contains("token.create", unknown.GetProperty("message").GetString());
        var status = await Ask("{\"command\":\"status\",\"args\":{}}");
        Assert.True(status.GetProperty("ok").GetBoolean());
        Assert.True(status.GetProperty("result").GetProperty("pid").GetInt32() > 0);
    }

    [Fact]
    public async Task Another_user_is_refused_by_peer_credentials_even_when_file_modes_let_it_connect()
    {
        if (Environment.UserName != "root" || !File.Exists("/usr/bin/setpriv"))
            Assert.Fail("this test runs as root with util-linux setpriv (as CI does): it connects as uid 65534");
        await using var app = await ApplianceProcess.StartAsync();
        var socket = Path.Combine(app.DataDir, "admin.sock");
        // Open the door wide on purpose: only the peer-credential check is left to refuse.
        File.SetUnixFileMode(app.DataDir, (UnixFileMode)0b111_101_101);
        File.SetUnixFileMode(socket, (UnixFileMode)0b110_110_110);

        // The real CLI, as uid 65534 (nobody).
        var psi = new ProcessStartInfo("/usr/bin/setpriv") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in (string[])["--reuid=65534", "--regid=65534", "--clear-groups", "dotnet", Repo.ApplianceDll, "status", "--data", app.DataDir])
            psi.ArgumentList.Add(a);
        psi.Environment["REDOUBT_CONFIG_DIR"] = Path.Combine(app.DataDir, "no-etc");
        psi.Environment["DOTNET_NOLOGO"] = "1";
        psi.Environment["HOME"] = "/nonexistent";
        using var p = Process.Start(psi)!;
        var output = await p.StandardOutput.ReadToEndAsync();
        var error = await p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        Assert.True(p.ExitCode == 1, $"exit {p.ExitCode}: {output}{error}");
        Assert.Contains("uid 65534 may not use the admin socket (root and the service user only)", error);
        Assert.Equal("", output);
        Assert.Contains("refused uid 65534", app.Output);
    }

    [Fact]
    public async Task Under_systemd_the_appliance_reports_ready_and_pings_the_watchdog_it_was_given()
    {
        var dir = Directory.CreateTempSubdirectory("redoubt-sdnotify-").FullName;
        try
        {
            var path = Path.Combine(dir, "notify.sock");
            using var systemd = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
            systemd.Bind(new UnixDomainSocketEndPoint(path));
            systemd.ReceiveTimeout = 60_000;
            await using var app = await ApplianceProcess.StartAsync(new ApplianceStart
            {
                Environment = new Dictionary<string, string>
                {
                    ["NOTIFY_SOCKET"] = path,
                    ["WATCHDOG_USEC"] = "2000000", // 2 s: a ping every second
                },
            });
            var buffer = new byte[256];
            var messages = new List<string>();
            while (messages.Count(m => m == "WATCHDOG=1") < 2)
                messages.Add(Encoding.UTF8.GetString(buffer, 0, systemd.Receive(buffer)));
            Assert.Contains("READY=1", messages); // also where the unit's ProtectProc hides systemd from the hosting library
            Assert.Contains("systemd watchdog: pinging every 1 s", app.Output);
            var system = await app.GetJsonAsync("/api/v1/system");
            Assert.Equal(1.0, system.GetProperty("watchdog").GetProperty("intervalSeconds").GetDouble());
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}

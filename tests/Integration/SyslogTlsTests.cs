using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Redoubt.Tests.Support;

namespace Redoubt.Tests.Integration;

/// <summary>
/// Syslog over TLS (RFC 5425) with rsyslog's own TLS drivers as the sender: GnuTLS (gtls, which
/// negotiates TLS 1.2 in anon mode) and OpenSSL (ossl, TLS 1.3), anonymous and certificate-checked,
/// and mutual TLS. The lines are real: the loghub OpenSSH log, tailed by rsyslog's imfile.
/// </summary>
public sealed class SyslogTlsTests
{
    private static List<string> RealLines(int count) => Loghub.Load("OpenSSH").Take(count).Select(l => l.Raw).ToList();

    private static string OmfwdTls(int port, string driver, string authMode, string extra = "") => $"""
        action(type="omfwd" target="127.0.0.1" port="{port}" protocol="tcp"
               template="RSYSLOG_SyslogProtocol23Format" TCP_Framing="octet-counted"
               StreamDriver="{driver}" StreamDriverMode="1" StreamDriverAuthMode="{authMode}" {extra}
               action.resumeRetryCount="-1" action.resumeInterval="1" queue.type="LinkedList")
        """;

    /// <summary>Waits until every line is stored once as a syslog-tls event from rsyslog; returns those events.</summary>
    private static async Task<List<JsonElement>> WaitForLinesAsync(ApplianceProcess app, Rsyslog sender, IReadOnlyList<string> lines)
    {
        var deadline = DateTime.UtcNow.AddSeconds(90);
        List<JsonElement> stored = [];
        while (DateTime.UtcNow < deadline)
        {
            stored = (await app.AllEventsAsync()).Where(e => e.GetProperty("transport").GetString() == "syslog-tls").ToList();
            if (stored.Count >= lines.Count) break;
            await Task.Delay(200);
        }
        var got = stored.Select(e => e.GetProperty("message").GetString()).Order(StringComparer.Ordinal).ToList();
        var expected = lines.Order(StringComparer.Ordinal).ToList();
        Assert.True(expected.SequenceEqual(got),
            $"expected {expected.Count} lines, stored {got.Count}; first missing: {expected.Except(got).FirstOrDefault()}\n" +
            $"rsyslog:\n{sender.Output}\nappliance:\n{app.Output}");
        Assert.All(stored, e =>
        {
            Assert.Equal("sender-host", e.GetProperty("host").GetString());
            Assert.Equal("fileapp", e.GetProperty("app").GetString());
            Assert.Equal("syslog-tls", e.GetProperty("source").GetString());
            Assert.Equal("rfc5424", e.GetProperty("format").GetString());
        });
        return stored;
    }

    [Theory]
    [InlineData("gtls")]
    [InlineData("ossl")]
    public async Task Rsyslog_in_anon_mode_delivers_every_line_to_the_generated_self_signed_certificate(string driver)
    {
        await using var app = await ApplianceProcess.StartAsync();
        var lines = RealLines(300);
        await using var rsyslog = await Rsyslog.StartAsync(OmfwdTls(app.TlsPort, driver, "anon"));
        await rsyslog.AppendLinesAsync(lines);
        await WaitForLinesAsync(app, rsyslog, lines);

        var listener = await app.ListenerAsync("syslog-tls");
        Assert.Equal("listening", listener.GetProperty("status").GetString());
        Assert.Contains("self-signed", listener.GetProperty("tls").GetString());
        Assert.Equal(lines.Count, listener.GetProperty("received").GetInt64());
    }

    [Fact]
    public async Task Rsyslog_pinning_the_self_signed_certificate_by_its_SHA256_fingerprint_delivers()
    {
        await using var app = await ApplianceProcess.StartAsync();
        using var cert = X509Certificate2.CreateFromPem(File.ReadAllText(app.CertificateFile));
        var pin = "SHA256:" + string.Join(':', cert.GetCertHash(System.Security.Cryptography.HashAlgorithmName.SHA256).Select(b => b.ToString("X2")));
        var lines = RealLines(50);
        await using var pinned = await Rsyslog.StartAsync(OmfwdTls(app.TlsPort, "gtls", "x509/fingerprint", $"""StreamDriverPermittedPeers="{pin}" """));
        await pinned.AppendLinesAsync(lines);
        await WaitForLinesAsync(app, pinned, lines);
    }

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public async Task The_appliance_certificate_made_on_first_start_is_presented_and_presented_again_after_a_restart()
    {
        var dir = Directory.CreateTempSubdirectory("redoubt-tls-restart-").FullName;
        try
        {
            string first;
            await using (var app = await ApplianceProcess.StartAsync(dir))
            {
                // The same certificate as the console's (DATA/tls/redoubt.crt): one fingerprint to pin per appliance.
                var onDisk = X509Certificate2.CreateFromPem(File.ReadAllText(app.CertificateFile));
                await using var client = await TlsSender.ConnectAsync(app.TlsPort);
                Assert.Equal(onDisk.Thumbprint, client.ServerCertificate.Thumbprint);
                var san = client.ServerCertificate.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single();
                Assert.Contains("localhost", san.EnumerateDnsNames());
                Assert.Contains(System.Net.IPAddress.Loopback, san.EnumerateIPAddresses());
                first = client.ServerCertificate.Thumbprint;
                Assert.Equal(0, await app.StopAsync());
            }
            await using (var again = await ApplianceProcess.StartAsync(dir))
            {
                await using var client = await TlsSender.ConnectAsync(again.TlsPort);
                Assert.Equal(first, client.ServerCertificate.Thumbprint);
                Assert.DoesNotContain("made on this start", (await again.ListenerAsync("syslog-tls")).GetProperty("tls").GetString());
            }
            // The key is readable by the service user only.
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(dir, "tls", "redoubt.key")));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public async Task TLS_1_2_and_1_3_are_both_accepted_and_plain_text_on_the_TLS_port_is_refused_and_counted()
    {
        await using var app = await ApplianceProcess.StartAsync();
        foreach (var protocol in new[] { SslProtocols.Tls12, SslProtocols.Tls13 })
        {
            await using var client = await TlsSender.ConnectAsync(app.TlsPort, protocols: protocol);
            Assert.Equal(protocol, client.Protocol);
            await client.SendAndCloseAsync(["<13>1 2026-12-03T10:00:00Z host app - - - over " + protocol]);
        }
        await Senders.SendTcpLinesAsync(app.TlsPort, ["<13>Dec  1 10:00:00 host app: not encrypted"]);
        await WaitUntilAsync(async () => await app.RejectedAsync("syslog-tls", "tls-handshake-failed") == 1, app, "");

        await app.WaitForEventCountAsync(2);
        Assert.Equal(["over Tls12", "over Tls13"], (await app.AllEventsAsync()).Select(e => e.GetProperty("message").GetString()).Order(StringComparer.Ordinal));
        await WaitUntilAsync(() => Task.FromResult(app.Output.Contains("rejected (tls-handshake-failed)", StringComparison.Ordinal)), app, "");
    }

    [Theory]
    [InlineData("gtls")]
    [InlineData("ossl")]
    public async Task Rsyslog_checking_the_name_accepts_a_configured_certificate(string driver)
    {
        using var pki = TestPki.Create();
        await using var app = await ApplianceProcess.StartAsync(null,
            $"--SyslogTls:CertificateFile={pki.ServerCertFile}", $"--SyslogTls:KeyFile={pki.ServerKeyFile}");
        var lines = RealLines(50);
        await using var rsyslog = await Rsyslog.StartAsync(OmfwdTls(app.TlsPort, driver, "x509/name",
            $"""StreamDriverPermittedPeers="receiver.test" StreamDriver.CAFile="{pki.CaFile}" """));
        await rsyslog.AppendLinesAsync(lines);
        await WaitForLinesAsync(app, rsyslog, lines);
        var description = (await app.ListenerAsync("syslog-tls")).GetProperty("tls").GetString();
        Assert.Contains($"own certificate {pki.ServerCertFile}: CN=receiver.test", description);
    }

    [Fact]
    public async Task Mutual_TLS_takes_rsyslog_with_a_client_certificate_and_refuses_rsyslog_without_one()
    {
        using var pki = TestPki.Create();
        await using var app = await ApplianceProcess.StartAsync(null,
            $"--SyslogTls:CertificateFile={pki.ServerCertFile}", $"--SyslogTls:KeyFile={pki.ServerKeyFile}",
            $"--SyslogTls:ClientCaFile={pki.CaFile}");

        // 1. rsyslog without a certificate (gtls anon) is refused, counted, and the reason is logged.
        await using (var anonymous = await Rsyslog.StartAsync(OmfwdTls(app.TlsPort, "gtls", "anon")))
        {
            await anonymous.AppendLinesAsync(["this line must never be stored"]);
            await WaitUntilAsync(async () => await app.RejectedAsync("syslog-tls", "client-certificate-missing") >= 1, app, anonymous.Output);
        }
        await WaitUntilAsync(() => Task.FromResult(app.Output.Contains("rejected (client-certificate-missing)", StringComparison.Ordinal)
                                                   && app.Output.Contains("presented no certificate", StringComparison.Ordinal)), app, "");

        // 2. rsyslog with a certificate from the configured CA (ossl, x509/certvalid) delivers.
        var lines = RealLines(100);
        await using var mutual = await Rsyslog.StartAsync(OmfwdTls(app.TlsPort, "ossl", "x509/certvalid",
            $"""StreamDriver.CAFile="{pki.CaFile}" StreamDriver.CertFile="{pki.ClientCertFile}" StreamDriver.KeyFile="{pki.ClientKeyFile}" """));
        await mutual.AppendLinesAsync(lines);
        var stored = await WaitForLinesAsync(app, mutual, lines);
        Assert.DoesNotContain(stored, e => e.GetProperty("message").GetString() == "this line must never be stored");

        // 3. A certificate from another CA is refused as untrusted.
        var before = await app.RejectedAsync("syslog-tls", "client-certificate-untrusted");
        var rogue = TestPki.LoadWithKey(pki.RogueClientCertFile, pki.RogueClientKeyFile);
        await AssertRefusedAsync(app.TlsPort, rogue);
        await WaitUntilAsync(async () => await app.RejectedAsync("syslog-tls", "client-certificate-untrusted") > before, app, "");
        // The counter moves before the console logger has written the line (its queue is asynchronous).
        await WaitUntilAsync(() => Task.FromResult(app.Output.Contains("CN=Rogue CA", StringComparison.Ordinal)), app, "");
        Assert.Equal(lines.Count, (await app.ListenerAsync("syslog-tls")).GetProperty("received").GetInt64());
        Assert.Contains("client certificates required", (await app.ListenerAsync("syslog-tls")).GetProperty("tls").GetString());
    }

    [Fact]
    public async Task With_optional_client_certificates_a_client_without_one_is_served_and_a_wrong_one_refused()
    {
        using var pki = TestPki.Create();
        await using var app = await ApplianceProcess.StartAsync(null,
            $"--SyslogTls:ClientCaFile={pki.CaFile}", "--SyslogTls:RequireClientCertificate=false");
        await using (var anonymous = await TlsSender.ConnectAsync(app.TlsPort))
            await anonymous.SendAndCloseAsync(["<13>1 2026-12-03T10:00:00Z host app - - - anonymous"]);
        await using (var known = await TlsSender.ConnectAsync(app.TlsPort, TestPki.LoadWithKey(pki.ClientCertFile, pki.ClientKeyFile)))
            await known.SendAndCloseAsync(["<13>1 2026-12-03T10:00:00Z host app - - - with a certificate"]);
        await AssertRefusedAsync(app.TlsPort, TestPki.LoadWithKey(pki.RogueClientCertFile, pki.RogueClientKeyFile));

        await app.WaitForEventCountAsync(2);
        Assert.Equal(["anonymous", "with a certificate"],
            (await app.AllEventsAsync()).Select(e => e.GetProperty("message").GetString()).Order(StringComparer.Ordinal));
        await WaitUntilAsync(async () => await app.RejectedAsync("syslog-tls", "client-certificate-untrusted") == 1, app, "");
    }

    private static async Task AssertRefusedAsync(int port, X509Certificate2 certificate)
    {
        try
        {
            await using var client = await TlsSender.ConnectAsync(port, certificate);
            Assert.True(await client.IsClosedByServerAsync(), "the server kept a session whose client certificate it should refuse");
        }
        catch (Exception e) when (e is AuthenticationException or IOException) { /* refused during the handshake (TLS 1.2) */ }
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, ApplianceProcess app, string senderOutput)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (await condition()) return;
            await Task.Delay(200);
        }
        throw new TimeoutException($"condition not met\nsender:\n{senderOutput}\nappliance:\n{app.Output}");
    }
}

using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Redoubt.Hosting;
using Redoubt.Tests.Support;

namespace Redoubt.Tests.Hosting;

/// <summary>
/// The console listener's HTTPS now hands each handshake a certificate chain built beside the start
/// (<see cref="ConsoleHttps"/>) instead of Kestrel's own options: the certificate rule Kestrel applied
/// still holds, and ALPN still offers HTTP/2 and HTTP/1.1.
/// </summary>
public sealed class ConsoleHttpsTests
{
    private static X509Certificate2 Certificate(params string[] ekus)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=test", key, HashAlgorithmName.SHA256);
        if (ekus.Length > 0)
        {
            var oids = new OidCollection();
            foreach (var e in ekus) oids.Add(new Oid(e));
            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(oids, critical: false));
        }
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
    }

    [Fact]
    public void A_certificate_serves_unless_its_extended_key_usage_leaves_out_server_authentication()
    {
        using var none = Certificate();
        using var server = Certificate("1.3.6.1.5.5.7.3.1");
        using var both = Certificate("1.3.6.1.5.5.7.3.2", "1.3.6.1.5.5.7.3.1");
        using var clientOnly = Certificate("1.3.6.1.5.5.7.3.2");
        Assert.True(ConsoleHttps.AllowedForServerAuth(none));
        Assert.True(ConsoleHttps.AllowedForServerAuth(server));
        Assert.True(ConsoleHttps.AllowedForServerAuth(both));
        Assert.False(ConsoleHttps.AllowedForServerAuth(clientOnly));
        Assert.Throws<Redoubt.Configuration.StartupException>(() => ConsoleHttps.Options(clientOnly));
    }

    [Fact]
    public async Task The_console_answers_over_HTTP_2_and_HTTP_1_1_with_its_own_certificate()
    {
        await using var app = await ApplianceProcess.StartAsync();
        foreach (var version in new[] { HttpVersion.Version20, HttpVersion.Version11 })
        {
            using var client = app.NewClient(app.Token);
            client.DefaultRequestVersion = version;
            client.DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact;
            using var r = await client.GetAsync("/api/v1/events?limit=1");
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
            Assert.Equal(version, r.Version);
        }
    }
}

using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Time.Testing;
using Redoubt.Configuration;
using Redoubt.Hosting;

namespace Redoubt.Tests.Hosting;

[System.Runtime.Versioning.SupportedOSPlatform("linux")] // the appliance runs on Linux; file modes are POSIX
public sealed class TlsCertificateTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("redoubt-tls-").FullName;
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UtcNow);
    private static readonly IPEndPoint Bind = IPEndPoint.Parse("192.0.2.7:8443");

    [Fact]
    public void First_start_makes_a_self_signed_server_certificate_with_a_private_key_file()
    {
        var loaded = TlsCertificate.LoadOrCreate(new TlsOptions(), _dir, Bind, _clock);
        Assert.True(loaded.Created);
        Assert.True(loaded.SelfSigned);
        Assert.True(loaded.Certificate.HasPrivateKey);
        var key = Path.Combine(_dir, "tls", "redoubt.key");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(key));

        var san = loaded.Certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single();
        Assert.Contains("localhost", san.EnumerateDnsNames());
        var ips = san.EnumerateIPAddresses().ToList();
        Assert.Contains(IPAddress.Loopback, ips);
        Assert.Contains(Bind.Address, ips);
        var eku = loaded.Certificate.Extensions.OfType<X509EnhancedKeyUsageExtension>().Single();
        Assert.Contains(eku.EnhancedKeyUsages.Cast<System.Security.Cryptography.Oid>(), o => o.Value == "1.3.6.1.5.5.7.3.1");
        Assert.InRange((loaded.Certificate.NotAfter - loaded.Certificate.NotBefore).TotalDays, 390, 398);
    }

    [Fact]
    public void A_restart_serves_the_same_certificate_until_it_nears_expiry()
    {
        var first = TlsCertificate.LoadOrCreate(new TlsOptions(), _dir, Bind, _clock);
        var second = TlsCertificate.LoadOrCreate(new TlsOptions(), _dir, Bind, _clock);
        Assert.False(second.Created);
        Assert.Equal(first.Certificate.Thumbprint, second.Certificate.Thumbprint);

        _clock.Advance(TimeSpan.FromDays(370)); // under 30 days left
        var renewed = TlsCertificate.LoadOrCreate(new TlsOptions(), _dir, Bind, _clock);
        Assert.True(renewed.Created);
        Assert.NotEqual(first.Certificate.Thumbprint, renewed.Certificate.Thumbprint);
    }

    [Fact]
    public void An_installed_certificate_is_used_as_given()
    {
        var made = TlsCertificate.LoadOrCreate(new TlsOptions(), _dir, Bind, _clock);
        var options = new TlsOptions { CertificateFile = Path.Combine(_dir, "tls", "redoubt.crt"), KeyFile = Path.Combine(_dir, "tls", "redoubt.key") };
        var installed = TlsCertificate.LoadOrCreate(options, Path.Combine(_dir, "elsewhere"), Bind, _clock);
        Assert.False(installed.SelfSigned);
        Assert.Equal(made.Certificate.Thumbprint, installed.Certificate.Thumbprint);
        Assert.False(Directory.Exists(Path.Combine(_dir, "elsewhere", "tls")));
    }

    [Fact]
    public void A_missing_or_half_configured_certificate_stops_start_up_naming_the_file()
    {
        var missing = new TlsOptions { CertificateFile = Path.Combine(_dir, "nope.crt"), KeyFile = Path.Combine(_dir, "nope.key") };
        Assert.Contains("nope.crt", Assert.Throws<StartupException>(() => TlsCertificate.LoadOrCreate(missing, _dir, Bind, _clock)).Message);
        Assert.Contains("Tls:KeyFile", Assert.Throws<StartupException>(() =>
            TlsCertificate.LoadOrCreate(new TlsOptions { CertificateFile = "/x.crt" }, _dir, Bind, _clock)).Message);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}

using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Redoubt.Configuration;

namespace Redoubt.Hosting;

/// <summary>
/// The console and API certificate: the admin's own (PEM files named by Tls:CertificateFile and
/// Tls:KeyFile), or else a self-signed one made on first start and kept in DATA/tls/ so its
/// fingerprint stays the same across restarts (clients pin it, browsers remember the exception).
/// The self-signed one is renewed when it has under 30 days left.
/// </summary>
public static class TlsCertificate
{
    public const string CertificateFileName = "redoubt.crt";
    public const string KeyFileName = "redoubt.key";
    private static readonly TimeSpan Validity = TimeSpan.FromDays(397); // what browsers accept for a server certificate
    private static readonly TimeSpan RenewBefore = TimeSpan.FromDays(30);

    public sealed record Loaded(X509Certificate2 Certificate, string Source, bool SelfSigned, bool Created);

    public static Loaded LoadOrCreate(TlsOptions options, string dataDir, IPEndPoint bind, TimeProvider clock)
    {
        if (options.CertificateFile is { Length: > 0 } certFile)
        {
            if (options.KeyFile is not { Length: > 0 } keyFile)
                throw new StartupException("Tls:CertificateFile is set but Tls:KeyFile is not: name the PEM private key too");
            return new(Load(certFile, keyFile), certFile, SelfSigned: false, Created: false);
        }
        if (options.KeyFile is { Length: > 0 })
            throw new StartupException("Tls:KeyFile is set but Tls:CertificateFile is not: name the PEM certificate too");

        var dir = Path.Combine(dataDir, "tls");
        var crt = Path.Combine(dir, CertificateFileName);
        var key = Path.Combine(dir, KeyFileName);
        if (File.Exists(crt) && File.Exists(key))
        {
            var existing = Load(crt, key);
            if (existing.NotAfter.ToUniversalTime() - clock.GetUtcNow().UtcDateTime > RenewBefore) return new(existing, crt, true, false);
            existing.Dispose();
        }
        CreateSelfSigned(dir, crt, key, bind, clock.GetUtcNow());
        return new(Load(crt, key), crt, true, true);
    }

    /// <summary>SHA-256 fingerprint as AA:BB:… (what a person compares with the browser's certificate viewer).</summary>
    public static string Fingerprint(X509Certificate2 cert) =>
        string.Join(':', cert.GetCertHash(HashAlgorithmName.SHA256).Select(b => b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture)));

    private static X509Certificate2 Load(string certFile, string keyFile)
    {
        try
        {
            return X509Certificate2.CreateFromPemFile(certFile, keyFile);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException or ArgumentException)
        {
            throw new StartupException($"cannot load the TLS certificate {certFile} with key {keyFile}: {e.Message}", e);
        }
    }

    private static void CreateSelfSigned(string dir, string crt, string key, IPEndPoint bind, DateTimeOffset now)
    {
        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={Dns.GetHostName()}, O=Redoubt appliance (self-signed)", ecdsa, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddDnsName(Dns.GetHostName());
        names.AddIpAddress(IPAddress.Loopback);
        names.AddIpAddress(IPAddress.IPv6Loopback);
        if (!bind.Address.Equals(IPAddress.Any) && !bind.Address.Equals(IPAddress.IPv6Any) && !IPAddress.IsLoopback(bind.Address))
            names.AddIpAddress(bind.Address);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false)); // server auth
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        using var cert = request.CreateSelfSigned(now.AddMinutes(-5), now + Validity);

        try
        {
            Directory.CreateDirectory(dir);
            // The key first, created private: it never exists on disk with wider permissions.
            WritePrivate(key + ".tmp", ecdsa.ExportPkcs8PrivateKeyPem());
            File.WriteAllText(crt + ".tmp", cert.ExportCertificatePem() + "\n");
            File.Move(key + ".tmp", key, overwrite: true);
            File.Move(crt + ".tmp", crt, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new StartupException($"cannot write the self-signed TLS certificate to {dir}: {e.Message}", e);
        }
    }

    private static void WritePrivate(string path, string text)
    {
        File.Delete(path); // the mode below applies only to a file this call creates
        var mode = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) mode.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using var f = new FileStream(path, mode);
        using var w = new StreamWriter(f);
        w.Write(text);
        w.Write('\n');
    }
}

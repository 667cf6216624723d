using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Redoubt.Configuration;

namespace Redoubt.Ingest.Tls;

/// <summary>
/// The certificate a TLS listener presents: the admin's PEM files when configured, otherwise a
/// self-signed one generated on first start and kept in the data directory (tls/server.crt and
/// tls/server.key), so senders that pin it keep working across restarts.
/// </summary>
public static class ServerCertificate
{
    public const string GeneratedCertFile = "server.crt";
    public const string GeneratedKeyFile = "server.key";

    /// <summary>Loads the configured leaf and its intermediates from PEM; any problem is a start-up error naming the file.</summary>
    public static (X509Certificate2 Leaf, X509Certificate2Collection Intermediates) Load(string certFile, string keyFile, string listener)
    {
        foreach (var (file, what) in new[] { (certFile, "CertificateFile"), (keyFile, "KeyFile") })
            if (!File.Exists(file)) throw new StartupException($"{listener}: {what} {file} does not exist");
        try
        {
            var leaf = X509Certificate2.CreateFromPemFile(certFile, keyFile);
            var all = new X509Certificate2Collection();
            all.ImportFromPemFile(certFile);
            var intermediates = new X509Certificate2Collection();
            foreach (var c in all)
                if (!c.RawDataMemory.Span.SequenceEqual(leaf.RawDataMemory.Span)) intermediates.Add(c);
            return (leaf, intermediates);
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException or IOException or UnauthorizedAccessException)
        {
            throw new StartupException($"{listener}: cannot use certificate {certFile} with key {keyFile}: {e.Message}", e);
        }
    }

    /// <summary>
    /// The self-signed certificate in <paramref name="directory"/>, made on first use (or when the old
    /// one has expired). ECDSA P-256: every TLS 1.2/1.3 client here negotiates it, and it is made in
    /// milliseconds where RSA keys take a second. Configure a certificate for devices that need RSA.
    /// </summary>
    public static (X509Certificate2 Certificate, bool Generated) LoadOrCreateSelfSigned(string directory, TimeProvider clock)
    {
        var certPath = Path.Combine(directory, GeneratedCertFile);
        var keyPath = Path.Combine(directory, GeneratedKeyFile);
        if (File.Exists(certPath) && File.Exists(keyPath))
        {
            X509Certificate2 existing;
            try { existing = X509Certificate2.CreateFromPemFile(certPath, keyPath); }
            catch (CryptographicException e)
            {
                throw new StartupException($"the generated TLS certificate {certPath} cannot be read ({e.Message}); remove {directory} to make a new one", e);
            }
            if (existing.NotAfter.ToUniversalTime() > clock.GetUtcNow().UtcDateTime) return (existing, false);
            existing.Dispose();
        }

        Directory.CreateDirectory(directory);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var name = Dns.GetHostName();
        var request = new CertificateRequest(new X500DistinguishedName($"CN={Escape(name)}, O=Redoubt appliance"), key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName(name);
        san.AddDnsName("localhost");
        san.AddIpAddress(IPAddress.Loopback);
        san.AddIpAddress(IPAddress.IPv6Loopback);
        request.CertificateExtensions.Add(san.Build());
        // CA:TRUE like `openssl req -x509`: a sender can then use this very file as its CA file to pin it.
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(
            X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyCertSign, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var now = clock.GetUtcNow();
        using var made = request.CreateSelfSigned(now.AddMinutes(-5), now.AddYears(10));

        // Key first, owner-only, and each file renamed into place whole: a crash never leaves half a file.
        WriteAtomically(keyPath, key.ExportPkcs8PrivateKeyPem(), UnixFileMode.UserRead | UnixFileMode.UserWrite);
        WriteAtomically(certPath, made.ExportCertificatePem(),
            UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        return (X509Certificate2.CreateFromPemFile(certPath, keyPath), true);
    }

    public static string Fingerprint(X509Certificate2 certificate) =>
        Convert.ToHexString(certificate.GetCertHash(HashAlgorithmName.SHA256)).Chunk(2).Select(c => new string(c)).Aggregate((a, b) => a + ":" + b);

    private static string Escape(string s) => s.Replace("\\", "\\\\").Replace(",", "\\,").Replace("=", "\\=").Replace("+", "\\+");

    private static void WriteAtomically(string path, string text, UnixFileMode mode)
    {
        var temp = path + ".tmp";
        File.Delete(temp); // a leftover keeps its old mode; the new file must be created with ours
        var fileOptions = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) fileOptions.UnixCreateMode = mode;
        using (var f = new FileStream(temp, fileOptions))
        {
            using var w = new StreamWriter(f);
            w.Write(text);
            w.Flush();
            f.Flush(flushToDisk: true);
        }
        File.Move(temp, path, overwrite: true);
    }
}

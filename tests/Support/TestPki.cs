using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Redoubt.Tests.Support;

/// <summary>
/// A throw-away PKI written as PEM files, made with .NET's CertificateRequest (no openssl needed):
/// a test CA, a server certificate for receiver.test / localhost / 127.0.0.1, a client certificate
/// from the same CA, and a client certificate from an unrelated CA that the appliance must refuse.
/// </summary>
public sealed class TestPki : IDisposable
{
    public string Dir { get; }
    public string CaFile => Path.Combine(Dir, "ca.pem");
    public string ServerCertFile => Path.Combine(Dir, "server.pem");
    public string ServerKeyFile => Path.Combine(Dir, "server.key");
    public string ClientCertFile => Path.Combine(Dir, "client.pem");
    public string ClientKeyFile => Path.Combine(Dir, "client.key");
    public string RogueClientCertFile => Path.Combine(Dir, "rogue-client.pem");
    public string RogueClientKeyFile => Path.Combine(Dir, "rogue-client.key");

    private TestPki(string dir) => Dir = dir;

    public static TestPki Create()
    {
        var pki = new TestPki(Directory.CreateTempSubdirectory("redoubt-pki-").FullName);
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var ca = MakeCa("CN=Redoubt Test CA", caKey);
        File.WriteAllText(pki.CaFile, ca.ExportCertificatePem());

        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("receiver.test");
        san.AddDnsName("localhost");
        san.AddIpAddress(IPAddress.Loopback);
        Issue(ca, "CN=receiver.test", san, ["1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"], pki.ServerCertFile, pki.ServerKeyFile);

        var clientSan = new SubjectAlternativeNameBuilder();
        clientSan.AddDnsName("sender.test");
        Issue(ca, "CN=sender.test", clientSan, ["1.3.6.1.5.5.7.3.2"], pki.ClientCertFile, pki.ClientKeyFile);

        using var rogueKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var rogue = MakeCa("CN=Rogue CA", rogueKey);
        var rogueSan = new SubjectAlternativeNameBuilder();
        rogueSan.AddDnsName("sender.test");
        Issue(rogue, "CN=sender.test", rogueSan, ["1.3.6.1.5.5.7.3.2"], pki.RogueClientCertFile, pki.RogueClientKeyFile);
        return pki;
    }

    /// <summary>A client certificate with its key, as SslStream wants it.</summary>
    public static X509Certificate2 LoadWithKey(string certFile, string keyFile) => X509Certificate2.CreateFromPemFile(certFile, keyFile);

    private static X509Certificate2 MakeCa(string subject, ECDsa key)
    {
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(5));
    }

    private static void Issue(X509Certificate2 ca, string subject, SubjectAlternativeNameBuilder san, string[] usages,
        string certFile, string keyFile)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        var oids = new OidCollection();
        foreach (var u in usages) oids.Add(new Oid(u));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(oids, false));
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, true, false));
        var serial = RandomNumberGenerator.GetBytes(12);
        serial[0] &= 0x7f;
        // The CA certificate came from CreateSelfSigned and carries its key, so it signs directly.
        using var cert = request.Create(ca, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(2), serial);
        File.WriteAllText(certFile, cert.ExportCertificatePem());
        File.WriteAllText(keyFile, key.ExportPkcs8PrivateKeyPem());
    }

    public void Dispose()
    {
        try { Directory.Delete(Dir, recursive: true); } catch (IOException) { }
    }
}

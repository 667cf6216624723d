using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Redoubt.Configuration;

namespace Redoubt.Hosting;

/// <summary>
/// HTTPS of the console and API listener. Given a certificate, Kestrel builds its chain
/// (<see cref="SslStreamCertificateContext"/>) while it binds, which reads and parses every CA of the
/// machine's store (0.3-0.7 s on the shared machine, on the start path before /healthz can answer).
/// Here the chain is built on the thread pool from the moment the certificate is loaded, beside the
/// stores' opening, and each handshake takes it from there. Offline: the appliance never fetches
/// intermediates or revocation lists. ALPN (h2, http/1.1) is still Kestrel's, from the listener's protocols.
/// </summary>
public static class ConsoleHttps
{
    public static TlsHandshakeCallbackOptions Options(X509Certificate2 certificate)
    {
        // What Kestrel checks before taking a certificate: one not meant for TLS servers stops the start.
        if (!AllowedForServerAuth(certificate))
            throw new StartupException($"the TLS certificate {certificate.Subject} is not allowed for server authentication (its extended key usage lacks serverAuth)");
        var context = Task.Run(() => SslStreamCertificateContext.Create(certificate, additionalCertificates: null, offline: true));
        return new TlsHandshakeCallbackOptions
        {
            OnConnection = async _ => new SslServerAuthenticationOptions
            {
                ServerCertificateContext = await context.ConfigureAwait(false),
                CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            },
        };
    }

    private const string ServerAuthOid = "1.3.6.1.5.5.7.3.1";

    /// <summary>No extended key usage extension (any use), or one that lists serverAuth.</summary>
    internal static bool AllowedForServerAuth(X509Certificate2 certificate)
    {
        var found = false;
        foreach (var extension in certificate.Extensions)
        {
            if (extension is not X509EnhancedKeyUsageExtension eku) continue;
            found = true;
            foreach (var oid in eku.EnhancedKeyUsages)
                if (oid.Value == ServerAuthOid) return true;
        }
        return !found;
    }
}

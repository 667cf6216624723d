using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Redoubt.Configuration;
using Redoubt.Hosting;

namespace Redoubt.Ingest.Tls;

/// <summary>
/// The TLS side of one listener: its certificate, TLS 1.2 and 1.3 (rsyslog's gnutls driver in anon
/// mode negotiates 1.2), and, when a client CA is configured, mutual TLS. Client chains are built
/// against that CA only, offline: no revocation lookups and no intermediate downloads, since the
/// appliance never calls out.
/// </summary>
public sealed class ServerTls
{
    private readonly SslStreamCertificateContext _context;
    private readonly X509Certificate2Collection? _clientCas;
    private readonly bool _requireClientCertificate;

    public X509Certificate2 Certificate { get; }
    /// <summary>One line for the stats and the start-up log.</summary>
    public string Description { get; }
    public bool AsksForClientCertificate => _clientCas is not null;

    private ServerTls(X509Certificate2 certificate, X509Certificate2Collection intermediates, X509Certificate2Collection? clientCas,
        bool requireClientCertificate, string origin)
    {
        Certificate = certificate;
        _clientCas = clientCas;
        _requireClientCertificate = requireClientCertificate;
        SslCertificateTrust? trust = null;
        if (clientCas is not null)
        {
            // Lists the acceptable CAs in the CertificateRequest, so a client holding several certificates picks the right one.
            try { trust = SslCertificateTrust.CreateForX509Collection(clientCas, sendTrustInHandshake: true); }
            catch (PlatformNotSupportedException) { trust = SslCertificateTrust.CreateForX509Collection(clientCas); }
        }
        _context = SslStreamCertificateContext.Create(certificate, intermediates, offline: true, trust);
        var clients = clientCas is null
            ? "no client certificates"
            : $"client certificates {(requireClientCertificate ? "required" : "verified when offered")}, CA {string.Join("; ", clientCas.Select(c => c.Subject))}";
        Description = $"TLS 1.2/1.3, {origin} {certificate.Subject}, SHA-256 {TlsCertificate.Fingerprint(certificate)}, " +
                      $"valid until {certificate.NotAfter.ToUniversalTime():yyyy-MM-dd}; {clients}";
    }

    /// <summary>
    /// Builds the TLS side of a listener from its options: its own PEM pair when it names one, else
    /// the appliance's certificate (the one the console serves: <c>Tls:CertificateFile</c>, or the
    /// self-signed one in DATA/tls), so senders pin one fingerprint for the whole appliance.
    /// </summary>
    public static ServerTls Create(TlsListenerOptions options, string listener, TlsCertificate.Loaded appliance, TlsOptions applianceOptions)
    {
        X509Certificate2 leaf;
        X509Certificate2Collection intermediates;
        string origin;
        var hasCert = !string.IsNullOrWhiteSpace(options.CertificateFile);
        var hasKey = !string.IsNullOrWhiteSpace(options.KeyFile);
        if (hasCert != hasKey)
            throw new StartupException($"{listener}: set both CertificateFile and KeyFile, or neither (the appliance's certificate is then used)");
        if (hasCert)
        {
            (leaf, intermediates) = ServerCertificate.Load(options.CertificateFile!, options.KeyFile!, listener);
            origin = $"own certificate {options.CertificateFile}:";
        }
        else if (!appliance.SelfSigned && applianceOptions is { CertificateFile: { Length: > 0 } file, KeyFile: { Length: > 0 } key })
        {
            // Loaded again for its intermediates, which the console's loader does not keep.
            (leaf, intermediates) = ServerCertificate.Load(file, key, listener);
            origin = $"the appliance's certificate {file}:";
        }
        else
        {
            leaf = appliance.Certificate;
            intermediates = [];
            origin = $"the appliance's self-signed certificate {appliance.Source}{(appliance.Created ? " (made on this start)" : "")}:";
        }

        X509Certificate2Collection? cas = null;
        if (!string.IsNullOrWhiteSpace(options.ClientCaFile))
        {
            if (!File.Exists(options.ClientCaFile)) throw new StartupException($"{listener}: ClientCaFile {options.ClientCaFile} does not exist");
            cas = new X509Certificate2Collection();
            try { cas.ImportFromPemFile(options.ClientCaFile); }
            catch (CryptographicException e) { throw new StartupException($"{listener}: ClientCaFile {options.ClientCaFile} is not PEM certificates: {e.Message}", e); }
            if (cas.Count == 0) throw new StartupException($"{listener}: ClientCaFile {options.ClientCaFile} holds no certificate");
        }
        return new ServerTls(leaf, intermediates, cas, options.RequireClientCertificate, origin);
    }

    /// <summary>Options for one handshake; the handshake records why it refused a client, for the log and the counters.</summary>
    public TlsHandshake NewHandshake() => new(this);

    public sealed class TlsHandshake
    {
        public SslServerAuthenticationOptions Options { get; }
        /// <summary>Set when the client's certificate was refused.</summary>
        public RejectionReason? Refusal { get; private set; }
        public string? RefusalDetail { get; private set; }

        internal TlsHandshake(ServerTls tls)
        {
            Options = new SslServerAuthenticationOptions
            {
                ServerCertificateContext = tls._context,
                EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                ClientCertificateRequired = tls._clientCas is not null,
                CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            };
            if (tls._clientCas is null) return;
            var policy = new X509ChainPolicy
            {
                TrustMode = X509ChainTrustMode.CustomRootTrust,
                RevocationMode = X509RevocationMode.NoCheck,
                DisableCertificateDownloads = true,
            };
            policy.CustomTrustStore.AddRange(tls._clientCas);
            Options.CertificateChainPolicy = policy;
            Options.RemoteCertificateValidationCallback = (_, certificate, chain, errors) => Check(tls, certificate, chain, errors);
        }

        private bool Check(ServerTls tls, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
        {
            if (certificate is null)
            {
                if (!tls._requireClientCertificate) return true;
                Refusal = RejectionReason.ClientCertificateMissing;
                RefusalDetail = "the client presented no certificate; this listener requires one issued by " +
                                string.Join("; ", tls._clientCas!.Select(c => c.Subject));
                return false;
            }
            // No name to check on a client: only the chain counts.
            if ((errors & ~SslPolicyErrors.RemoteCertificateNameMismatch) == SslPolicyErrors.None) return true;
            var status = chain?.ChainStatus is { Length: > 0 } s
                ? string.Join(", ", s.Select(x => x.Status.ToString()).Distinct())
                : errors.ToString();
            Refusal = RejectionReason.ClientCertificateUntrusted;
            RefusalDetail = $"client certificate {certificate.Subject} (issuer {certificate.Issuer}) not accepted: {status}";
            return false;
        }
    }
}

using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Redoubt.Configuration;

namespace Redoubt.Ingest.Tls;

/// <summary>A listener's own certificate, from PEM files: the leaf and the intermediates to send with it.</summary>
public static class ServerCertificate
{
    /// <summary>Loads the leaf (with its key) and its intermediates from PEM; any problem is a start-up error naming the file.</summary>
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
}

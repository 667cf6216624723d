using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Redoubt.Tests.Support;

/// <summary>
/// Our own TLS client, for what a real sender cannot show: which certificate the appliance presents,
/// which protocol versions it accepts, and how it treats a certificate from the wrong CA.
/// It trusts any server certificate (the tests look at it instead).
/// </summary>
public sealed class TlsSender : IAsyncDisposable
{
    private readonly TcpClient _tcp;
    public SslStream Stream { get; }
    public X509Certificate2 ServerCertificate { get; }
    public SslProtocols Protocol => Stream.SslProtocol;

    private TlsSender(TcpClient tcp, SslStream stream)
    {
        _tcp = tcp;
        Stream = stream;
        ServerCertificate = new X509Certificate2(stream.RemoteCertificate!);
    }

    public static async Task<TlsSender> ConnectAsync(int port, X509Certificate2? clientCertificate = null,
        SslProtocols protocols = SslProtocols.Tls12 | SslProtocols.Tls13)
    {
        var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, port);
        var ssl = new SslStream(tcp.GetStream(), leaveInnerStreamOpen: false);
        try
        {
            await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = "localhost",
                EnabledSslProtocols = protocols,
                RemoteCertificateValidationCallback = (_, _, _, _) => true,
                ClientCertificates = clientCertificate is null ? null : [clientCertificate],
                LocalCertificateSelectionCallback = clientCertificate is null ? null : (_, _, _, _, _) => clientCertificate,
            }).WaitAsync(TimeSpan.FromSeconds(30));
            return new TlsSender(tcp, ssl);
        }
        catch
        {
            await ssl.DisposeAsync();
            tcp.Dispose();
            throw;
        }
    }

    /// <summary>RFC 5425 octet-counted frames, then a clean close; waits until the server has closed its side.</summary>
    public async Task SendAndCloseAsync(IEnumerable<string> messages)
    {
        var sb = new StringBuilder();
        foreach (var m in messages) sb.Append(Encoding.UTF8.GetByteCount(m)).Append(' ').Append(m);
        await Stream.WriteAsync(Encoding.UTF8.GetBytes(sb.ToString()));
        await Stream.FlushAsync();
        await Stream.ShutdownAsync();
        _tcp.Client.Shutdown(SocketShutdown.Send);
        var buf = new byte[1];
        try { while (await Stream.ReadAsync(buf) > 0) { } } catch (IOException) { }
    }

    /// <summary>
    /// True when the server ends the session without reading on: with TLS 1.3 a refused client
    /// certificate is only noticed by the client on its first read after the handshake.
    /// </summary>
    public async Task<bool> IsClosedByServerAsync()
    {
        try
        {
            await Stream.WriteAsync("5 <13>x"u8.ToArray());
            var buf = new byte[16];
            return await Stream.ReadAsync(buf).AsTask().WaitAsync(TimeSpan.FromSeconds(30)) == 0;
        }
        catch (Exception e) when (e is IOException or AuthenticationException) { return true; }
    }

    public async ValueTask DisposeAsync()
    {
        await Stream.DisposeAsync();
        _tcp.Dispose();
    }
}

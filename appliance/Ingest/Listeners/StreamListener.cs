using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using Redoubt.Configuration;
using Redoubt.Ingest.Tls;

namespace Redoubt.Ingest.Listeners;

/// <summary>One accepted connection as a protocol sees it: who sent, and the tags for their events.</summary>
public sealed record StreamConnection(EndPoint? Peer, Dictionary<string, string>? Tags)
{
    /// <summary>The peer as events store it ("ip:port"), formatted once per connection rather than per event.</summary>
    public string? PeerText { get; } = Peer?.ToString();
}

/// <summary>
/// A protocol spoken over a byte stream (plain TCP or TLS): syslog framing, RELP. It knows nothing
/// of sockets, certificates or sender networks; the <see cref="StreamListener"/> does that.
/// </summary>
public interface IStreamProtocol
{
    /// <summary>
    /// Serves one connection until the peer closes it. <paramref name="stopping"/>: the appliance is
    /// shutting down; stop reading, finish what is in flight (acks included) and say goodbye.
    /// <paramref name="abort"/>: the grace period is over; give up at once.
    /// </summary>
    Task ServeAsync(Stream stream, StreamConnection connection, CancellationToken stopping, CancellationToken abort);
}

/// <summary>
/// A TCP listener: accepts, turns away senders outside the allowed networks, runs the TLS handshake
/// when configured, and hands the stream to its protocol. A connection that fails never takes the
/// listener down. On stop, connections get <see cref="ShutdownGrace"/> to finish before they are cut.
/// </summary>
public sealed class StreamListener(IPEndPoint bind, IStreamProtocol protocol, SenderPolicy senders, ServerTls? tls,
    ListenerState state, ILogger logger, int maxConnections = int.MaxValue) : IAsyncDisposable
{
    public static readonly TimeSpan HandshakeTimeout = TimeSpan.FromSeconds(15);
    public static readonly TimeSpan ShutdownGrace = TimeSpan.FromSeconds(10);

    private Socket? _socket;
    private Task? _acceptLoop;
    private readonly CancellationTokenSource _stop = new();
    private readonly CancellationTokenSource _abort = new();
    private readonly HashSet<Task> _connections = [];

    public void Start()
    {
        var socket = new Socket(bind.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            // A restart must find its port again while the last run's connections sit in TIME_WAIT
            // (on Linux this never lets two listeners share a port; on Windows it would).
            if (!OperatingSystem.IsWindows()) socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            socket.Bind(bind);
            socket.Listen(512);
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw new StartupException($"cannot listen for {state.Transport} ({state.Name}) on tcp {bind}: {e.Message}", e);
        }
        _socket = socket;
        state.Status = "listening";
        _acceptLoop = Task.Run(AcceptLoop);
    }

    private async Task AcceptLoop()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try { client = await _socket!.AcceptAsync(_stop.Token); }
            catch (OperationCanceledException) { break; }
            catch (ObjectDisposedException) { break; }
            catch (SocketException e)
            {
                logger.LogWarning("{Transport} {Bind}: accept failed: {Error}", state.Transport, bind, e.Message);
                continue;
            }

            var peer = client.RemoteEndPoint as IPEndPoint;
            if (peer is not null && !senders.IsAllowed(peer.Address))
            {
                state.Reject(RejectionReason.SenderNotAllowed, logger,
                    $"connection from {peer} is outside the allowed networks {string.Join(", ", senders.AllowedNetworks)}");
                client.LingerState = new LingerOption(true, 0); // reset: nothing of theirs is read
                client.Dispose();
                continue;
            }
            // The slot is taken here, before the connection's task runs: counting it inside the task let
            // a burst of accepts pass this check before any was counted (1063 open with a maximum of 1024).
            if (!state.TryOpenConnection(maxConnections))
            {
                state.CountRefused();
                state.Reject(RejectionReason.ConnectionLimit, logger,
                    $"connection from {peer} refused: {state.OpenConnections} open, the maximum (raise MaxConnections if this is expected)");
                client.LingerState = new LingerOption(true, 0);
                client.Dispose();
                continue;
            }
            // Acks are small writes answering the client's writes: Nagle would hold one back until the
            // client's delayed ACK (tens of ms), and RELP senders wait for acks before sending on.
            client.NoDelay = true;
            var task = Task.Run(() => Serve(client, peer));
            lock (_connections) _connections.Add(task);
            _ = task.ContinueWith(t => { lock (_connections) _connections.Remove(t); }, TaskScheduler.Default);
        }
    }

    /// <summary>Serves one connection whose slot the accept loop reserved; frees it when done.</summary>
    private async Task Serve(Socket client, IPEndPoint? peer)
    {
        var failed = false;
        Stream stream = new CountingStream(new NetworkStream(client, ownsSocket: true), state);
        try
        {
            if (tls is not null)
            {
                var ssl = new SslStream(stream, leaveInnerStreamOpen: false);
                stream = ssl;
                if (!await HandshakeAsync(ssl, peer)) { failed = true; return; }
                logger.LogDebug("{Transport} {Peer}: {Protocol}, {Cipher}, client certificate {Client}", state.Transport, peer,
                    ssl.SslProtocol, ssl.NegotiatedCipherSuite, ssl.RemoteCertificate?.Subject ?? "none");
            }
            var tags = senders.TagsFor(peer?.Address);
            await protocol.ServeAsync(stream, new StreamConnection(peer, tags), _stop.Token, _abort.Token);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            failed = e is not OperationCanceledException;
            if (failed) logger.LogInformation("{Transport} {Peer}: connection ended: {Error}", state.Transport, peer, e.Message);
        }
        catch (Exception e)
        {
            // A protocol bug must cost one connection, not the listener; it is logged in full.
            failed = true;
            logger.LogError(e, "{Transport} {Peer}: connection failed", state.Transport, peer);
        }
        finally
        {
            await stream.DisposeAsync();
            state.ConnectionClosed(failed);
        }
    }

    private async Task<bool> HandshakeAsync(SslStream ssl, IPEndPoint? peer)
    {
        var handshake = tls!.NewHandshake();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        timeout.CancelAfter(HandshakeTimeout);
        try
        {
            await ssl.AuthenticateAsServerAsync(handshake.Options, timeout.Token);
            return true;
        }
        catch (Exception e) when (e is AuthenticationException or IOException or OperationCanceledException or SocketException)
        {
            if (_stop.IsCancellationRequested) return false;
            if (handshake.Refusal is { } refusal)
                state.Reject(refusal, logger, $"TLS client {peer}: {handshake.RefusalDetail}");
            else
                state.Reject(RejectionReason.TlsHandshakeFailed, logger,
                    $"TLS handshake with {peer} failed: {(e is OperationCanceledException ? $"no handshake within {HandshakeTimeout.TotalSeconds:0} s" : Innermost(e))}");
            return false;
        }
    }

    private static string Innermost(Exception e)
    {
        var text = e.Message;
        for (var inner = e.InnerException; inner is not null; inner = inner.InnerException) text += ": " + inner.Message;
        return text;
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _socket?.Dispose();
        if (_acceptLoop is not null) await _acceptLoop;
        Task[] open;
        lock (_connections) open = _connections.ToArray();
        var all = Task.WhenAll(open);
        if (await Task.WhenAny(all, Task.Delay(ShutdownGrace)) != all)
        {
            logger.LogWarning("{Transport} {Bind}: {Count} connections still busy after {Grace} s; cutting them", state.Transport, bind,
                open.Count(t => !t.IsCompleted), ShutdownGrace.TotalSeconds);
            _abort.Cancel();
            await all;
        }
        state.Status = "stopped";
        _stop.Dispose();
        _abort.Dispose();
    }
}

using System.Net;
using System.Net.Sockets;
using Redoubt.Ingest.Listeners;
using Redoubt.Storage.Events;

namespace Redoubt.Ingest.Syslog;

/// <summary>
/// Syslog over UDP (RFC 5426): one message per datagram. UDP cannot be acknowledged, so events are
/// handed to the log without waiting; when the log's queue is full the datagram is counted as dropped.
/// A datagram from outside the allowed networks is counted as rejected and not stored; so is an empty
/// one (received, a parse error, and rejected as <c>empty-datagram</c>).
/// </summary>
public sealed class UdpSyslogListener(IPEndPoint bind, int maxMessageBytes, int receiveBufferBytes,
    SyslogEvents events, EventLog log, SenderPolicy senders, ListenerState state, ILogger logger) : IAsyncDisposable
{
    private Socket? _socket;
    private Task? _loop;
    private readonly CancellationTokenSource _stop = new();

    public void Start()
    {
        var socket = new Socket(bind.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            socket.ReceiveBufferSize = receiveBufferBytes;
            socket.Bind(bind);
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw new Configuration.StartupException($"cannot listen for syslog on udp {bind}: {e.Message}", e);
        }
        _socket = socket;
        state.Status = "listening";
        _loop = Task.Run(ReceiveLoop);
    }

    private async Task ReceiveLoop()
    {
        // Big enough for any datagram (65,507 bytes is the IPv4 maximum).
        var buffer = new byte[65536];
        var any = new IPEndPoint(bind.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
        while (!_stop.IsCancellationRequested)
        {
            SocketReceiveFromResult received;
            try
            {
                received = await _socket!.ReceiveFromAsync(buffer, SocketFlags.None, any, _stop.Token);
            }
            catch (OperationCanceledException) { break; }
            catch (ObjectDisposedException) { break; }
            catch (SocketException e)
            {
                logger.LogWarning("syslog udp {Bind}: receive failed: {Error}", bind, e.Message);
                continue;
            }

            var from = (IPEndPoint)received.RemoteEndPoint;
            if (!senders.IsAllowed(from.Address))
            {
                state.Reject(RejectionReason.SenderNotAllowed, logger,
                    $"datagram from {from} is outside the allowed networks {string.Join(", ", senders.AllowedNetworks)}");
                continue;
            }
            var length = received.ReceivedBytes;
            while (length > 0 && buffer[length - 1] is (byte)'\n' or (byte)'\r' or 0) length--;
            if (length == 0)
            {
                // Nothing to store, but it arrived: counted as received and rejected, never silently gone.
                state.CountBytes(received.ReceivedBytes);
                state.CountRejected(from.Address.ToString(), received.ReceivedBytes, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
                state.Reject(RejectionReason.EmptyDatagram, logger, $"datagram from {from} holds no message ({received.ReceivedBytes} bytes)");
                continue;
            }
            var truncated = length > maxMessageBytes;
            if (truncated) length = maxMessageBytes;

            state.CountBytes(received.ReceivedBytes);
            var record = events.FromFrame(buffer.AsSpan(0, length), truncated, Transport.SyslogUdp, from);
            record.Tags = senders.TagsFor(from.Address);
            state.CountEvent(record, length);
            if (!log.TryAppend(record)) state.CountDropped(record);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _socket?.Dispose();
        if (_loop is not null) await _loop;
        _stop.Dispose();
    }
}

using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using Redoubt.Storage.Events;

namespace Redoubt.Ingest.Syslog;

/// <summary>
/// Syslog over TCP (RFC 6587). Each connection reads through a pipe, cuts frames with a
/// <see cref="SyslogFramer"/> and appends what one read produced as one batch, waiting until it is
/// durable before reading on: when storage falls behind (or the ingest budget is full), senders are
/// slowed by TCP itself. A connection that misbehaves or idles past the timeout is closed; past the
/// maximum, new connections are refused; the listener never goes down with one.
/// </summary>
public sealed class TcpSyslogListener(IPEndPoint bind, int maxMessageBytes, int maxConnections, TimeSpan idleTimeout,
    SyslogEvents events, EventLog log, IngestBudget budget, ListenerState state, ILogger logger) : IAsyncDisposable
{
    private Socket? _socket;
    private TcpConnections? _connections;
    private Task? _acceptLoop;
    private readonly CancellationTokenSource _stop = new();

    public void Start()
    {
        var socket = new Socket(bind.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.Bind(bind);
            socket.Listen(512);
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw new Configuration.StartupException($"cannot listen for syslog on tcp {bind}: {e.Message}", e);
        }
        _socket = socket;
        _connections = new TcpConnections(socket, state, maxConnections, Serve, logger, $"syslog tcp {bind}");
        state.Status = "listening";
        _acceptLoop = Task.Run(() => _connections.AcceptLoop(_stop.Token));
    }

    private async Task Serve(Socket client)
    {
        var failed = false;
        var peer = client.RemoteEndPoint;
        var framer = new SyslogFramer(maxMessageBytes);
        using var idle = new IdleTimer(idleTimeout, _stop.Token);
        await using var stream = new CountingStream(new NetworkStream(client, ownsSocket: true), state);
        var reader = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 64 * 1024, minimumReadSize: 16 * 1024, leaveOpen: true));
        var batch = new List<EventRecord>(256);
        try
        {
            while (true)
            {
                idle.Arm();
                var result = await reader.ReadAsync(idle.Token);
                idle.Disarm();
                var buffer = result.Buffer;
                batch.Clear();
                long bytes = 0;
                while (framer.TryReadFrame(ref buffer, result.IsCompleted, out var frame, out var truncated))
                {
                    var record = events.FromFrame(frame, truncated, Transport.SyslogTcp, peer);
                    state.CountEvent(record, frame.Length);
                    bytes += frame.Length;
                    batch.Add(record);
                }

                if (batch.Count > 0)
                {
                    // No ack to withhold over plain TCP: wait for room, and the sender waits with us.
                    await budget.AcquireAsync(bytes, Timeout.InfiniteTimeSpan, _stop.Token);
                    try { await log.AppendAsync(batch.ToArray(), _stop.Token); }
                    finally { budget.Release(bytes); }
                }
                reader.AdvanceTo(buffer.Start, buffer.End);
                if (result.IsCompleted) break;
            }
        }
        catch (OperationCanceledException) when (idle.Expired)
        {
            state.CountIdleClosed();
            logger.LogInformation("syslog tcp {Peer}: closed after {Idle} without data", peer, idleTimeout);
        }
        catch (OperationCanceledException) { }
        catch (Exception e) when (e is IOException or SocketException or EventLogUnavailableException)
        {
            failed = true;
            logger.LogInformation("syslog tcp {Peer}: connection ended: {Error}", peer, e.Message);
        }
        finally
        {
            await reader.CompleteAsync();
            state.ConnectionClosed(failed);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _socket?.Dispose();
        if (_acceptLoop is not null) await _acceptLoop;
        if (_connections is not null) await _connections.WhenClosed();
        _stop.Dispose();
    }
}

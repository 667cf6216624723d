using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using Redoubt.Storage.Events;

namespace Redoubt.Ingest.Syslog;

/// <summary>
/// Syslog over TCP (RFC 6587). Each connection reads through a pipe, cuts frames with a
/// <see cref="SyslogFramer"/> and appends what one read produced as one batch, waiting until it is
/// durable before reading on: when storage falls behind, senders are slowed by TCP itself.
/// A connection that misbehaves is closed; the listener never goes down with it.
/// </summary>
public sealed class TcpSyslogListener(IPEndPoint bind, int maxMessageBytes,
    SyslogEvents events, EventLog log, ListenerState state, ILogger logger) : IAsyncDisposable
{
    private Socket? _socket;
    private Task? _acceptLoop;
    private readonly CancellationTokenSource _stop = new();
    private readonly HashSet<Task> _connections = [];

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
                logger.LogWarning("syslog tcp {Bind}: accept failed: {Error}", bind, e.Message);
                continue;
            }
            var task = Task.Run(() => Serve(client));
            lock (_connections) _connections.Add(task);
            _ = task.ContinueWith(t => { lock (_connections) _connections.Remove(t); }, TaskScheduler.Default);
        }
    }

    private async Task Serve(Socket client)
    {
        state.ConnectionOpened();
        var failed = false;
        var peer = client.RemoteEndPoint;
        var framer = new SyslogFramer(maxMessageBytes);
        await using var stream = new NetworkStream(client, ownsSocket: true);
        var reader = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 64 * 1024, minimumReadSize: 16 * 1024));
        var batch = new List<EventRecord>(256);
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync(_stop.Token);
                var buffer = result.Buffer;
                batch.Clear();
                while (framer.TryReadFrame(ref buffer, result.IsCompleted, out var frame, out var truncated))
                    batch.Add(events.FromFrame(frame, truncated, Transport.SyslogTcp, peer));

                if (batch.Count > 0)
                {
                    state.CountReceived(batch.Count);
                    await log.AppendAsync(batch.ToArray(), _stop.Token);
                }
                reader.AdvanceTo(buffer.Start, buffer.End);
                if (result.IsCompleted) break;
            }
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
        Task[] open;
        lock (_connections) open = _connections.ToArray();
        await Task.WhenAll(open);
        _stop.Dispose();
    }
}

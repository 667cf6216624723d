using System.Net;
using System.Net.Sockets;

namespace Redoubt.Ingest;

/// <summary>
/// The accept loop every TCP listener shares: serves each connection on its own task, holds at most
/// <c>maxConnections</c> open (one more is closed at once and counted as refused, with a log line at
/// most every 10 s, as every rejection), and lets shutdown wait for the open ones.
/// </summary>
public sealed class TcpConnections(Socket listening, ListenerState state, int maxConnections,
    Func<Socket, Task> serve, ILogger logger, string what)
{
    private readonly HashSet<Task> _open = [];

    public async Task AcceptLoop(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            Socket client;
            try { client = await listening.AcceptAsync(stop); }
            catch (OperationCanceledException) { break; }
            catch (ObjectDisposedException) { break; }
            catch (SocketException e)
            {
                logger.LogWarning("{What}: accept failed: {Error}", what, e.Message);
                continue;
            }

            if (!state.TryOpenConnection(maxConnections))
            {
                Refuse(client);
                continue;
            }
            var task = Task.Run(() => serve(client));
            lock (_open) _open.Add(task);
            _ = task.ContinueWith(t => { lock (_open) _open.Remove(t); }, TaskScheduler.Default);
        }
    }

    private void Refuse(Socket client)
    {
        state.CountRefused();
        var peer = client.RemoteEndPoint as IPEndPoint;
        try
        {
            client.LingerState = new LingerOption(true, 0); // reset: the client sees the refusal at once
            client.Dispose();
        }
        catch (SocketException) { }
        state.Reject(RejectionReason.ConnectionLimit, logger,
            $"{what}: connection from {peer} refused: {state.OpenConnections} open, the maximum (raise MaxConnections if this is expected)");
    }

    /// <summary>Waits until every connection served so far has ended.</summary>
    public async Task WhenClosed()
    {
        Task[] open;
        lock (_open) open = _open.ToArray();
        await Task.WhenAll(open);
    }
}

/// <summary>
/// Closes a connection that sends nothing for the idle timeout: the token is cancelled when the timer
/// fires or the listener stops. Armed around reads only, so time spent waiting for the store does
/// not count against the client.
/// </summary>
public sealed class IdleTimer(TimeSpan idle, CancellationToken stop) : IDisposable
{
    private readonly CancellationTokenSource _cts = CancellationTokenSource.CreateLinkedTokenSource(stop);

    public CancellationToken Token => _cts.Token;

    public void Arm() => Arm(idle);

    public void Arm(TimeSpan timeout)
    {
        if (timeout > TimeSpan.Zero && timeout != Timeout.InfiniteTimeSpan) _cts.CancelAfter(timeout);
    }

    public void Disarm() => _cts.CancelAfter(Timeout.InfiniteTimeSpan);

    /// <summary>True when the token fired because of the timer, not because the listener is stopping.</summary>
    public bool Expired => _cts.IsCancellationRequested && !stop.IsCancellationRequested;

    public void Dispose() => _cts.Dispose();
}

/// <summary>A read-only view of a stream that counts the bytes read into the listener's counters.</summary>
public sealed class CountingStream(Stream inner, ListenerState state) : Stream
{
    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => inner.CanWrite;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Counted(inner.Read(buffer, offset, count));
    public override int Read(Span<byte> buffer) => Counted(inner.Read(buffer));
    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        Counted(await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false));
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);
    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => inner.WriteAsync(buffer, cancellationToken);
    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);
    public override void Flush() => inner.Flush();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    private int Counted(int n)
    {
        if (n > 0) state.CountBytes(n);
        return n;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) inner.Dispose();
        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        await inner.DisposeAsync().ConfigureAwait(false);
        await base.DisposeAsync().ConfigureAwait(false);
    }
}

using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using MessagePack;
using Redoubt.Storage.Events;

namespace Redoubt.Ingest.Forward;

/// <summary>Settings of one forward listener, resolved at start-up.</summary>
public sealed record ForwardListenerSettings(
    string Name, IPEndPoint Bind, byte[]? SharedKey, string ServerHostname, int MaxConnections,
    TimeSpan IdleTimeout, TimeSpan HandshakeTimeout, int MaxFrameBytes, int MaxDecompressedBytes,
    int MaxRecordBytes, TimeSpan BusyWait);

/// <summary>
/// The Fluent forward protocol over TCP. Per connection: optional HELO/PING/PONG handshake, then
/// every complete message read so far is decoded and appended as one batch; only once that batch is
/// durable are the <c>{"ack": chunk}</c> answers written, so an acknowledged chunk survives kill -9.
/// While a batch is stored the connection is not read (one batch queued per connection). When the
/// ingest budget is full, a message that asked for an ack is refused: no ack, connection closed, the
/// client retries; one that asked for none waits (TCP slows the sender). A message that is not the
/// protocol is stored raw as a parse-error event, counted, logged, and ends its connection only.
/// </summary>
public sealed class ForwardListener(ForwardListenerSettings settings, EventLog log, IngestBudget budget,
    ListenerState state, TimeProvider clock, ILogger logger) : IAsyncDisposable
{
    private Socket? _socket;
    private TcpConnections? _connections;
    private Task? _acceptLoop;
    private readonly CancellationTokenSource _stop = new();
    private long _lastBusyLogTicks = -10_000;

    public void Start()
    {
        var socket = new Socket(settings.Bind.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.Bind(settings.Bind);
            socket.Listen(512);
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw new Configuration.StartupException($"cannot listen for forward on tcp {settings.Bind}: {e.Message}", e);
        }
        _socket = socket;
        _connections = new TcpConnections(socket, state, settings.MaxConnections, Serve, logger, $"forward {settings.Bind}");
        state.Status = "listening";
        _acceptLoop = Task.Run(() => _connections.AcceptLoop(_stop.Token));
    }

    private async Task Serve(Socket client)
    {
        var failed = false;
        var sender = client.RemoteEndPoint?.ToString();
        using var idle = new IdleTimer(settings.IdleTimeout, _stop.Token);
        var network = new NetworkStream(client, ownsSocket: true);
        await using var stream = new CountingStream(network, state);
        var reader = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 64 * 1024, minimumReadSize: 16 * 1024, leaveOpen: true));
        var connection = new Connection(settings, clock, sender);
        try
        {
            if (connection.Handshake is { } handshake)
            {
                // One deadline for the whole handshake, from accept until the PING is verified: it is
                // not re-armed by bytes arriving, so a client trickling a partial PING is closed too.
                idle.Arm(settings.HandshakeTimeout);
                await stream.WriteAsync(handshake.Helo(), idle.Token);
            }
            while (true)
            {
                if (connection.Established) idle.Arm();
                var result = await reader.ReadAsync(idle.Token);
                if (connection.Established) idle.Disarm();
                var buffer = result.Buffer;
                var step = connection.Take(ref buffer, result.IsCompleted);
                reader.AdvanceTo(buffer.Start, buffer.End);
                // The handshake deadline ends once the PING is verified; events after it are not cut short by it.
                if (connection.Established) idle.Disarm();

                if (step.Pong is { } pong) await stream.WriteAsync(pong, _stop.Token);
                if (step.AuthFailure is { } why)
                {
                    state.CountAuthFailure();
                    logger.LogWarning("forward {Peer}: handshake refused: {Reason}", sender, why);
                    break;
                }
                if (!await StoreAndAck(step, stream, sender)) break;
                if (step.Malformed is { } malformed)
                {
                    state.CountMalformed();
                    logger.LogWarning("forward {Peer}: closing the connection: {Reason}", sender, malformed);
                    break;
                }
                if (result.IsCompleted) break;
            }
        }
        catch (OperationCanceledException) when (idle.Expired)
        {
            state.CountIdleClosed();
            if (connection.Established)
                logger.LogInformation("forward {Peer}: closed after {Idle} without data", sender, settings.IdleTimeout);
            else
                logger.LogWarning("forward {Peer}: closed: handshake not finished within {Timeout} (Forward:HandshakeTimeout)", sender, settings.HandshakeTimeout);
        }
        catch (OperationCanceledException) { }
        catch (Exception e) when (e is IOException or SocketException or EventLogUnavailableException)
        {
            failed = true;
            logger.LogInformation("forward {Peer}: connection ended: {Error}", sender, e.Message);
        }
        catch (Exception e)
        {
            // A bug, not bad input (that is handled above): end this connection, say so, keep the listener.
            failed = true;
            logger.LogError(e, "forward {Peer}: connection closed after an unexpected error", sender);
        }
        finally
        {
            await reader.CompleteAsync();
            state.ConnectionClosed(failed);
        }
    }

    /// <summary>Appends what one read produced, then acks it. False when the connection must close (busy).</summary>
    private async Task<bool> StoreAndAck(Step step, Stream stream, string? sender)
    {
        if (step.Frames.Count == 0) return true;
        var events = new List<EventRecord>();
        long bytes = 0;
        var wantsAck = false;
        foreach (var frame in step.Frames)
        {
            for (var i = 0; i < frame.Decoded.Events.Count; i++)
            {
                events.Add(frame.Decoded.Events[i]);
                state.CountEvent(frame.Decoded.Events[i], frame.Decoded.EventBytes[i]);
            }
            // The event that reports entries dropped past the per-message limit was counted once; it stands for them all.
            if (frame.Decoded.DroppedEntries > 1) state.CountParseErrors(frame.Decoded.DroppedEntries - 1);
            bytes += frame.Bytes;
            wantsAck |= frame.Decoded.Chunk is not null;
        }

        if (events.Count > 0)
        {
            // A client that waits for acks retries what it was not acked: refuse rather than queue without end.
            var wait = wantsAck ? settings.BusyWait : Timeout.InfiniteTimeSpan;
            if (!await budget.AcquireAsync(bytes, wait, _stop.Token))
            {
                state.CountBusy();
                LogBusy(sender, events.Count);
                return false;
            }
            try { await log.AppendAsync(events, _stop.Token); }
            finally { budget.Release(bytes); }
        }

        var acks = new ArrayBufferWriter<byte>(64);
        foreach (var frame in step.Frames)
            if (frame.Decoded.Chunk is { } chunk) WriteAck(acks, chunk);
        if (acks.WrittenCount > 0)
        {
            await stream.WriteAsync(acks.WrittenMemory, _stop.Token);
            await stream.FlushAsync(_stop.Token);
        }
        return true;
    }

    private void LogBusy(string? sender, int events)
    {
        var now = Environment.TickCount64;
        if (now - Interlocked.Read(ref _lastBusyLogTicks) < 10_000) return;
        Interlocked.Exchange(ref _lastBusyLogTicks, now);
        logger.LogWarning("forward {Peer}: store busy ({Used} of {Capacity} pending bytes in use): {Events} event(s) not acked, connection closed so the client retries",
            sender, budget.UsedBytes, budget.CapacityBytes, events);
    }

    /// <summary><c>{"ack": chunk}</c>, echoing the chunk value byte for byte.</summary>
    internal static void WriteAck(IBufferWriter<byte> output, byte[] rawChunk)
    {
        var w = new MessagePackWriter(output);
        w.WriteMapHeader(1);
        w.Write("ack");
        w.WriteRaw(rawChunk);
        w.Flush();
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _socket?.Dispose();
        if (_acceptLoop is not null) await _acceptLoop;
        if (_connections is not null) await _connections.WhenClosed();
        _stop.Dispose();
    }

    /// <summary>One decoded message and the bytes it took on the wire.</summary>
    public readonly record struct TakenFrame(DecodedFrame Decoded, long Bytes);

    /// <summary>What one read of a connection produced.</summary>
    public sealed class Step
    {
        public List<TakenFrame> Frames { get; } = [];
        public byte[]? Pong { get; set; }
        public string? AuthFailure { get; set; }
        /// <summary>Why the connection ends after the frames before it are stored.</summary>
        public string? Malformed { get; set; }
    }

    /// <summary>
    /// The protocol state of one connection, separate from the socket so tests can feed it bytes in
    /// any split: handshake, framing, decoding, and what to do with bytes that are not the protocol.
    /// </summary>
    public sealed class Connection(ForwardListenerSettings settings, TimeProvider clock, string? sender)
    {
        private readonly ForwardFramer _framer = new(settings.MaxFrameBytes);
        // Until the PING is verified only a handshake-sized message is buffered, whatever MaxFrameBytes is.
        private readonly ForwardFramer _handshakeFramer = new(Math.Min(settings.MaxFrameBytes, ForwardHandshake.MaxPingBytes));
        private readonly ForwardDecoder _decoder = new(settings.MaxDecompressedBytes, settings.MaxRecordBytes, clock);

        public ForwardHandshake? Handshake { get; } = settings.SharedKey is { } key ? new ForwardHandshake(key, settings.ServerHostname) : null;
        public bool Established { get; private set; } = settings.SharedKey is null;

        /// <summary>Takes every complete message from <paramref name="buffer"/> (advancing it); with <paramref name="completed"/>, a trailing partial message too.</summary>
        public Step Take(ref ReadOnlySequence<byte> buffer, bool completed)
        {
            var step = new Step();
            while (step.Malformed is null && step.AuthFailure is null)
            {
                var status = (Established ? _framer : _handshakeFramer).TryReadFrame(buffer, out var length);
                if (status == FrameStatus.NeedMore) break;
                if (status == FrameStatus.TooLarge && !Established)
                {
                    step.AuthFailure = $"a message before the handshake is larger than {_handshakeFramer.MaxFrameBytes} bytes (a PING is a few hundred)";
                    buffer = buffer.Slice(buffer.End);
                    return step;
                }
                if (status != FrameStatus.Frame)
                {
                    var reason = status == FrameStatus.TooLarge
                        ? $"a message is larger than {settings.MaxFrameBytes} bytes (Forward:MaxFrameBytes; lower the sender's chunk size)"
                        : "the bytes are not MessagePack";
                    if (Established) AddRaw(step, buffer, reason, EventFlags.None);
                    else step.AuthFailure = "invalid ping message";
                    step.Malformed ??= reason;
                    buffer = buffer.Slice(buffer.End);
                    return step;
                }

                var frame = buffer.Slice(0, length);
                if (!Established)
                {
                    buffer = buffer.Slice(length);
                    var ping = Handshake!.CheckPing(frame);
                    step.Pong = ping.Pong;
                    if (!ping.Accepted) step.AuthFailure = $"{ping.Reason} (client {ping.ClientHostname ?? "?"})";
                    else Established = true;
                    continue;
                }

                var decoded = _decoder.Decode(frame, settings.Name, sender);
                if (decoded.Error is { } error)
                {
                    // The connection ends here: keep everything it sent from this message on (bounded),
                    // so "GET / HTTP/1.1…" shows up whole rather than as its first byte.
                    AddRaw(step, buffer, error, EventFlags.None);
                    buffer = buffer.Slice(buffer.End);
                    step.Malformed = error;
                    break;
                }
                buffer = buffer.Slice(length);
                step.Frames.Add(new TakenFrame(decoded, length));
            }

            if (completed && !buffer.IsEmpty && step.Malformed is null && step.AuthFailure is null)
            {
                if (Established) AddRaw(step, buffer, $"the connection closed in the middle of a message, after {buffer.Length} bytes", EventFlags.Truncated);
                buffer = buffer.Slice(buffer.End);
            }
            return step;
        }

        /// <summary>Bytes that are not a forward message: one parse-error event holding (the start of) them.</summary>
        private void AddRaw(Step step, in ReadOnlySequence<byte> bytes, string reason, EventFlags flags)
        {
            var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
            var cut = bytes.Length > ForwardDecoder.MaxRawBytes;
            var e = new EventRecord
            {
                ReceivedAtMs = now,
                TimeMs = now,
                Transport = Transport.Forward,
                Source = settings.Name,
                Sender = sender,
                Format = "msgpack",
                Flags = EventFlags.ParseError | flags | (cut ? EventFlags.Truncated : EventFlags.None),
                ParseError = reason,
                Raw = (cut ? bytes.Slice(0, ForwardDecoder.MaxRawBytes) : bytes).ToArray(),
            };
            var decoded = new DecodedFrame { Mode = "raw" };
            decoded.Events.Add(e);
            decoded.EventBytes.Add((int)Math.Min(int.MaxValue, bytes.Length));
            step.Frames.Add(new TakenFrame(decoded, bytes.Length));
        }
    }
}

using System.Buffers;
using System.Globalization;
using System.IO.Pipelines;
using System.Text;
using Redoubt.Ingest.Listeners;
using Redoubt.Ingest.Syslog;
using Redoubt.Storage.Events;

namespace Redoubt.Ingest.Relp;

/// <summary>
/// The server side of RELP as rsyslog's omrelp (librelp) speaks it. The client opens with an offer
/// that must include <c>commands=syslog</c>; each <c>syslog</c> frame is answered <c>rsp 200 OK</c>
/// only once its event is durable. Frames that arrive in one read are appended as one batch and
/// acknowledged together after that commit. An unacknowledged frame is resent by the client after a
/// reconnect, so delivery is at-least-once: a restart may store a line twice, never lose one.
/// </summary>
public sealed class RelpProtocol(int maxMessageBytes, SyslogEvents events, EventLog log, Transport transport,
    ListenerState state, ILogger logger) : IStreamProtocol
{
    // Verified against librelp 1.11: the open response must offer commands=syslog or the client gives up.
    private static readonly byte[] OpenOffer = "200 OK\nrelp_version=0\ncommands=syslog"u8.ToArray();
    private static readonly byte[] Ok = "200 OK"u8.ToArray();
    private static readonly byte[] ServerClose = "0 serverclose 0\n"u8.ToArray();

    public async Task ServeAsync(Stream stream, StreamConnection connection, CancellationToken stopping, CancellationToken abort)
    {
        // Room for the sender's trailing LF (or CRLF) after a message of the maximum size: it is not content.
        var framer = new RelpFramer(maxMessageBytes + 2);
        var reader = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 64 * 1024, minimumReadSize: 16 * 1024, leaveOpen: true));
        var output = new ArrayBufferWriter<byte>(1024);
        var batch = new List<EventRecord>(64);
        var replies = new List<(long Txnr, byte[] Body)>(64);
        var open = false;
        try
        {
            while (true)
            {
                ReadResult result;
                try { result = await reader.ReadAsync(stopping); }
                catch (OperationCanceledException)
                {
                    // Shutting down: everything read has been acknowledged; tell the client to reconnect later.
                    if (open)
                    {
                        try { await SendAsync(stream, ServerClose, abort); }
                        catch (IOException) { /* the client is gone already; nothing was left unacknowledged */ }
                    }
                    return;
                }

                var buffer = result.Buffer;
                batch.Clear();
                replies.Clear();
                RelpFrame? broken = null;
                var closing = false;
                while (!closing && framer.TryReadFrame(ref buffer, out var frame))
                {
                    if (frame.Error != RelpFrameError.None) { broken = frame; break; }
                    switch (frame.Command)
                    {
                        case RelpCommand.Open:
                            if (open) replies.Add((frame.Txnr, "200 connection already open - ignored"u8.ToArray()));
                            else if (!OffersSyslog(frame.Data)) replies.Add((frame.Txnr, Refuse(connection, frame, "client does not offer commands=syslog")));
                            else { open = true; replies.Add((frame.Txnr, OpenOffer)); }
                            break;
                        case RelpCommand.Syslog:
                            if (!open) replies.Add((frame.Txnr, Refuse(connection, frame, "session not open (send open first)")));
                            else if (ToEvent(frame, connection) is { } record) { batch.Add(record); replies.Add((frame.Txnr, Ok)); }
                            else replies.Add((frame.Txnr, Refuse(connection, frame, "empty syslog message")));
                            break;
                        case RelpCommand.Close:
                            replies.Add((frame.Txnr, Ok));
                            closing = true;
                            break;
                        default:
                            replies.Add((frame.Txnr, Refuse(connection, frame, $"command not supported: {frame.CommandText ?? frame.Command.ToString().ToLowerInvariant()}")));
                            break;
                    }
                }

                if (batch.Count > 0)
                {
                    foreach (var e in batch) state.CountEvent(e, e.Raw?.Length ?? e.Message?.Length ?? 0);
                    // The acks below are written only after this returns, i.e. once the batch is durable.
                    // Not cancelled by `stopping`: a batch already read is committed and acknowledged before closing.
                    await log.AppendAsync(batch.ToArray(), abort);
                }

                output.ResetWrittenCount();
                foreach (var (txnr, body) in replies) WriteFrame(output, txnr, "rsp", body);
                if (broken is { } bad)
                {
                    var reason = RelpFrame.Describe(bad.Error);
                    state.Reject(RejectionReason.RelpBadFrame, logger, $"RELP client {connection.Peer}: {reason}; closing the session");
                    if (bad.Txnr >= 0) WriteFrame(output, bad.Txnr, "rsp", Encoding.ASCII.GetBytes("500 " + reason));
                    output.Write(ServerClose);
                    await SendAsync(stream, output.WrittenMemory, abort);
                    return;
                }
                if (closing)
                {
                    output.Write(ServerClose);
                    await SendAsync(stream, output.WrittenMemory, abort);
                    return;
                }
                if (output.WrittenCount > 0) await SendAsync(stream, output.WrittenMemory, abort);

                reader.AdvanceTo(buffer.Start, buffer.End);
                if (result.IsCompleted)
                {
                    if (!buffer.IsEmpty)
                        logger.LogInformation("{Transport} {Peer}: closed in the middle of a frame ({Bytes} bytes, not acknowledged)",
                            state.Transport, connection.Peer, buffer.Length);
                    return;
                }
            }
        }
        catch (EventLogUnavailableException e)
        {
            // No ack for this batch: the client keeps it and resends it to a store that works.
            logger.LogWarning("{Transport} {Peer}: closing without acknowledging, the store takes no writes: {Error}",
                state.Transport, connection.Peer, e.Message);
            throw new IOException("event log unavailable", e);
        }
        finally
        {
            await reader.CompleteAsync();
        }
    }

    private EventRecord? ToEvent(in RelpFrame frame, StreamConnection connection)
    {
        var data = frame.Data;
        // rsyslog's templates end in LF; RELP carries it inside DATA before its own trailer.
        if (data.Length > 0 && data.Slice(data.Length - 1).FirstSpan[0] == '\n') data = data.Slice(0, data.Length - 1);
        if (data.Length > 0 && data.Slice(data.Length - 1).FirstSpan[0] == '\r') data = data.Slice(0, data.Length - 1);
        var truncated = frame.Truncated;
        if (data.Length > maxMessageBytes) { data = data.Slice(0, maxMessageBytes); truncated = true; }
        if (data.IsEmpty) return null;
        var record = events.FromPeerFrame(data, truncated, transport, connection.PeerText);
        record.Tags = connection.Tags;
        return record;
    }

    private byte[] Refuse(StreamConnection connection, in RelpFrame frame, string reason)
    {
        state.Reject(RejectionReason.RelpCommandRefused, logger, $"RELP client {connection.Peer}, txnr {frame.Txnr}: {reason}");
        return Encoding.ASCII.GetBytes("500 " + reason);
    }

    /// <summary>True when the open offer lists syslog among its commands ("commands=syslog" or a comma list).</summary>
    internal static bool OffersSyslog(ReadOnlySequence<byte> offer)
    {
        var text = Encoding.UTF8.GetString(offer);
        foreach (var line in text.Split('\n'))
        {
            var eq = line.IndexOf('=');
            if (eq < 0 || line.AsSpan(0, eq).Trim().SequenceEqual("commands") is false) continue;
            foreach (var value in line[(eq + 1)..].Split(','))
                if (value.Trim() == "syslog") return true;
        }
        return false;
    }

    /// <summary>TXNR SP COMMAND SP DATALEN [SP DATA] LF.</summary>
    internal static void WriteFrame(IBufferWriter<byte> output, long txnr, string command, ReadOnlySpan<byte> data)
    {
        var header = data.Length > 0
            ? string.Create(CultureInfo.InvariantCulture, $"{txnr} {command} {data.Length} ")
            : string.Create(CultureInfo.InvariantCulture, $"{txnr} {command} 0");
        Encoding.ASCII.GetBytes(header, output);
        output.Write(data);
        output.Write("\n"u8);
    }

    private static async Task SendAsync(Stream stream, ReadOnlyMemory<byte> bytes, CancellationToken abort)
    {
        await stream.WriteAsync(bytes, abort);
        await stream.FlushAsync(abort);
    }
}

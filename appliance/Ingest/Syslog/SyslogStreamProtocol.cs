using System.IO.Pipelines;
using Redoubt.Ingest.Listeners;
using Redoubt.Storage.Events;

namespace Redoubt.Ingest.Syslog;

/// <summary>
/// Syslog over a stream: TCP (RFC 6587) or TLS (RFC 5425, octet-counted; the framer detects the
/// framing per frame). Each connection reads through a pipe, cuts frames with a
/// <see cref="SyslogFramer"/> and appends what one read produced as one batch, waiting until it is
/// durable before reading on: when storage falls behind (or the ingest budget is full), senders are
/// slowed by TCP itself. A connection silent for the idle timeout is closed.
/// </summary>
public sealed class SyslogStreamProtocol(int maxMessageBytes, SyslogEvents events, EventLog log, Transport transport,
    ListenerState state, ILogger logger, IngestBudget? budget = null, TimeSpan idleTimeout = default) : IStreamProtocol
{
    public async Task ServeAsync(Stream stream, StreamConnection connection, CancellationToken stopping, CancellationToken abort)
    {
        var framer = new SyslogFramer(maxMessageBytes);
        var reader = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 64 * 1024, minimumReadSize: 16 * 1024, leaveOpen: true));
        var batch = new List<EventRecord>(256);
        using var idle = new IdleTimer(idleTimeout, stopping);
        try
        {
            while (true)
            {
                ReadResult result;
                idle.Arm();
                try { result = await reader.ReadAsync(idle.Token); }
                catch (OperationCanceledException) when (idle.Expired)
                {
                    state.CountIdleClosed();
                    logger.LogInformation("{Transport} {Peer}: closed after {Idle} without data", state.Transport, connection.Peer, idleTimeout);
                    return;
                }
                catch (OperationCanceledException) { return; }
                idle.Disarm();
                var buffer = result.Buffer;
                batch.Clear();
                long bytes = 0;
                while (framer.TryReadFrame(ref buffer, result.IsCompleted, out var frame, out var truncated))
                {
                    var record = events.FromFrame(frame, truncated, transport, connection.Peer);
                    record.Tags = connection.Tags;
                    state.CountEvent(record, frame.Length);
                    bytes += frame.Length;
                    batch.Add(record);
                }

                if (batch.Count > 0)
                {
                    // No ack to withhold over plain TCP: wait for room in the budget, and the sender waits with us.
                    if (budget is not null) await budget.AcquireAsync(bytes, Timeout.InfiniteTimeSpan, abort);
                    try
                    {
                        // Not cancelled by `stopping`: a batch already read is committed before the connection closes.
                        await log.AppendAsync(batch.ToArray(), abort);
                    }
                    finally { budget?.Release(bytes); }
                }
                reader.AdvanceTo(buffer.Start, buffer.End);
                if (result.IsCompleted) break;
            }
        }
        catch (EventLogUnavailableException e)
        {
            logger.LogWarning("{Transport} {Peer}: closing, the store takes no writes: {Error}", state.Transport, connection.Peer, e.Message);
            throw new IOException("event log unavailable", e);
        }
        finally
        {
            await reader.CompleteAsync();
        }
    }
}

using System.IO.Pipelines;
using Redoubt.Ingest.Listeners;
using Redoubt.Storage.Events;

namespace Redoubt.Ingest.Syslog;

/// <summary>
/// Syslog over a stream: TCP (RFC 6587) or TLS (RFC 5425, octet-counted; the framer detects the
/// framing per frame). Each connection reads through a pipe, cuts frames with a
/// <see cref="SyslogFramer"/> and appends what one read produced as one batch. Up to
/// <see cref="MaxBatchesInFlight"/> batches of a connection commit while it reads on (plain TCP has
/// no acks to withhold, so waiting for each commit would only cap a connection at one read per
/// fsync); beyond that, or when the ingest budget is full, it stops reading and TCP slows the sender.
/// A connection silent for the idle timeout is closed; one that ends waits until all it sent is durable.
/// </summary>
public sealed class SyslogStreamProtocol(int maxMessageBytes, SyslogEvents events, EventLog log, Transport transport,
    ListenerState state, ILogger logger, IngestBudget? budget = null, TimeSpan idleTimeout = default) : IStreamProtocol
{
    public async Task ServeAsync(Stream stream, StreamConnection connection, CancellationToken stopping, CancellationToken abort)
    {
        var framer = new SyslogFramer(maxMessageBytes);
        var reader = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 64 * 1024, minimumReadSize: 16 * 1024, leaveOpen: true));
        var batch = new List<EventRecord>(256);
        var inFlight = new Queue<Task>(MaxBatchesInFlight);
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
                    var record = events.FromPeerFrame(frame, truncated, transport, connection.PeerText);
                    record.Tags = connection.Tags;
                    state.CountEvent(record, frame.Length);
                    bytes += frame.Length;
                    batch.Add(record);
                }

                if (batch.Count > 0)
                {
                    if (inFlight.Count == MaxBatchesInFlight) await inFlight.Dequeue();
                    // No ack to withhold over plain TCP: wait for room in the budget, and the sender waits with us.
                    if (budget is not null) await budget.AcquireAsync(bytes, Timeout.InfiniteTimeSpan, abort);
                    Task<AppendResult> durable;
                    try { durable = await log.BeginAppendAsync(batch.ToArray(), abort); } // queued in read order
                    catch { budget?.Release(bytes); throw; }
                    inFlight.Enqueue(ReleaseWhenDurableAsync(durable, bytes, abort));
                }
                reader.AdvanceTo(buffer.Start, buffer.End);
                if (result.IsCompleted) break;
            }
            // Not cancelled by `stopping`: batches already read are committed before the connection closes.
            while (inFlight.Count > 0) await inFlight.Dequeue();
        }
        catch (EventLogUnavailableException e)
        {
            logger.LogWarning("{Transport} {Peer}: closing, the store takes no writes: {Error}", state.Transport, connection.Peer, e.Message);
            throw new IOException("event log unavailable", e);
        }
        finally
        {
            // An early exit (idle, stop, a failed batch) still lets the batches in flight finish and
            // give their budget back.
            while (inFlight.Count > 0)
            {
                try { await inFlight.Dequeue(); }
                catch (Exception e) when (e is EventLogUnavailableException or OperationCanceledException) { } // the store's state is reported already
                catch (Exception e) { logger.LogWarning(e, "{Transport} {Peer}: a batch failed while the connection closed", state.Transport, connection.Peer); }
            }
            await reader.CompleteAsync();
        }
    }

    /// <summary>Batches of one connection committing at once while it reads on (each one read of up to 64 KiB).</summary>
    public const int MaxBatchesInFlight = 4;

    private async Task ReleaseWhenDurableAsync(Task<AppendResult> durable, long bytes, CancellationToken abort)
    {
        try { await durable.WaitAsync(abort); }
        finally { budget?.Release(bytes); }
    }
}

using System.IO.Pipelines;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using Redoubt.Configuration;
using Redoubt.Storage.Events;

namespace Redoubt.Ingest.Http;

/// <summary>The NDJSON ingest listener's counters, registered with the other listeners.</summary>
public sealed class NdjsonListener(ListenerState state)
{
    public ListenerState State { get; } = state;
}

/// <summary>
/// POST /api/v1/ingest: NDJSON, optionally gzip (<c>Content-Encoding: gzip</c>), optionally with an
/// <c>Idempotency-Key</c>. Answers once the batch is durable. Every refusal has a stable code in
/// <c>error</c> and a sentence in <c>reason</c>: 413 body-too-large, 415 unsupported-content-encoding,
/// 400 bad-gzip / invalid-idempotency-key, 409 idempotency-key-in-flight, 422 idempotency-key-reused,
/// 503 busy, disk_full or store_failed (all with Retry-After). A retried batch with a key that was stored
/// gets the first answer again (header <c>Idempotent-Replayed: true</c>) and is not stored twice.
/// </summary>
public static class NdjsonEndpoint
{
    public static async Task<IResult> Handle(HttpContext http, EventLog log, IngestBudget budget, IdempotencyKeys keys,
        NdjsonListener listener, IOptions<RedoubtOptions> options, TimeProvider clock, ILoggerFactory loggers)
    {
        var o = options.Value.Ingest;
        var state = listener.State;
        var sender = http.Connection.RemoteIpAddress is { } ip ? $"{ip}:{http.Connection.RemotePort}" : null;

        var encoding = http.Request.Headers.ContentEncoding.ToString().Trim();
        var gzip = encoding.Equals("gzip", StringComparison.OrdinalIgnoreCase) || encoding.Equals("x-gzip", StringComparison.OrdinalIgnoreCase);
        if (!gzip && encoding.Length > 0 && !encoding.Equals("identity", StringComparison.OrdinalIgnoreCase))
            return Refuse(415, "unsupported-content-encoding", $"Content-Encoding '{encoding}' is not supported; send gzip or no encoding");

        string? key = null;
        if (http.Request.Headers.TryGetValue("Idempotency-Key", out var header))
        {
            key = IdempotencyKeys.Normalize(header.ToString());
            if (key is null)
                return Refuse(400, "invalid-idempotency-key", $"Idempotency-Key must be 1 to {IdempotencyKeys.MaxKeyLength} visible ASCII characters");
        }

        KnownBatch? known = null;
        if (key is not null)
        {
            var begun = keys.Begin(key, out known);
            if (begun == KeyState.InFlight)
            {
                http.Response.Headers.RetryAfter = "1";
                return Refuse(409, "idempotency-key-in-flight", "a request with this Idempotency-Key is still being stored; retry shortly");
            }
        }
        var ownsKey = key is not null && known is null;
        try
        {
            // The wire limit matches the decoded one; the framework's default (30 MB) would cut earlier.
            if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size) size.MaxRequestBodySize = o.MaxBodyBytes;
            using var body = new IngestBody(http.Request.Body, gzip, http.Request.ContentLength, o.MaxBodyBytes, budget, fingerprint: key is not null);
            NdjsonBatch batch;
            try
            {
                batch = await NdjsonIngest.ReadAsync(PipeReader.Create(body), o.MaxLineBytes, sender, clock, http.RequestAborted);
            }
            catch (BodyTooLargeException e)
            {
                return Refuse(413, "body-too-large", $"the body is larger than {e.Limit} bytes once decoded (Ingest:MaxBodyBytes); send smaller batches");
            }
            catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
            {
                return Refuse(413, "body-too-large", $"the body is larger than {o.MaxBodyBytes} bytes (Ingest:MaxBodyBytes); send smaller batches");
            }
            catch (IngestBusyException)
            {
                state.CountBusy();
                http.Response.Headers.RetryAfter = o.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
                return Refuse(503, "busy", "the store is behind and the ingest budget is full; nothing of this batch was stored, retry after the delay");
            }
            catch (InvalidDataException)
            {
                return Refuse(400, "bad-gzip", "Content-Encoding is gzip but the body is not valid gzip");
            }
            finally
            {
                state.CountBytes(body.WireBytes);
            }

            var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
            for (var i = 0; i < batch.Events.Count; i++) state.CountEvent(batch.Events[i], batch.EventBytes[i]);
            foreach (var _ in batch.Errors) state.CountRejected(sender, 0, now);

            var fingerprint = key is not null ? body.Fingerprint() : null;
            if (known is not null)
            {
                if (!CryptographicOperations.FixedTimeEquals(known.BodySha256, fingerprint))
                    return Refuse(422, "idempotency-key-reused", "this Idempotency-Key was used for a different batch; use a new key per batch");
                http.Response.Headers["Idempotent-Replayed"] = "true";
                return Answer(known.Ids, batch.Errors);
            }

            long[] ids = [];
            if (batch.Events.Count > 0)
            {
                if (key is not null) Mark(batch.Events, key, fingerprint!);
                try
                {
                    ids = (await log.AppendAsync(batch.Events, http.RequestAborted)).Ids;
                }
                catch (EventLogUnavailableException e)
                {
                    loggers.CreateLogger("Redoubt.Ingest.Http").LogError("ingest from {Sender}: {Count} events not stored: {Error}", sender, batch.Events.Count, e.Message);
                    http.Response.Headers.RetryAfter = o.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
                    return Refuse(503, e.Code, Api.ApiEndpoints.PublicReason(e.Code));
                }
                catch (ArgumentException e)
                {
                    // An event over the log's entry limit (its page size, fixed when the store was created): refused whole.
                    loggers.CreateLogger("Redoubt.Ingest.Http").LogWarning("ingest from {Sender}: batch refused: {Error}", sender, e.Message);
                    return Refuse(413, "event_too_large", "an event of the batch is larger than the event log's entry limit");
                }
            }
            return Answer(ids, batch.Errors);
        }
        finally
        {
            if (ownsKey) keys.End(key!);
        }
    }

    /// <summary>200 with per-line errors when something was stored; 400 when nothing of the body was storable.</summary>
    private static IResult Answer(long[] ids, List<LineError> errors)
    {
        var body = new
        {
            accepted = ids.Length,
            rejected = errors.Count,
            ids,
            errors = errors.Select(e => new { line = e.Line, error = e.Error }),
        };
        return Results.Json(body, statusCode: ids.Length == 0 && errors.Count > 0 ? 400 : 200);
    }

    private static void Mark(List<EventRecord> events, string key, byte[] fingerprint)
    {
        events[0].Batch = new BatchMark { Key = key, BodySha256 = fingerprint, Count = events.Count };
        for (var i = 1; i < events.Count; i++) events[i].Batch = new BatchMark { Key = key };
    }

    private static IResult Refuse(int status, string code, string reason) =>
        Results.Json(new { error = code, reason, accepted = 0 }, statusCode: status);
}

using System.Buffers;
using System.Globalization;
using System.Text.Json;
using Redoubt.Storage.Events;

namespace Redoubt.Api;

/// <summary>
/// GET /api/v1/export: matching events as NDJSON, oldest first, streamed from the log block by block
/// (the time index picks the blocks); nothing is collected in memory. Same filters as /events.
/// </summary>
internal static class ExportEndpoint
{
    public static async Task<IResult> Export(HttpContext http, EventLog log)
    {
        EventQuery query;
        try { query = ApiEndpoints.ParseFilters(http.Request.Query); }
        catch (ApiEndpoints.BadRequestException e) { return Results.Json(new { error = e.Message }, statusCode: 400); }

        var ct = http.RequestAborted;
        http.Response.ContentType = "application/x-ndjson";
        var name = $"redoubt-events-{DateTimeOffset.UtcNow.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture)}.ndjson";
        http.Response.Headers.ContentDisposition = $"attachment; filename=\"{name}\"";
        var body = http.Response.BodyWriter;
        await using var w = new Utf8JsonWriter(body);
        var n = 0;
        await foreach (var e in log.ExportAsync(query, ct))
        {
            w.Reset(body);
            EventJson.Write(w, e.Id, e.Event);
            w.Flush(); // into the pipe's buffer; the pipe is flushed to the socket below
            body.Write("\n"u8);
            if (++n % 512 == 0) await body.FlushAsync(ct);
        }
        await body.FlushAsync(ct);
        return Results.Empty;
    }
}

using System.Text.Json;

namespace Redoubt.Api.Access;

/// <summary>Request bodies and error replies of the access endpoints.</summary>
internal static class AccessJson
{
    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);
    private const int MaxBodyBytes = 64 * 1024;

    /// <summary>
    /// Reads a JSON body, refusing anything but application/json: a cross-site HTML form cannot send
    /// that type, and a cross-site fetch that does needs a CORS preflight the appliance never grants.
    /// </summary>
    public static async Task<T> ReadAsync<T>(HttpRequest request) where T : class
    {
        if (!request.HasJsonContentType())
            throw new AccessException(415, "json_required", "send the body as Content-Type: application/json");
        if (request.ContentLength > MaxBodyBytes)
            throw AccessException.BadRequest("body_too_large", $"the body may have at most {MaxBodyBytes} bytes");
        try
        {
            return await JsonSerializer.DeserializeAsync<T>(request.Body, Options, request.HttpContext.RequestAborted)
                ?? throw AccessException.BadRequest("invalid_json", "the body is JSON null");
        }
        catch (JsonException e)
        {
            throw AccessException.BadRequest("invalid_json", $"the body is not the expected JSON object (line {e.LineNumber + 1})");
        }
    }

    public static IResult Error(AccessException e) => Results.Json(new { error = e.Code, message = e.Message }, statusCode: e.Status);

    /// <summary>Runs an endpoint body, turning an <see cref="AccessException"/> into its JSON error.</summary>
    public static async Task<IResult> Guard(Func<Task<IResult>> body)
    {
        try { return await body(); }
        catch (AccessException e) { return Error(e); }
    }

    /// <summary>UTC ISO 8601 with milliseconds and Z, as the events API writes times.</summary>
    public static string? Iso(long? ms) => ms is { } v
        ? DateTimeOffset.FromUnixTimeMilliseconds(v).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture)
        : null;
}

using System.Globalization;
using System.Text;
using Redoubt.Api.Access;

namespace Redoubt.Detection.Iocs;

/// <summary>IOC lists in the API: import (CSV or STIX 2.1 bundle), list, one list's indicators, delete.</summary>
public static class IocEndpoints
{
    private const int MaxImportBytes = 64 * 1024 * 1024;

    public static void Map(WebApplication app)
    {
        var api = app.MapGroup("/api/v1");
        api.MapPost("/iocs", Import).RequireScope(Scopes.AlertsWrite);
        api.MapGet("/iocs", List).RequireScope(Scopes.AlertsRead);
        api.MapGet("/iocs/{list}", Show).RequireScope(Scopes.AlertsRead);
        api.MapDelete("/iocs/{list}", Delete).RequireScope(Scopes.AlertsWrite);
    }

    private static IResult Bad(string code, string message, int status = 400) => Results.Json(new { error = code, message }, statusCode: status);

    private static DateTimeOffset? Time(long? ms) => ms is { } x ? DateTimeOffset.FromUnixTimeMilliseconds(x) : null;

    private static object ListJson(IocListRecord r, IocService iocs, bool withErrors)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var items = iocs.Indicators(r);
        return new
        {
            name = r.Name, format = r.Format, importedAt = Time(r.ImportedAtMs), importedBy = r.ImportedBy,
            indicators = r.Count, expired = items.Count(i => i.ExpiresMs <= now),
            byType = items.GroupBy(i => IocTypes.Name(i.Type)).OrderBy(g => g.Key).ToDictionary(g => g.Key, g => g.Count()),
            notImported = r.ErrorCount,
            errors = withErrors ? r.Errors.Select(e => new { where = e.Where, code = e.Code, message = e.Message }) : null,
        };
    }

    /// <summary>POST /api/v1/iocs?list=NAME[&amp;format=csv|stix]: the body is the file; the format follows the content type when not given.</summary>
    private static async Task<IResult> Import(HttpContext http, IocService iocs)
    {
        var name = http.Request.Query["list"].ToString();
        if (!IocService.ValidName(name)) return Bad("bad_request", "list=NAME is required: 1..64 letters, digits, '-', '_' or '.'");
        var format = http.Request.Query["format"].ToString() is { Length: > 0 } f ? f.ToLowerInvariant()
            : http.Request.ContentType?.Contains("json", StringComparison.OrdinalIgnoreCase) == true ? "stix" : "csv";
        if (format is not ("csv" or "stix")) return Bad("bad_request", "format is csv or stix");
        if (http.Request.ContentLength > MaxImportBytes) return Bad("too_large", $"an IOC import is at most {MaxImportBytes} bytes", 413);
        string text;
        try
        {
            using var reader = new StreamReader(http.Request.Body, new UTF8Encoding(false, throwOnInvalidBytes: true));
            var buffer = new char[Math.Min(MaxImportBytes + 1, (int)(http.Request.ContentLength ?? MaxImportBytes) + 1)];
            var builder = new StringBuilder();
            int read;
            while ((read = await reader.ReadBlockAsync(buffer, http.RequestAborted)) > 0)
            {
                builder.Append(buffer, 0, read);
                if (builder.Length > MaxImportBytes) return Bad("too_large", $"an IOC import is at most {MaxImportBytes} bytes", 413);
            }
            text = builder.ToString();
        }
        catch (DecoderFallbackException) { return Bad("invalid_utf8", "the file is not valid UTF-8"); }
        var (record, parsed) = await iocs.ImportAsync(name, format, text, Actor.Of(http));
        var status = parsed.Indicators.Count == 0 ? 400 : 200;
        return Results.Json(new
        {
            list = record.Name,
            imported = parsed.Indicators.Count,
            notImported = parsed.Errors.Count,
            errors = parsed.Errors.Take(1000).Select(e => new { where = e.Where, code = e.Code, message = e.Message }),
            error = status == 400 ? "nothing_imported" : null,
        }, statusCode: status);
    }

    private static IResult List(IocService iocs) =>
        Results.Json(new { indicators = iocs.Current.Count, lists = iocs.Lists().Select(l => ListJson(l, iocs, withErrors: false)) });

    private static IResult Show(string list, HttpContext http, IocService iocs)
    {
        if (iocs.Find(list) is not { } r) return Bad("not_found", $"no IOC list is named '{list}'", 404);
        var limit = 1000;
        if (http.Request.Query["limit"].ToString() is { Length: > 0 } l && (!int.TryParse(l, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > 100_000))
            return Bad("bad_request", "limit must be 1..100000");
        return Results.Json(new
        {
            list = ListJson(r, iocs, withErrors: true),
            items = iocs.Indicators(r).Take(limit).Select(i => new
            {
                type = IocTypes.Name(i.Type), value = i.Value, source = i.Source, expires = Time(i.ExpiresMs), @ref = i.Ref, name = i.Name,
            }),
        });
    }

    private static async Task<IResult> Delete(string list, IocService iocs) =>
        await iocs.DeleteAsync(list) ? Results.Json(new { deleted = list }) : Bad("not_found", $"no IOC list is named '{list}'", 404);
}

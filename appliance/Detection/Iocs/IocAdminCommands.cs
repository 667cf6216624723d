using System.Text;
using System.Text.Json.Nodes;
using Redoubt.Api.Access;
using Redoubt.Hosting.Admin;

namespace Redoubt.Detection.Iocs;

/// <summary>
/// `redoubt import iocs FILE` as an admin command: the same import as POST /api/v1/iocs, run inside
/// the appliance (admin socket) or on a stopped appliance's data directory. The CLI sends the file's
/// bytes (base64) rather than its path: the sandboxed service cannot see /root, /home or the
/// caller's /tmp.
/// </summary>
public static class IocAdminCommands
{
    public static async Task<JsonNode?> ImportAsync(AdminCall call)
    {
        var name = call.RequiredString("list");
        if (!IocService.ValidName(name)) throw new AdminException("bad_request", "the list name is 1..64 letters, digits, '-', '_' or '.'", 2);
        var format = call.String("format") ?? "csv";
        if (format is not ("csv" or "stix")) throw new AdminException("bad_request", "format is csv or stix", 2);
        byte[] bytes;
        try { bytes = Convert.FromBase64String(call.RequiredString("content")); }
        catch (FormatException) { throw new AdminException("bad_request", "content is the file as base64", 2); }
        if (bytes.Length > IocEndpoints.MaxImportBytes) throw new AdminException("too_large", $"an IOC import is at most {IocEndpoints.MaxImportBytes} bytes");
        string text;
        try { text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes); }
        catch (DecoderFallbackException) { throw new AdminException("invalid_utf8", "the file is not valid UTF-8"); }

        // Refused before anything is stored: a file with no usable indicator must not replace a list of the same name.
        var check = format == "stix" ? IocParsers.Stix(text, name) : IocParsers.Csv(text, name);
        if (check.Indicators.Count == 0)
        {
            var first = check.Errors.FirstOrDefault() is { } f ? $" (first: {f.Where}: {f.Message})" : "";
            throw new AdminException("nothing_imported", $"no indicator in the file could be imported, nothing changed: {check.Errors.Count} errors{first}");
        }
        var (record, parsed) = await call.Services.GetRequiredService<IocService>().ImportAsync(name, format, text, call.Actor);
        await call.Services.GetRequiredService<AuditLog>().RecordAsync(call.Actor, "iocs.import", target: "iocs:" + name,
            detail: $"{format}, {parsed.Indicators.Count} indicators, {parsed.Errors.Count} not imported", ct: call.Cancellation);
        var errors = new JsonArray();
        foreach (var e in parsed.Errors.Take(1000)) errors.Add(new JsonObject { ["where"] = e.Where, ["code"] = e.Code, ["message"] = e.Message });
        return new JsonObject
        {
            ["list"] = record.Name, ["imported"] = parsed.Indicators.Count, ["notImported"] = parsed.Errors.Count, ["errors"] = errors,
        };
    }
}

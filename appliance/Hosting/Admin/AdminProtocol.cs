using System.Text.Json;
using System.Text.Json.Nodes;

namespace Redoubt.Hosting.Admin;

/// <summary>
/// The local admin socket's wire format: JSON lines, one request, one reply, on a Unix stream socket.
/// <code>
/// → {"command":"token.create","args":{"name":"web1","scopes":["ingest:write"],"days":365}}
/// ← {"ok":true,"result":{…}}
/// ← {"ok":false,"error":"no_such_token","message":"…","exitCode":1}
/// </code>
/// A connection may carry several requests in turn. Lines are UTF-8, at most <see cref="MaxLineBytes"/>;
/// a request from an allowed peer may be up to <see cref="MaxRequestBytes"/> (an import carries its file).
/// </summary>
public static class AdminProtocol
{
    public const int MaxLineBytes = 1 << 20;
    /// <summary>A 64 MiB IOC file as base64 (4/3) plus the JSON around it. Only root and the service user get this far.</summary>
    public const int MaxRequestBytes = 96 << 20;

    public static string Request(string command, JsonObject? args) =>
        new JsonObject { ["command"] = command, ["args"] = args ?? new JsonObject() }.ToJsonString();

    public static string Ok(JsonNode? result) => new JsonObject { ["ok"] = true, ["result"] = result }.ToJsonString();

    public static string Error(string code, string message, int exitCode = 1) =>
        new JsonObject { ["ok"] = false, ["error"] = code, ["message"] = message, ["exitCode"] = exitCode }.ToJsonString();

    /// <summary>Parses a request line; a malformed one is an <see cref="AdminException"/> (bad_request).</summary>
    public static (string Command, JsonObject Args) ParseRequest(string line)
    {
        try
        {
            if (JsonNode.Parse(line) is JsonObject o && o["command"] is JsonValue c && c.TryGetValue<string>(out var command))
                return (command, o["args"] as JsonObject ?? new JsonObject());
        }
        catch (JsonException)
        {
        }
        throw new AdminException("bad_request", "a request is one JSON object per line: {\"command\":\"…\",\"args\":{…}}", 2);
    }

    public static AdminReply ParseReply(string line)
    {
        JsonObject o;
        try
        {
            o = JsonNode.Parse(line) as JsonObject ?? throw new JsonException("not an object");
        }
        catch (JsonException e)
        {
            return new AdminReply(false, null, "bad_reply", "the appliance sent a reply that is not JSON: " + e.Message, 1);
        }
        var ok = o["ok"] is JsonValue v && v.TryGetValue<bool>(out var b) && b;
        return ok
            ? new AdminReply(true, o["result"]?.DeepClone(), null, null, 0)
            : new AdminReply(false, null, (string?)o["error"] ?? "failed", (string?)o["message"] ?? "failed", (int?)o["exitCode"] ?? 1);
    }
}

public sealed record AdminReply(bool Ok, JsonNode? Result, string? Error, string? Message, int ExitCode);

/// <summary>A refused admin command: a stable code, a message for a person, the CLI's exit code (1 failed, 2 usage).</summary>
public sealed class AdminException(string code, string message, int exitCode = 1) : Exception(message)
{
    public string Code { get; } = code;
    public int ExitCode { get; } = exitCode;
}

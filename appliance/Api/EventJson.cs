using System.Text;
using System.Text.Json;
using Redoubt.Storage.Events;

namespace Redoubt.Api;

/// <summary>The JSON shape of an event in the API. Names are part of the API: add, never rename.</summary>
public static class EventJson
{
    public static string TransportName(Transport t) => t switch
    {
        Transport.SyslogUdp => "syslog-udp",
        Transport.SyslogTcp => "syslog-tcp",
        Transport.SyslogTls => "syslog-tls",
        Transport.Relp => "relp",
        Transport.Forward => "forward",
        Transport.HttpNdjson => "http-ndjson",
        _ => "unknown",
    };

    public static IEnumerable<string> FlagNames(EventFlags f)
    {
        if ((f & EventFlags.ParseError) != 0) yield return "parse-error";
        if ((f & EventFlags.Truncated) != 0) yield return "truncated";
        if ((f & EventFlags.NoPri) != 0) yield return "no-pri";
        if ((f & EventFlags.InvalidUtf8) != 0) yield return "invalid-utf8";
    }

    public static void Write(Utf8JsonWriter w, long id, EventRecord e)
    {
        w.WriteStartObject();
        w.WriteNumber("id", id);
        w.WriteString("receivedAt", DateTimeOffset.FromUnixTimeMilliseconds(e.ReceivedAtMs).UtcDateTime);
        w.WriteString("time", DateTimeOffset.FromUnixTimeMilliseconds(e.TimeMs).UtcDateTime);
        w.WriteString("transport", TransportName(e.Transport));
        w.WriteString("source", e.Source);
        w.WriteString("sender", e.Sender);
        w.WriteString("format", e.Format);
        w.WriteString("host", e.Host);
        w.WriteString("app", e.App);
        w.WriteString("procId", e.ProcId);
        w.WriteString("msgId", e.MsgId);
        if (e.Facility >= 0) w.WriteNumber("facility", e.Facility); else w.WriteNull("facility");
        if (e.Severity >= 0) w.WriteNumber("severity", e.Severity); else w.WriteNull("severity");
        w.WriteString("structuredData", e.StructuredData);
        w.WriteString("message", e.Message);
        w.WriteStartArray("flags");
        foreach (var f in FlagNames(e.Flags)) w.WriteStringValue(f);
        w.WriteEndArray();
        w.WriteString("parseError", e.ParseError);
        if (e.Raw is { } raw)
        {
            // Exact bytes for tools, a readable (lossy) text for people.
            w.WriteBase64String("rawBase64", raw);
            w.WriteString("rawText", Encoding.UTF8.GetString(raw));
        }
        else
        {
            w.WriteNull("rawBase64");
            w.WriteNull("rawText");
        }
        WriteMap(w, "tags", e.Tags);
        // Named fields from the structured data and the payload decoders (CEF, LEEF, JSON, key=value; see docs/parsing.md).
        WriteMap(w, "fields", e.Fields);
        w.WritePropertyName("json");
        if (e.Json is { } json && TryWriteRaw(w, json)) { }
        else w.WriteNullValue();
        w.WriteEndObject();
    }

    private static void WriteMap(Utf8JsonWriter w, string name, Dictionary<string, string>? map)
    {
        w.WritePropertyName(name);
        if (map is not { Count: > 0 })
        {
            w.WriteNullValue();
            return;
        }
        w.WriteStartObject();
        foreach (var (key, value) in map) w.WriteString(key, value);
        w.WriteEndObject();
    }

    private static bool TryWriteRaw(Utf8JsonWriter w, string json)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            // Checked before writing: a bad string found mid-write would end the response half-written.
            // Stores written before ingest refused such lines may hold one.
            if (!Parsing.JsonStrings.AreValid(json, doc.RootElement)) return false;
            doc.RootElement.WriteTo(w);
            return true;
        }
        catch (JsonException) { return false; }
    }
}

using System.Buffers;
using System.Globalization;
using System.IO.Pipelines;
using System.Text;
using System.Text.Json;
using Redoubt.Storage.Events;

namespace Redoubt.Ingest.Http;

/// <summary>One line the batch could not store, with the reason.</summary>
public sealed record LineError(int Line, string Error);

/// <summary>What a body held: its events (with each line's size in bytes) and the lines it could not store.</summary>
public sealed record NdjsonBatch(List<EventRecord> Events, List<int> EventBytes, List<LineError> Errors);

/// <summary>
/// Agent events as NDJSON: one JSON object per line. The object is kept as it came (its text), and
/// common fields are lifted into the event so every feed can be searched the same way.
/// Valid lines are stored even when others in the batch are not; each rejected line is reported.
/// </summary>
public static class NdjsonIngest
{
    // Field names agents use for the same thing, most specific first.
    public static readonly string[] TimeFields = ["@timestamp", "timestamp", "time", "ts", "EventTime", "TimeCreated", "UtcTime", "TimeGenerated", "eventTime", "date"];
    public static readonly string[] HostFields = ["host", "hostname", "Hostname", "HostName", "Computer", "computer_name", "ComputerName", "agent_hostname", "device"];
    public static readonly string[] AppFields = ["app", "app_name", "program", "SourceName", "source_name", "Channel", "service", "ident"];
    public static readonly string[] MessageFields = ["message", "Message", "msg", "SyslogMessage", "log"];

    public static async Task<NdjsonBatch> ReadAsync(
        PipeReader body, int maxLineBytes, string? sender, TimeProvider clock, CancellationToken cancellationToken)
    {
        var events = new List<EventRecord>();
        var sizes = new List<int>();
        var errors = new List<LineError>();
        var lineNumber = 0;
        var skippingLongLine = false;
        while (true)
        {
            var result = await body.ReadAsync(cancellationToken);
            var buffer = result.Buffer;
            while (true)
            {
                var lf = buffer.PositionOf((byte)'\n');
                ReadOnlySequence<byte> line;
                if (lf is { } at)
                {
                    line = buffer.Slice(0, at);
                    buffer = buffer.Slice(buffer.GetPosition(1, at));
                }
                else if (result.IsCompleted && !buffer.IsEmpty)
                {
                    line = buffer;
                    buffer = buffer.Slice(buffer.End);
                }
                else
                {
                    if (buffer.Length > maxLineBytes && !skippingLongLine)
                    {
                        // A line this long cannot be an event we keep: report it and skip to its end.
                        lineNumber++;
                        errors.Add(new LineError(lineNumber, $"line longer than {maxLineBytes} bytes"));
                        skippingLongLine = true;
                    }
                    if (skippingLongLine) buffer = buffer.Slice(buffer.End);
                    break;
                }

                if (skippingLongLine) { skippingLongLine = false; continue; }
                lineNumber++;
                if (line.Length > maxLineBytes)
                {
                    errors.Add(new LineError(lineNumber, $"line longer than {maxLineBytes} bytes"));
                    continue;
                }
                var record = ParseLine(line, lineNumber, sender, clock, errors);
                if (record is null) continue;
                events.Add(record);
                sizes.Add((int)line.Length);
            }
            body.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted) break;
        }
        return new NdjsonBatch(events, sizes, errors);
    }

    private static readonly UTF8Encoding StrictUtf8 = new(false, throwOnInvalidBytes: true);

    private static EventRecord? ParseLine(ReadOnlySequence<byte> line, int lineNumber, string? sender, TimeProvider clock, List<LineError> errors)
    {
        var bytes = line.IsSingleSegment ? line.FirstSpan : line.ToArray();
        bytes = bytes.TrimEnd((byte)'\r');
        // A byte order mark opens the files Windows tools write (PowerShell Out-File, Notepad): it belongs to the file, not the JSON.
        if (lineNumber == 1 && bytes.StartsWith("\uFEFF"u8)) bytes = bytes[3..];
        if (bytes.Trim(" \t"u8).IsEmpty) return null; // blank lines separate nothing; not an error
        string text;
        try { text = StrictUtf8.GetString(bytes); }
        catch (DecoderFallbackException)
        {
            errors.Add(new LineError(lineNumber, "not valid UTF-8"));
            return null;
        }

        // Valid UTF-8, so exactly the text's encoding: parsed as is (not transcoded back from the text) and
        // handed to the sinks that read the JSON.
        var utf8 = bytes.ToArray();
        JsonDocument doc;
        try { doc = JsonDocument.Parse(utf8, new JsonDocumentOptions { MaxDepth = 64 }); }
        catch (JsonException e)
        {
            errors.Add(new LineError(lineNumber, "invalid JSON: " + ShortReason(e)));
            return null;
        }

        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                errors.Add(new LineError(lineNumber, $"expected a JSON object, found {doc.RootElement.ValueKind.ToString().ToLowerInvariant()}"));
                return null;
            }
            var root = doc.RootElement;
            if (!Parsing.JsonStrings.AreValid(text, root))
            {
                errors.Add(new LineError(lineNumber, "invalid JSON: " + Parsing.JsonStrings.UnpairedSurrogate));
                return null;
            }
            var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
            return new EventRecord
            {
                ReceivedAtMs = now,
                TimeMs = FindTime(root) ?? now,
                Transport = Transport.HttpNdjson,
                Source = "ingest",
                Sender = sender,
                Format = "json",
                Host = FindString(root, HostFields, nestedName: true),
                App = FindString(root, AppFields, nestedName: false),
                Message = FindString(root, MessageFields, nestedName: false),
                Json = text,
                JsonUtf8 = utf8,
            };
        }
    }

    private static string ShortReason(JsonException e)
    {
        var m = e.Message;
        var cut = m.IndexOf(" LineNumber:", StringComparison.Ordinal);
        if (cut < 0) cut = m.IndexOf(" Path:", StringComparison.Ordinal);
        return cut > 0 ? m[..cut] : m;
    }

    private static string? FindString(JsonElement root, string[] names, bool nestedName)
    {
        foreach (var name in names)
        {
            if (!root.TryGetProperty(name, out var v)) continue;
            if (v.ValueKind == JsonValueKind.String && v.GetString() is { Length: > 0 } s) return s;
            // Beats and ECS put the host under {"host":{"name":…}} or {"hostname":…}.
            if (nestedName && v.ValueKind == JsonValueKind.Object)
                foreach (var inner in (string[])["name", "hostname"])
                    if (v.TryGetProperty(inner, out var n) && n.ValueKind == JsonValueKind.String && n.GetString() is { Length: > 0 } ns)
                        return ns;
        }
        return null;
    }

    private static long? FindTime(JsonElement root)
    {
        foreach (var name in TimeFields)
        {
            if (!root.TryGetProperty(name, out var v)) continue;
            switch (v.ValueKind)
            {
                case JsonValueKind.String:
                    var s = v.GetString()!;
                    if (DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture,
                            DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var t))
                        return t.ToUnixTimeMilliseconds();
                    if (double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var sn))
                        return EpochToMs(sn);
                    break;
                case JsonValueKind.Number when v.TryGetDouble(out var n):
                    return EpochToMs(n);
            }
        }
        return null;
    }

    /// <summary>Epoch seconds (Zeek's ts, with fractions) or milliseconds, told apart by magnitude.</summary>
    private static long? EpochToMs(double value)
    {
        if (double.IsNaN(value) || value <= 0) return null;
        var ms = value < 1e11 ? value * 1000 : value;
        return ms < 253402300800000 ? (long)Math.Round(ms) : null;
    }
}

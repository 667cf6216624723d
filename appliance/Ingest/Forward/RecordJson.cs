using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using MessagePack;
using Redoubt.Ingest.Http;

namespace Redoubt.Ingest.Forward;

/// <summary>The common fields found in a record, by the same names (and precedence) as the NDJSON path.</summary>
public struct LiftedFields
{
    public string? Host, App, Message;
    internal int HostRank, AppRank, MessageRank;
    /// <summary>A string value was not valid UTF-8 (kept with replacement characters; the raw record is stored too).</summary>
    public bool InvalidUtf8;

    public static LiftedFields Empty => new() { HostRank = int.MaxValue, AppRank = int.MaxValue, MessageRank = int.MaxValue };
}

/// <summary>
/// Writes a MessagePack record as JSON text, the form agent events are kept in (as the NDJSON path
/// keeps them), and lifts host, app and message on the way using <see cref="NdjsonIngest"/>'s
/// field names, so one pass over the bytes does both. Strings that are not UTF-8 and binary values
/// that are not text become text safely (replacement characters, base64); NaN and infinities,
/// which JSON cannot hold, become strings; EventTime and timestamp extensions become ISO 8601.
/// Depth is bounded by the MessagePack security settings (untrusted data).
/// </summary>
public static class RecordJson
{
    private static readonly byte[][] HostNames = Names(NdjsonIngest.HostFields);
    private static readonly byte[][] AppNames = Names(NdjsonIngest.AppFields);
    private static readonly byte[][] MessageNames = Names(NdjsonIngest.MessageFields);
    private static readonly byte[][] NestedHostNames = Names(["name", "hostname"]);

    private enum Capture : byte { None, Host, App, Message, NestedHost }

    /// <summary>Writes the map at the reader as one JSON object. The reader must be at a map.</summary>
    public static void WriteRecord(ref MessagePackReader reader, Utf8JsonWriter json, MessagePackSecurity security, ref LiftedFields lifted)
    {
        security.DepthStep(ref reader);
        var count = reader.ReadMapHeader();
        json.WriteStartObject();
        for (var i = 0; i < count; i++)
        {
            var capture = Capture.None;
            var rank = 0;
            if (reader.NextMessagePackType == MessagePackType.String && reader.TryReadStringSpan(out var key))
            {
                WriteName(json, key, ref lifted);
                (capture, rank) = Classify(key, lifted);
            }
            else if (reader.NextMessagePackType == MessagePackType.String)
            {
                var keySequence = reader.ReadStringSequence()!.Value;
                var keyBytes = keySequence.ToArray();
                WriteName(json, keyBytes, ref lifted);
                (capture, rank) = Classify(keyBytes, lifted);
            }
            else json.WritePropertyName(KeyText(ref reader, ref lifted));
            WriteValue(ref reader, json, security, ref lifted, capture, rank);
        }
        json.WriteEndObject();
        reader.Depth--;
    }

    private static (Capture, int) Classify(ReadOnlySpan<byte> key, in LiftedFields lifted)
    {
        int r;
        if ((r = IndexOf(HostNames, key)) >= 0 && r < lifted.HostRank) return (Capture.Host, r);
        if ((r = IndexOf(AppNames, key)) >= 0 && r < lifted.AppRank) return (Capture.App, r);
        if ((r = IndexOf(MessageNames, key)) >= 0 && r < lifted.MessageRank) return (Capture.Message, r);
        return (Capture.None, 0);
    }

    private static void WriteValue(ref MessagePackReader reader, Utf8JsonWriter json, MessagePackSecurity security,
        ref LiftedFields lifted, Capture capture, int rank)
    {
        switch (reader.NextMessagePackType)
        {
            case MessagePackType.Nil:
                reader.ReadNil();
                json.WriteNullValue();
                break;
            case MessagePackType.Boolean:
                json.WriteBooleanValue(reader.ReadBoolean());
                break;
            case MessagePackType.Integer:
                if (reader.NextCode == MessagePackCode.UInt64) json.WriteNumberValue(reader.ReadUInt64());
                else json.WriteNumberValue(reader.ReadInt64());
                break;
            case MessagePackType.Float:
                var d = reader.ReadDouble();
                if (double.IsFinite(d)) json.WriteNumberValue(d);
                else json.WriteStringValue(d.ToString(CultureInfo.InvariantCulture));
                break;
            case MessagePackType.String:
                var text = Text(reader.ReadStringSequence()!.Value, ref lifted, out var valid);
                if (valid is { } utf8) json.WriteStringValue(utf8.Span);
                else json.WriteStringValue(text);
                if (capture != Capture.None) Keep(ref lifted, capture, rank, text ?? Encoding.UTF8.GetString(valid!.Value.Span));
                break;
            case MessagePackType.Binary:
                // Old clients send text as raw/bin: keep it as text when it is UTF-8, else base64.
                var bin = reader.ReadBytes()!.Value;
                var bytes = bin.IsSingleSegment ? bin.First : bin.ToArray();
                if (Utf8.IsValid(bytes.Span))
                {
                    json.WriteStringValue(bytes.Span);
                    if (capture != Capture.None) Keep(ref lifted, capture, rank, Encoding.UTF8.GetString(bytes.Span));
                }
                else json.WriteBase64StringValue(bytes.Span);
                break;
            case MessagePackType.Array:
                security.DepthStep(ref reader);
                var n = reader.ReadArrayHeader();
                json.WriteStartArray();
                for (var i = 0; i < n; i++) WriteValue(ref reader, json, security, ref lifted, Capture.None, 0);
                json.WriteEndArray();
                reader.Depth--;
                break;
            case MessagePackType.Map when capture == Capture.Host:
                // Beats and ECS put the host under {"host":{"name":…}}: lift it as the NDJSON path does.
                WriteNestedHost(ref reader, json, security, ref lifted, rank);
                break;
            case MessagePackType.Map:
                var inner = LiftedFields.Empty;
                inner.InvalidUtf8 = lifted.InvalidUtf8;
                WriteRecord(ref reader, json, security, ref inner);
                lifted.InvalidUtf8 = inner.InvalidUtf8;
                break;
            case MessagePackType.Extension:
                WriteExtension(ref reader, json);
                break;
            default:
                throw new MessagePackSerializationException($"unexpected MessagePack code 0x{reader.NextCode:x2}");
        }
    }

    private static void WriteNestedHost(ref MessagePackReader reader, Utf8JsonWriter json, MessagePackSecurity security, ref LiftedFields lifted, int rank)
    {
        security.DepthStep(ref reader);
        var count = reader.ReadMapHeader();
        json.WriteStartObject();
        for (var i = 0; i < count; i++)
        {
            var capture = Capture.None;
            if (reader.NextMessagePackType == MessagePackType.String)
            {
                var key = reader.ReadStringSequence()!.Value.ToArray();
                WriteName(json, key, ref lifted);
                if (IndexOf(NestedHostNames, key) >= 0) capture = Capture.NestedHost;
            }
            else json.WritePropertyName(KeyText(ref reader, ref lifted));
            if (capture == Capture.NestedHost && reader.NextMessagePackType == MessagePackType.String)
                WriteValue(ref reader, json, security, ref lifted, Capture.Host, rank);
            else
            {
                var inner = LiftedFields.Empty;
                WriteValue(ref reader, json, security, ref inner, Capture.None, 0);
                lifted.InvalidUtf8 |= inner.InvalidUtf8;
            }
        }
        json.WriteEndObject();
        reader.Depth--;
    }

    private static void Keep(ref LiftedFields lifted, Capture capture, int rank, string value)
    {
        if (value.Length == 0) return; // as NdjsonIngest: an empty string names nothing
        switch (capture)
        {
            case Capture.Host when rank < lifted.HostRank: lifted.Host = value; lifted.HostRank = rank; break;
            case Capture.App when rank < lifted.AppRank: lifted.App = value; lifted.AppRank = rank; break;
            case Capture.Message when rank < lifted.MessageRank: lifted.Message = value; lifted.MessageRank = rank; break;
        }
    }

    private static void WriteExtension(ref MessagePackReader reader, Utf8JsonWriter json)
    {
        var header = reader.ReadExtensionFormatHeader();
        if (header.TypeCode == -1)
        {
            json.WriteStringValue(reader.ReadDateTime(header));
            return;
        }
        var data = reader.ReadRaw(header.Length);
        Span<byte> eight = stackalloc byte[8];
        if (header.TypeCode == 0 && header.Length == 8)
        {
            data.CopyTo(eight);
            json.WriteStringValue(ForwardTime.FromEventTime(eight).UtcDateTime);
            return;
        }
        json.WriteBase64StringValue(data.ToArray());
    }

    private static void WriteName(Utf8JsonWriter json, ReadOnlySpan<byte> key, ref LiftedFields lifted)
    {
        if (Utf8.IsValid(key)) json.WritePropertyName(key);
        else
        {
            lifted.InvalidUtf8 = true;
            json.WritePropertyName(Encoding.UTF8.GetString(key));
        }
    }

    /// <summary>A map key that is not a string (Ruby and Lua clients can send numbers) as text.</summary>
    private static string KeyText(ref MessagePackReader reader, ref LiftedFields lifted)
    {
        switch (reader.NextMessagePackType)
        {
            case MessagePackType.Integer:
                return reader.NextCode == MessagePackCode.UInt64
                    ? reader.ReadUInt64().ToString(CultureInfo.InvariantCulture)
                    : reader.ReadInt64().ToString(CultureInfo.InvariantCulture);
            case MessagePackType.Boolean: return reader.ReadBoolean() ? "true" : "false";
            case MessagePackType.Nil: reader.ReadNil(); return "null";
            case MessagePackType.Float: return reader.ReadDouble().ToString(CultureInfo.InvariantCulture);
            case MessagePackType.Binary:
                var bin = reader.ReadBytes()!.Value.ToArray();
                if (Utf8.IsValid(bin)) return Encoding.UTF8.GetString(bin);
                lifted.InvalidUtf8 = true;
                return Convert.ToBase64String(bin);
            default:
                reader.Skip(); // a map or array as a key: nothing sensible to name it by
                return "?";
        }
    }

    /// <summary>
    /// The string as UTF-8 to write directly when valid (returned in <paramref name="valid"/>), or
    /// decoded with replacement characters (returned) and flagged when not.
    /// </summary>
    private static string? Text(ReadOnlySequence<byte> value, ref LiftedFields lifted, out ReadOnlyMemory<byte>? valid)
    {
        var bytes = value.IsSingleSegment ? value.First : value.ToArray();
        if (Utf8.IsValid(bytes.Span))
        {
            valid = bytes;
            return null;
        }
        valid = null;
        lifted.InvalidUtf8 = true;
        return Encoding.UTF8.GetString(bytes.Span);
    }

    private static int IndexOf(byte[][] names, ReadOnlySpan<byte> key)
    {
        for (var i = 0; i < names.Length; i++)
            if (key.SequenceEqual(names[i])) return i;
        return -1;
    }

    private static byte[][] Names(string[] names) => names.Select(Encoding.UTF8.GetBytes).ToArray();
}

/// <summary>Event times on the forward protocol: EventTime (ext type 0), integer or float seconds.</summary>
public static class ForwardTime
{
    /// <summary>EventTime payload: big-endian uint32 seconds, uint32 nanoseconds.</summary>
    public static DateTimeOffset FromEventTime(ReadOnlySpan<byte> eight)
    {
        var seconds = BinaryPrimitives.ReadUInt32BigEndian(eight);
        var nanos = BinaryPrimitives.ReadUInt32BigEndian(eight[4..]);
        return DateTimeOffset.FromUnixTimeSeconds(seconds).AddTicks(Math.Min(nanos, 999_999_999u) / 100);
    }
}

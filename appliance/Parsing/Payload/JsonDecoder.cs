using System.Buffers;
using System.Text;
using System.Text.Json;
using Redoubt.Storage.Events;

namespace Redoubt.Parsing.Payload;

/// <summary>
/// A JSON object as the message (structured logging, CEE `@cee:` cookie). Nested objects are flattened with '.'
/// ("user.name"); strings are unescaped, numbers and booleans kept as written, arrays kept as their JSON text,
/// nulls left out. Trailing text after the object is ignored (the message keeps it).
/// </summary>
internal static class JsonDecoder
{
    private const int MaxDepth = 32, MaxPath = 256;

    public static void Decode(ReadOnlySpan<char> s, EventRecord e)
    {
        int max = Encoding.UTF8.GetMaxByteCount(s.Length);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(max);
        try
        {
            int n = Encoding.UTF8.GetBytes(s, buffer);
            Fields.Mark(e, "json", Read(buffer.AsSpan(0, n), Fields.Of(e)));
        }
        finally { ArrayPool<byte>.Shared.Return(buffer); }
    }

    private static string? Read(ReadOnlySpan<byte> json, Dictionary<string, string> fields)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = MaxDepth + 1, AllowMultipleValues = true, CommentHandling = JsonCommentHandling.Skip });
        Span<char> path = stackalloc char[MaxPath];
        Span<int> lengths = stackalloc int[MaxDepth + 1]; // path length at each object depth
        int depth = 0, pathLen = 0;
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) return "not a JSON object";
            lengths[0] = 0;
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.EndObject:
                        if (depth == 0) return null; // the top-level object is complete
                        depth--;
                        pathLen = lengths[depth];
                        break;
                    case JsonTokenType.PropertyName:
                        pathLen = lengths[depth];
                        if (pathLen > 0 && pathLen < MaxPath) path[pathLen++] = '.';
                        int written = AppendName(ref reader, path[pathLen..]);
                        pathLen += written;
                        if (!reader.Read()) return "unexpected end of JSON";
                        if (reader.TokenType == JsonTokenType.StartObject)
                        {
                            depth++;
                            lengths[depth] = pathLen;
                        }
                        else if (!AddValue(ref reader, json, path[..pathLen], fields)) return null;
                        break;
                }
            }
            return "unexpected end of JSON";
        }
        catch (JsonException ex)
        {
            return $"invalid JSON at byte {reader.BytesConsumed}: {Short(ex.Message)}";
        }
        catch (InvalidOperationException)
        {
            // Utf8JsonReader.GetString on an escaped lone surrogate ("\ud800").
            return $"invalid JSON at byte {reader.BytesConsumed}: {JsonStrings.UnpairedSurrogate}";
        }
    }

    private static int AppendName(scoped ref Utf8JsonReader reader, scoped Span<char> into)
    {
        if (into.IsEmpty) return 0;
        if (!reader.ValueIsEscaped && !reader.HasValueSequence && reader.ValueSpan.Length <= into.Length)
            return Encoding.UTF8.GetChars(reader.ValueSpan, into);
        string name = reader.GetString() ?? "";
        int n = Math.Min(name.Length, into.Length);
        name.AsSpan(0, n).CopyTo(into);
        return n;
    }

    /// <summary>Adds the scalar (or array) at the reader; false when the event has no room for more fields.</summary>
    private static bool AddValue(scoped ref Utf8JsonReader reader, ReadOnlySpan<byte> json, scoped ReadOnlySpan<char> name, Dictionary<string, string> fields)
    {
        string? value;
        switch (reader.TokenType)
        {
            case JsonTokenType.String:
                value = reader.GetString();
                break;
            case JsonTokenType.Number:
                value = Encoding.UTF8.GetString(reader.ValueSpan);
                break;
            case JsonTokenType.True:
                value = "true";
                break;
            case JsonTokenType.False:
                value = "false";
                break;
            case JsonTokenType.StartArray:
                int start = (int)reader.TokenStartIndex;
                reader.Skip();
                value = Encoding.UTF8.GetString(json[start..((int)reader.TokenStartIndex + 1)]);
                break;
            default:
                return true; // null
        }
        return value is null || Fields.Add(fields, name, value, overwrite: false);
    }

    private static string Short(string message)
    {
        int cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        return cut > 0 ? message[..cut] : message;
    }
}

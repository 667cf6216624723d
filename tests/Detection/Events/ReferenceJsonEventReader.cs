using System.Buffers;
using System.Text;
using System.Text.Json;
using Redoubt.Detection.Events;

namespace Redoubt.Tests.Detection.Events;

/// <summary>
/// The reader detection used until 2026-12 (Utf8JsonReader, validating every token), kept as the
/// oracle the faster scanner in appliance/Detection/Events/JsonEventReader.cs must agree with.
/// </summary>
public sealed class ReferenceJsonEventReader(JsonFlattening flattening)
{
    private readonly string[][] _prefixes = flattening.StripPrefixes.Select(p => p.TrimEnd('.').Split('.')).ToArray();
    private readonly HashSet<string> _embedded = new(flattening.EmbeddedJson, StringComparer.OrdinalIgnoreCase);
    private byte[] _utf8 = new byte[8192];
    private char[] _path = new char[512];
    private readonly Stack<Frame> _frames = new();

    private readonly record struct Frame(int BaseLength, char Separator);

    /// <summary>Reads <paramref name="json"/>; false when it is not a JSON object (the fields read so far stay).</summary>
    public bool Read(string json, EventFields fields)
    {
        var max = Encoding.UTF8.GetMaxByteCount(json.Length);
        if (max > _utf8.Length) _utf8 = new byte[Math.Max(max, _utf8.Length * 2)];
        var length = Encoding.UTF8.GetBytes(json, _utf8);
        return ReadUtf8(_utf8.AsSpan(0, length), fields, 0, depth: 0);
    }

    private bool ReadUtf8(ReadOnlySpan<byte> utf8, EventFields fields, int basePath, int depth)
    {
        var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { MaxDepth = 64 });
        var frames = _frames;
        var frameFloor = frames.Count;
        var pathLength = basePath;
        var nextSeparator = '.';
        try
        {
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.StartObject:
                        frames.Push(new Frame(pathLength, nextSeparator));
                        nextSeparator = '.';
                        break;
                    case JsonTokenType.StartArray:
                        frames.Push(new Frame(pathLength, '.'));
                        break;
                    case JsonTokenType.EndObject:
                    case JsonTokenType.EndArray:
                        pathLength = frames.Pop().BaseLength;
                        break;
                    case JsonTokenType.PropertyName:
                    {
                        var frame = frames.Peek();
                        pathLength = frame.BaseLength;
                        var nameLength = reader.HasValueSequence ? checked((int)reader.ValueSequence.Length) : reader.ValueSpan.Length;
                        EnsurePath(pathLength + nameLength + 1);
                        var at = pathLength > 0 ? pathLength + 1 : 0;
                        var written = reader.CopyString(_path.AsSpan(at, nameLength));
                        // Sigma names a field "as it appears in the log source" with spaces removed (Source Name → SourceName).
                        if (_path.AsSpan(at, written).Contains(' ')) written = RemoveSpaces(_path.AsSpan(at, written));
                        var name = _path.AsSpan(at, written);
                        if (name.SequenceEqual("#attributes")) { nextSeparator = '_'; break; }
                        if (name.SequenceEqual("#text")) break;
                        if (pathLength > 0) _path[pathLength] = frame.Separator;
                        pathLength = at + written;
                        break;
                    }
                    default:
                        Leaf(ref reader, fields, pathLength, depth);
                        break;
                }
            }
            return true;
        }
        catch (JsonException)
        {
            while (frames.Count > frameFloor) frames.Pop();
            return false;
        }
    }

    private static int RemoveSpaces(Span<char> name)
    {
        var n = 0;
        foreach (var c in name) if (c != ' ') name[n++] = c;
        return n;
    }

    private void EnsurePath(int length)
    {
        if (length > _path.Length) Array.Resize(ref _path, Math.Max(length, _path.Length * 2));
    }

    private void Leaf(ref Utf8JsonReader reader, EventFields fields, int pathLength, int depth)
    {
        var names = fields.Names;
        var path = _path.AsSpan(0, pathLength);
        var found = names.TryGet(path, out var slot);
        var stripped = Strip(path);
        var foundStripped = stripped.Length != path.Length && names.TryGet(stripped, out var strippedSlot) && (!found || strippedSlot != slot)
            ? strippedSlot : -1;
        var keyword = fields.CollectKeywords && reader.TokenType == JsonTokenType.String;
        var embedded = reader.TokenType == JsonTokenType.String && _embedded.Count > 0 && depth == 0 && IsEmbedded(path, stripped);
        if (!found && foundStripped < 0 && !keyword && !embedded) return;

        int start, length;
        ValueKind kind;
        switch (reader.TokenType)
        {
            case JsonTokenType.String:
            {
                var max = reader.HasValueSequence ? checked((int)reader.ValueSequence.Length) : reader.ValueSpan.Length;
                length = reader.CopyString(fields.Reserve(max));
                start = fields.Commit(length);
                kind = ValueKind.String;
                break;
            }
            case JsonTokenType.Number:
            {
                var raw = reader.HasValueSequence ? reader.ValueSequence.ToArray() : reader.ValueSpan;
                var span = fields.Reserve(raw.Length);
                for (var i = 0; i < raw.Length; i++) span[i] = (char)raw[i];
                length = raw.Length;
                start = fields.Commit(length);
                kind = ValueKind.Number;
                break;
            }
            case JsonTokenType.True:
                "true".CopyTo(fields.Reserve(4)); length = 4; start = fields.Commit(4); kind = ValueKind.Bool;
                break;
            case JsonTokenType.False:
                "false".CopyTo(fields.Reserve(5)); length = 5; start = fields.Commit(5); kind = ValueKind.Bool;
                break;
            default:
                start = fields.Commit(0); length = 0; kind = ValueKind.Null;
                break;
        }
        if (found) LinkWithAlias(fields, slot, start, length, kind);
        if (foundStripped >= 0) LinkWithAlias(fields, foundStripped, start, length, kind);
        if (keyword) fields.Link(FieldNames.Keywords, start, length, kind);
        if (embedded) ReadEmbedded(fields, start, length, pathLength, depth);
    }

    private static void LinkWithAlias(EventFields fields, int slot, int start, int length, ValueKind kind)
    {
        fields.Link(slot, start, length, kind);
        var alias = fields.Names.AliasOf(slot);
        if (alias >= 0) fields.Link(alias, start, length, kind);
    }

    private bool IsEmbedded(ReadOnlySpan<char> path, ReadOnlySpan<char> stripped)
    {
        var lookup = _embedded.GetAlternateLookup<ReadOnlySpan<char>>();
        return lookup.Contains(path) || lookup.Contains(stripped);
    }

    /// <summary>A string that holds a JSON object: read it as if nested under its field's path.</summary>
    private void ReadEmbedded(EventFields fields, int start, int length, int pathLength, int depth)
    {
        var text = fields.RawText(start, length);
        var trimmed = text.TrimStart();
        if (trimmed.Length == 0 || trimmed[0] != '{') return;
        var bytes = new byte[Encoding.UTF8.GetMaxByteCount(text.Length)]; // rare feed shape: clarity over pooling
        var n = Encoding.UTF8.GetBytes(text, bytes);
        ReadUtf8(bytes.AsSpan(0, n), fields, pathLength, depth + 1);
    }

    /// <summary>The path with the first matching strip prefix removed, or the path itself.</summary>
    private ReadOnlySpan<char> Strip(ReadOnlySpan<char> path)
    {
        foreach (var prefix in _prefixes)
        {
            var rest = path;
            var ok = true;
            foreach (var segment in prefix)
            {
                var dot = rest.IndexOf('.');
                if (dot < 0) { ok = false; break; }
                if (segment != "*" && !rest[..dot].SequenceEqual(segment)) { ok = false; break; }
                rest = rest[(dot + 1)..];
            }
            if (ok) return rest;
        }
        return path;
    }
}

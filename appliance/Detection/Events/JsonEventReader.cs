using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using Redoubt.Storage.Events;

namespace Redoubt.Detection.Events;

/// <summary>
/// How nested JSON becomes flat field names (from logsources.yaml, section `json`).
/// A nested value is named by its dotted path (process.command_line); XML-attribute objects
/// (`#attributes`) join with an underscore as the Sigma spec says for evtx (Provider_Name), `#text`
/// is the element's own value; and each path under a <see cref="StripPrefixes"/> entry also answers
/// to the rest of its path (Event.EventData.Image is also Image).
/// </summary>
public sealed class JsonFlattening
{
    /// <summary>Dotted prefixes; a `*` segment stands for any one name (Event.UserData.*.).</summary>
    public IReadOnlyList<string> StripPrefixes { get; init; } = [];
    /// <summary>Fields whose string value is itself a JSON object (Azure's EventData), read as nested JSON.</summary>
    public IReadOnlyList<string> EmbeddedJson { get; init; } = [];
}

/// <summary>
/// Reads an agent event's JSON (RFC 8259) once into <see cref="EventFields"/>, keeping only the
/// fields some rule needs (and, when keyword rules are loaded, every string value). Reuses its buffers.
/// </summary>
/// <remarks>
/// A scanner of its own rather than Utf8JsonReader: most of an event's bytes are values no rule
/// reads (the rendered Message of a Windows event), and Utf8JsonReader validates every byte of every
/// string, one at a time once a string has an escape (perf/RESULTS.md, 2026-12-04: it was most of
/// the detection cost). This scanner first maps the text's unescaped quotes in one vectorised pass
/// (<see cref="JsonQuotes"/>), so a skipped string's end is a bit search, and decodes only the values it keeps. The structure is checked as strictly as before
/// (a malformed event stops the read, the fields read so far stay); the insides of skipped values
/// are not validated — ingestion has already rejected events that are not valid JSON objects.
/// </remarks>
public sealed class JsonEventReader(JsonFlattening flattening)
{
    /// <summary>Nesting limit, as Utf8JsonReader's MaxDepth was (and ingestion's).</summary>
    private const int MaxDepth = 64;
    /// <summary>Distinct field paths remembered with their slots; feeds have a few hundred, a hostile one must not grow memory.</summary>
    private const int MaxCachedPaths = 4096;

    private readonly string[][] _prefixes = flattening.StripPrefixes.Select(p => p.TrimEnd('.').Split('.')).ToArray();
    private readonly HashSet<string> _embedded = new(flattening.EmbeddedJson, StringComparer.OrdinalIgnoreCase);
    private byte[] _utf8 = new byte[8192];
    private char[] _path = new char[512];
    // The text being scanned: its unescaped quotes and its backslashes, a bit per byte (JsonQuotes).
    private ulong[] _quotes = new ulong[128];
    private ulong[] _backslashes = new ulong[128];
    /// <summary>The words of the maps that belong to the text being scanned (the arrays are reused and may be longer).</summary>
    private int _words;
    private Frame[] _frames = new Frame[16];
    private int _frameCount;

    // Path → slots, so a field name is looked up (case-insensitively, prefixes stripped) once per feed, not per event.
    private readonly Dictionary<string, PathSlots> _paths = new(StringComparer.Ordinal);
    private Dictionary<string, PathSlots>.AlternateLookup<ReadOnlySpan<char>> _pathLookup;
    private FieldNames? _pathNames;
    private int _pathNamesCount;

    private readonly record struct PathSlots(int Slot, int Stripped, bool Embedded);

    // Paths as a tree of member names, so a member is found from its UTF-8 name under its object's
    // node (a short hash and compare), not by widening it and hashing the whole dotted path per value.
    // At most MaxCachedPaths nodes; past that, members fall back to the dotted path in _path.
    private PathNode _root = new("");
    private int _nodes;

    private struct Frame
    {
        /// <summary>The object's (or array's) path node, or null when its path is only in _path (the tree was full).</summary>
        public PathNode? Node;
        public int BaseLength;
        public char Separator;
        public bool Array;
    }

    /// <summary>Reads the event's <see cref="EventRecord.Json"/>, from the UTF-8 the ingest kept when there is one.</summary>
    public bool Read(EventRecord record, EventFields fields) =>
        record.JsonUtf8 is { } utf8 ? Read(utf8.AsSpan(), fields) : Read(record.Json!, fields);

    /// <summary>Reads <paramref name="json"/>; false when it is not well-formed JSON (the fields read so far stay).</summary>
    public bool Read(string json, EventFields fields)
    {
        var max = Encoding.UTF8.GetMaxByteCount(json.Length);
        if (max > _utf8.Length) _utf8 = new byte[Math.Max(max, _utf8.Length * 2)];
        var length = Encoding.UTF8.GetBytes(json, _utf8);
        return Read(_utf8.AsSpan(0, length), fields);
    }

    /// <summary>Reads UTF-8 JSON; false when it is not well-formed JSON (the fields read so far stay).</summary>
    public bool Read(ReadOnlySpan<byte> utf8, EventFields fields)
    {
        if (!ReferenceEquals(_pathNames, fields.Names) || _pathNamesCount != fields.Names.Count)
        {
            _paths.Clear();
            _pathLookup = _paths.GetAlternateLookup<ReadOnlySpan<char>>();
            _pathNames = fields.Names;
            _pathNamesCount = fields.Names.Count;
            _root = new PathNode("");
            _nodes = 0;
        }
        var words = JsonQuotes.Words(utf8.Length);
        if (words > _quotes.Length)
        {
            _quotes = new ulong[Math.Max(words, _quotes.Length * 2)];
            _backslashes = new ulong[_quotes.Length];
        }
        JsonQuotes.Build(utf8, _quotes, _backslashes);
        _words = words;
        return Scan(utf8, fields, _root, 0, depth: 0);
    }

    /// <summary>One JSON text; <paramref name="depth"/> counts embedded-JSON levels (only the outer event's fields are embedded).</summary>
    private bool Scan(ReadOnlySpan<byte> json, EventFields fields, PathNode? baseNode, int basePath, int depth)
    {
        var floor = _frameCount;
        // The current path: its node when it has one, else its length in _path.
        var node = baseNode;
        var pathLength = basePath;
        var nextSeparator = '.';
        var i = Ws(json, 0);
        while (true)
        {
            // A value starts at i.
            if (i >= json.Length) return Fail(floor);
            var b = json[i];
            if (b == '{')
            {
                if (_frameCount - floor == MaxDepth) return Fail(floor);
                Push(node, pathLength, nextSeparator, array: false);
                nextSeparator = '.';
                i = Ws(json, i + 1);
                if (i < json.Length && json[i] == '}') { i++; pathLength = Pop(out node); goto after; }
                goto name;
            }
            if (b == '[')
            {
                if (_frameCount - floor == MaxDepth) return Fail(floor);
                Push(node, pathLength, '.', array: true);
                i = Ws(json, i + 1);
                if (i < json.Length && json[i] == ']') { i++; pathLength = Pop(out node); goto after; }
                continue;
            }
            if (!Leaf(json, ref i, fields, node, pathLength, depth)) return Fail(floor);

        after:
            i = Ws(json, i);
            if (_frameCount == floor) return i == json.Length || Fail(floor);
            if (i >= json.Length) return Fail(floor);
            b = json[i];
            var inArray = _frames[_frameCount - 1].Array;
            if (b == ',')
            {
                i = Ws(json, i + 1);
                if (inArray) continue;
                goto name;
            }
            if (b == (inArray ? (byte)']' : (byte)'}')) { i++; pathLength = Pop(out node); goto after; }
            return Fail(floor);

        name:
            {
                // A member name starts at i; the path becomes the object's path plus this name.
                if (i >= json.Length || json[i] != '"') return Fail(floor);
                var end = StringEnd(i + 1, out var escaped);
                if (end < 0) return Fail(floor);
                var frame = _frames[_frameCount - 1];
                var raw = json[(i + 1)..end];
                if (frame.Node is { } parent)
                {
                    var child = parent.Find(raw, frame.Separator);
                    if (child < 0 && _nodes < MaxCachedPaths) child = AddChild(parent, raw, escaped, frame.Separator);
                    if (child == -2) return Fail(floor); // a bad escape in the name
                    if (child >= 0)
                    {
                        node = parent.Targets[child];
                        if (parent.Attributes[child]) nextSeparator = '_';
                        goto value;
                    }
                    // The tree is full: this member's path goes into _path.
                    EnsurePath(parent.Path.Length);
                    parent.Path.CopyTo(_path);
                    frame.BaseLength = parent.Path.Length;
                }
                node = null;
                pathLength = frame.BaseLength;
                EnsurePath(pathLength + raw.Length + 1);
                var at = pathLength > 0 ? pathLength + 1 : 0;
                var written = Name(raw, escaped, _path.AsSpan(at, raw.Length));
                if (written < 0) return Fail(floor);
                var member = _path.AsSpan(at, written);
                if (written > 0 && member[0] == '#' && member.SequenceEqual("#attributes")) nextSeparator = '_';
                else if (written == 0 || member[0] != '#' || !member.SequenceEqual("#text"))
                {
                    if (pathLength > 0) _path[pathLength] = frame.Separator;
                    pathLength = at + written;
                }
            value:
                i = Ws(json, end + 1);
                if (i >= json.Length || json[i] != ':') return Fail(floor);
                i = Ws(json, i + 1);
            }
        }
    }

    private bool Fail(int floor)
    {
        _frameCount = floor;
        return false;
    }

    private void Push(PathNode? node, int baseLength, char separator, bool array)
    {
        if (_frameCount == _frames.Length) Array.Resize(ref _frames, _frames.Length * 2);
        _frames[_frameCount++] = new Frame { Node = node, BaseLength = baseLength, Separator = separator, Array = array };
    }

    private int Pop(out PathNode? node)
    {
        ref var frame = ref _frames[--_frameCount];
        node = frame.Node;
        return frame.BaseLength;
    }

    /// <summary>A new child of <paramref name="parent"/> for the member name <paramref name="raw"/>: its index, or -2 on a bad escape.</summary>
    private int AddChild(PathNode parent, ReadOnlySpan<byte> raw, bool escaped, char separator)
    {
        var name = new char[raw.Length];
        var written = Name(raw, escaped, name);
        if (written < 0) return -2;
        var member = name.AsSpan(0, written);
        _nodes++;
        if (member.SequenceEqual("#attributes")) return parent.Add(raw, separator, parent, attributes: true);
        if (member.SequenceEqual("#text")) return parent.Add(raw, separator, parent, attributes: false);
        var path = parent.Path.Length > 0 ? string.Concat(parent.Path, new string(separator, 1), member) : member.ToString();
        return parent.Add(raw, separator, new PathNode(path), attributes: false);
    }

    private static int Ws(ReadOnlySpan<byte> json, int i)
    {
        while (i < json.Length && json[i] is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r') i++;
        return i;
    }

    /// <summary>The index of the quote closing a string whose contents start at <paramref name="from"/>, or -1 (from the text's quote map).</summary>
    private int StringEnd(int from, out bool escaped) =>
        JsonQuotes.End(_quotes.AsSpan(0, _words), _backslashes.AsSpan(0, _words), from, out escaped);

    /// <summary>A member name into <paramref name="into"/>: plain ASCII (nearly every name) widened in one pass; -1 on a bad escape.</summary>
    private static int Name(ReadOnlySpan<byte> raw, bool escaped, Span<char> into)
    {
        var space = false;
        var written = 0;
        if (!escaped)
        {
            for (; written < raw.Length; written++)
            {
                var c = raw[written];
                if (c >= 0x80) break;
                space |= c == ' ';
                into[written] = (char)c;
            }
        }
        if (escaped || written < raw.Length)
        {
            written = Decode(raw, escaped, into);
            if (written < 0) return -1;
            space = into[..written].Contains(' ');
        }
        // Sigma names a field "as it appears in the log source" with spaces removed (Source Name → SourceName).
        return space ? RemoveSpaces(into[..written]) : written;
    }

    /// <summary>A string's contents (between the quotes) as UTF-16 into <paramref name="into"/> (as long as the bytes); -1 on a bad escape.</summary>
    private static int Decode(ReadOnlySpan<byte> raw, bool escaped, Span<char> into)
    {
        if (!escaped) return Encoding.UTF8.GetChars(raw, into);
        var written = 0;
        while (true)
        {
            var k = raw.IndexOf((byte)'\\');
            // Runs end at a backslash, which is ASCII: never inside a multi-byte sequence.
            written += Encoding.UTF8.GetChars(k < 0 ? raw : raw[..k], into[written..]);
            if (k < 0) return written;
            if (k + 1 >= raw.Length) return -1;
            char c;
            var used = 2;
            switch (raw[k + 1])
            {
                case (byte)'"': c = '"'; break;
                case (byte)'\\': c = '\\'; break;
                case (byte)'/': c = '/'; break;
                case (byte)'b': c = '\b'; break;
                case (byte)'f': c = '\f'; break;
                case (byte)'n': c = '\n'; break;
                case (byte)'r': c = '\r'; break;
                case (byte)'t': c = '\t'; break;
                case (byte)'u':
                    if (k + 6 > raw.Length || !TryHex(raw.Slice(k + 2, 4), out c)) return -1;
                    used = 6;
                    break;
                default: return -1;
            }
            into[written++] = c;
            raw = raw[(k + used)..];
        }
    }

    private static bool TryHex(ReadOnlySpan<byte> hex, out char c)
    {
        var v = 0;
        foreach (var h in hex)
        {
            var d = h switch
            {
                >= (byte)'0' and <= (byte)'9' => h - '0',
                >= (byte)'a' and <= (byte)'f' => h - 'a' + 10,
                >= (byte)'A' and <= (byte)'F' => h - 'A' + 10,
                _ => -1,
            };
            if (d < 0) { c = '\0'; return false; }
            v = v * 16 + d;
        }
        c = (char)v;
        return true;
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

    /// <summary>A scalar value at <paramref name="i"/>: kept when some slot (or keywords, or embedded JSON) wants it; <paramref name="i"/> moves past it.</summary>
    private bool Leaf(ReadOnlySpan<byte> json, ref int i, EventFields fields, PathNode? node, int pathLength, int depth)
    {
        var b = json[i];
        if (b == '"')
        {
            var end = StringEnd(i + 1, out var escaped);
            if (end < 0) return false;
            var raw = json[(i + 1)..end];
            i = end + 1;
            var slots = node is null ? Resolve(pathLength) : node.Slots(this);
            var keyword = fields.CollectKeywords;
            var embedded = slots.Embedded && depth == 0;
            if (slots.Slot < 0 && slots.Stripped < 0 && !keyword && !embedded) return true;
            var length = Decode(raw, escaped, fields.Reserve(raw.Length));
            if (length < 0) return false;
            var start = fields.Commit(length);
            Link(fields, slots, start, length, ValueKind.String);
            if (keyword) fields.Link(FieldNames.Keywords, start, length, ValueKind.String);
            if (embedded) ReadEmbedded(fields, start, length, node, pathLength, depth);
            return true;
        }
        if (b is (byte)'-' or >= (byte)'0' and <= (byte)'9')
        {
            var from = i;
            while (i < json.Length && json[i] is >= (byte)'0' and <= (byte)'9' or (byte)'-' or (byte)'+' or (byte)'.' or (byte)'e' or (byte)'E') i++;
            var slots = node is null ? Resolve(pathLength) : node.Slots(this);
            if (slots.Slot < 0 && slots.Stripped < 0) return true;
            var raw = json[from..i];
            var span = fields.Reserve(raw.Length);
            for (var k = 0; k < raw.Length; k++) span[k] = (char)raw[k];
            Link(fields, slots, fields.Commit(raw.Length), raw.Length, ValueKind.Number);
            return true;
        }
        ReadOnlySpan<byte> literal;
        ValueKind kind;
        switch (b)
        {
            case (byte)'t': literal = "true"u8; kind = ValueKind.Bool; break;
            case (byte)'f': literal = "false"u8; kind = ValueKind.Bool; break;
            case (byte)'n': literal = "null"u8; kind = ValueKind.Null; break;
            default: return false;
        }
        if (!json[i..].StartsWith(literal)) return false;
        i += literal.Length;
        var s = node is null ? Resolve(pathLength) : node.Slots(this);
        if (s.Slot < 0 && s.Stripped < 0) return true;
        if (kind == ValueKind.Null) Link(fields, s, fields.Commit(0), 0, kind);
        else
        {
            var text = b == 't' ? "true" : "false";
            text.CopyTo(fields.Reserve(text.Length));
            Link(fields, s, fields.Commit(text.Length), text.Length, kind);
        }
        return true;
    }

    private static void Link(EventFields fields, PathSlots slots, int start, int length, ValueKind kind)
    {
        if (slots.Slot >= 0) LinkWithAlias(fields, slots.Slot, start, length, kind);
        if (slots.Stripped >= 0) LinkWithAlias(fields, slots.Stripped, start, length, kind);
    }

    private static void LinkWithAlias(EventFields fields, int slot, int start, int length, ValueKind kind)
    {
        fields.Link(slot, start, length, kind);
        var alias = fields.Names.AliasOf(slot);
        if (alias >= 0) fields.Link(alias, start, length, kind);
    }

    /// <summary>The slots of the current path: its own, the one of its stripped form (if another), whether it holds embedded JSON.</summary>
    private PathSlots Resolve(int pathLength)
    {
        var path = _path.AsSpan(0, pathLength);
        if (_pathLookup.TryGetValue(path, out var cached)) return cached;
        var result = Lookup(path);
        if (_paths.Count < MaxCachedPaths) _paths[path.ToString()] = result;
        return result;
    }

    /// <summary>The slots of a path, looked up (case-insensitively, its stripped form too).</summary>
    private PathSlots Lookup(ReadOnlySpan<char> path)
    {
        var names = _pathNames!;
        var found = names.TryGet(path, out var slot);
        var stripped = Strip(path);
        var strippedSlot = stripped.Length != path.Length && names.TryGet(stripped, out var s) && (!found || s != slot) ? s : -1;
        var embedded = _embedded.Count > 0 && IsEmbedded(path, stripped);
        return new PathSlots(found ? slot : -1, strippedSlot, embedded);
    }

    /// <summary>A path: its dotted name, its slots (looked up on first use), its members by their UTF-8 names.</summary>
    private sealed class PathNode(string path)
    {
        public readonly string Path = path;
        private PathSlots _slots;
        private bool _resolved;
        // Open addressing on the raw name bytes and the separator they join with.
        private byte[]?[] _keys = new byte[]?[4];
        private char[] _separators = new char[4];
        private int[] _index = new int[4];
        public PathNode[] Targets = new PathNode[2];
        /// <summary>The member is `#attributes`: its object's members join with '_'.</summary>
        public bool[] Attributes = new bool[2];
        private int _count;

        public PathSlots Slots(JsonEventReader reader)
        {
            if (!_resolved)
            {
                _slots = reader.Lookup(Path);
                _resolved = true;
            }
            return _slots;
        }

        private static uint Hash(ReadOnlySpan<byte> name, char separator)
        {
            var h = (uint)name.Length * 0x9E3779B1u ^ separator;
            if (name.Length >= 4)
            {
                h = (h ^ BinaryPrimitives.ReadUInt32LittleEndian(name)) * 0x85EBCA6Bu;
                h = (h ^ BinaryPrimitives.ReadUInt32LittleEndian(name[^4..])) * 0xC2B2AE35u;
                if (name.Length >= 8) h = (h ^ BinaryPrimitives.ReadUInt32LittleEndian(name[(name.Length / 2 - 2)..])) * 0x27D4EB2Fu;
            }
            else foreach (var b in name) h = (h ^ b) * 0x01000193u;
            return h ^ h >> 15;
        }

        /// <summary>The index of the member named <paramref name="name"/> (raw UTF-8, as in the text), or -1.</summary>
        public int Find(ReadOnlySpan<byte> name, char separator)
        {
            var mask = _keys.Length - 1;
            for (var at = (int)(Hash(name, separator) & (uint)mask); ; at = (at + 1) & mask)
            {
                var key = _keys[at];
                if (key is null) return -1;
                if (_separators[at] == separator && name.SequenceEqual(key)) return _index[at];
            }
        }

        public int Add(ReadOnlySpan<byte> name, char separator, PathNode target, bool attributes)
        {
            if ((_count + 1) * 2 > _keys.Length) Grow();
            if (_count == Targets.Length)
            {
                Array.Resize(ref Targets, _count * 2);
                Array.Resize(ref Attributes, _count * 2);
            }
            Targets[_count] = target;
            Attributes[_count] = attributes;
            Insert(name.ToArray(), separator, _count);
            return _count++;
        }

        private void Insert(byte[] name, char separator, int index)
        {
            var mask = _keys.Length - 1;
            var at = (int)(Hash(name, separator) & (uint)mask);
            while (_keys[at] is not null) at = (at + 1) & mask;
            _keys[at] = name;
            _separators[at] = separator;
            _index[at] = index;
        }

        private void Grow()
        {
            var (keys, separators, index) = (_keys, _separators, _index);
            _keys = new byte[]?[keys.Length * 2];
            _separators = new char[keys.Length * 2];
            _index = new int[keys.Length * 2];
            for (var k = 0; k < keys.Length; k++)
                if (keys[k] is { } key) Insert(key, separators[k], index[k]);
        }
    }

    private bool IsEmbedded(ReadOnlySpan<char> path, ReadOnlySpan<char> stripped)
    {
        var lookup = _embedded.GetAlternateLookup<ReadOnlySpan<char>>();
        return lookup.Contains(path) || lookup.Contains(stripped);
    }

    /// <summary>A string that holds a JSON object: read it as if nested under its field's path.</summary>
    private void ReadEmbedded(EventFields fields, int start, int length, PathNode? node, int pathLength, int depth)
    {
        var text = fields.RawText(start, length);
        var trimmed = text.TrimStart();
        if (trimmed.Length == 0 || trimmed[0] != '{') return;
        var bytes = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(text.Length));
        var n = Encoding.UTF8.GetBytes(text, bytes);
        var words = JsonQuotes.Words(n);
        var quotes = ArrayPool<ulong>.Shared.Rent(words);
        var backslashes = ArrayPool<ulong>.Shared.Rent(words);
        var (outerQuotes, outerBackslashes, outerWords) = (_quotes, _backslashes, _words);
        try
        {
            JsonQuotes.Build(bytes.AsSpan(0, n), quotes, backslashes);
            _quotes = quotes;
            _backslashes = backslashes;
            _words = words;
            Scan(bytes.AsSpan(0, n), fields, node, pathLength, depth + 1);
        }
        finally
        {
            (_quotes, _backslashes, _words) = (outerQuotes, outerBackslashes, outerWords);
            ArrayPool<ulong>.Shared.Return(quotes);
            ArrayPool<ulong>.Shared.Return(backslashes);
            ArrayPool<byte>.Shared.Return(bytes);
        }
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

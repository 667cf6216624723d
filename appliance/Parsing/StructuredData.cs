using Redoubt.Storage.Events;

namespace Redoubt.Parsing;

/// <summary>RFC 5424 STRUCTURED-DATA: `[SD-ID *(SP PARAM-NAME="value")]+`, values escaping only `"`, `\` and `]`.</summary>
internal static class StructuredData
{
    private const int MaxSdName = 32;

    /// <summary>Reads `[id k="v" ...]+` from pos; returns an error reason, or null with pos after the last `]`.</summary>
    public static string? Validate(ReadOnlySpan<byte> m, ref int pos)
    {
        if (pos >= m.Length || m[pos] != (byte)'[') return "invalid structured data";
        Span<int> ids = stackalloc int[32]; // (start, length) pairs of the first 16 SD-IDs, for the duplicate check
        int idCount = 0;
        while (pos < m.Length && m[pos] == (byte)'[')
        {
            pos++;
            int idStart = pos;
            int idLen = SdName(m, pos);
            if (idLen == 0) return "invalid structured data element id";
            pos += idLen;
            var id = m.Slice(idStart, idLen);
            for (int k = 0; k < idCount; k++)
                if (m.Slice(ids[2 * k], ids[2 * k + 1]).SequenceEqual(id)) return "duplicate structured data element id";
            if (idCount < 16) { ids[2 * idCount] = idStart; ids[2 * idCount + 1] = idLen; idCount++; }

            while (true)
            {
                if (pos >= m.Length) return "unterminated structured data element";
                if (m[pos] == (byte)']') { pos++; break; }
                if (m[pos] != (byte)' ') return "invalid structured data element";
                pos++;
                int nameLen = SdName(m, pos);
                if (nameLen == 0) return "invalid structured data parameter name";
                pos += nameLen;
                if (pos + 1 >= m.Length || m[pos] != (byte)'=' || m[pos + 1] != (byte)'"') return "invalid structured data parameter";
                pos += 2;
                while (true)
                {
                    if (pos >= m.Length) return "unterminated structured data parameter value";
                    byte b = m[pos];
                    if (b == (byte)'"') { pos++; break; }
                    if (b == (byte)']') return "unescaped ']' in structured data parameter value";
                    if (b == (byte)'\\')
                    {
                        if (pos + 1 >= m.Length) return "unterminated structured data parameter value";
                        // RFC 5424 6.3.3: a backslash before any other character is an ordinary backslash, not an error.
                        pos += IsEscapable(m[pos + 1]) ? 2 : 1;
                        continue;
                    }
                    pos++;
                }
            }
        }
        return null;
    }

    /// <summary>
    /// Adds every SD-PARAM of already validated structured data to <see cref="EventRecord.Fields"/> under its
    /// PARAM-NAME, value unescaped. A name seen before (in another element, or repeated) is stored as
    /// `SD-ID.PARAM-NAME` instead, so no value is lost silently.
    /// </summary>
    public static void AddFields(ReadOnlySpan<byte> sd, EventRecord into)
    {
        var fields = into.Fields ??= new Dictionary<string, string>(sd.Count("=\""u8), StringComparer.Ordinal);
        int pos = 0;
        Span<byte> scratch = stackalloc byte[256];
        Span<byte> qualified = stackalloc byte[MaxSdName * 2 + 1];
        while (pos < sd.Length && sd[pos] == (byte)'[')
        {
            pos++;
            int idLen = SdName(sd, pos);
            var id = sd.Slice(pos, idLen);
            pos += idLen;
            while (pos < sd.Length && sd[pos] == (byte)' ')
            {
                pos++;
                int nameLen = SdName(sd, pos);
                var name = sd.Slice(pos, nameLen);
                pos += nameLen + 2; // ="
                int start = pos;
                bool escaped = false;
                while (sd[pos] != (byte)'"')
                {
                    if (sd[pos] == (byte)'\\' && IsEscapable(sd[pos + 1])) { escaped = true; pos++; }
                    pos++;
                }
                var raw = sd[start..pos];
                pos++;
                string value = escaped ? Unescape(raw, scratch) : TextCache.Value(raw);
                string key = TextCache.Ascii(name);
                if (!fields.TryAdd(key, value))
                {
                    id.CopyTo(qualified);
                    qualified[id.Length] = (byte)'.';
                    name.CopyTo(qualified[(id.Length + 1)..]);
                    fields[TextCache.Ascii(qualified[..(id.Length + 1 + name.Length)])] = value;
                }
            }
            pos++; // ]
        }
    }

    /// <summary>`[key:"` at pos: the start of Check Point's own structured data.</summary>
    public static bool IsCheckPoint(ReadOnlySpan<byte> m, int pos)
    {
        if (pos >= m.Length || m[pos] != (byte)'[') return false;
        int i = pos + 1;
        while (i < m.Length && i - pos <= 64 && IsCheckPointKeyChar(m[i])) i++;
        if (i == pos + 1) return false;
        while (i < m.Length && m[i] == (byte)':') i++;
        return i < m.Length && m[i] == (byte)'"' && m[i - 1] == (byte)':';
    }

    /// <summary>After the `]` that closes Check Point data (quotes and `\x` escapes respected), or the end if cut short.</summary>
    public static int CheckPointEnd(ReadOnlySpan<byte> m, int pos)
    {
        bool quoted = false;
        for (int i = pos + 1; i < m.Length; i++)
        {
            byte b = m[i];
            if (b == (byte)'\\') { i++; continue; }
            if (b == (byte)'"') quoted = !quoted;
            else if (b == (byte)']' && !quoted) return i + 1;
        }
        return m.Length;
    }

    /// <summary>Check Point pairs `key:"value";` (also `key::"value"`) into Fields; marks decoder "checkpoint".</summary>
    public static void AddCheckPointFields(ReadOnlySpan<byte> sd, EventRecord into)
    {
        var fields = into.Fields ??= new Dictionary<string, string>(32, StringComparer.Ordinal);
        string? error = null;
        Span<byte> scratch = stackalloc byte[256];
        int i = 1;
        while (true)
        {
            while (i < sd.Length && (sd[i] == (byte)' ' || sd[i] == (byte)';')) i++;
            if (i >= sd.Length) { error = "Check Point structured data has no closing ']'"; break; }
            if (sd[i] == (byte)']') break;
            int keyStart = i;
            while (i < sd.Length && i - keyStart <= 64 && IsCheckPointKeyChar(sd[i])) i++;
            int keyEnd = i;
            while (i < sd.Length && sd[i] == (byte)':') i++;
            if (keyEnd == keyStart || i == keyEnd || i >= sd.Length || sd[i] != (byte)'"')
            {
                error = $"Check Point structured data not `key:\"value\"` at byte {i}";
                break;
            }
            int start = ++i;
            bool escaped = false;
            while (i < sd.Length && sd[i] != (byte)'"')
            {
                if (sd[i] == (byte)'\\' && i + 1 < sd.Length && IsEscapable(sd[i + 1])) { escaped = true; i++; }
                i++;
            }
            var raw = sd[start..Math.Min(i, sd.Length)];
            fields.TryAdd(TextCache.Ascii(sd[keyStart..keyEnd]), escaped ? Unescape(raw, scratch) : TextCache.Value(raw));
            if (i >= sd.Length) { error = "Check Point structured data value has no closing quote"; break; }
            i++;
        }
        fields[Payload.PayloadDecoders.DecoderField] = "checkpoint";
        if (error is not null) fields[Payload.PayloadDecoders.ErrorField] = error;
    }

    private static bool IsCheckPointKeyChar(byte b) => b > 32 && b < 127 && b is not ((byte)':' or (byte)'"' or (byte)']' or (byte)';' or (byte)'[' or (byte)'=');

    private static string Unescape(ReadOnlySpan<byte> raw, Span<byte> scratch)
    {
        byte[]? rented = raw.Length > scratch.Length ? new byte[raw.Length] : null;
        Span<byte> buf = rented ?? scratch;
        int n = 0;
        for (int i = 0; i < raw.Length; i++)
        {
            if (raw[i] == (byte)'\\' && i + 1 < raw.Length && IsEscapable(raw[i + 1])) i++;
            buf[n++] = raw[i];
        }
        return SyslogParser.Text(buf[..n]);
    }

    private static bool IsEscapable(byte b) => b is (byte)'"' or (byte)'\\' or (byte)']';

    /// <summary>SD-NAME: 1-32 PRINTUSASCII except '=', SP, ']', '"'. Returns its length (0 = none).</summary>
    private static int SdName(ReadOnlySpan<byte> m, int pos)
    {
        int i = pos;
        while (i < m.Length && i - pos <= MaxSdName)
        {
            byte b = m[i];
            if (b < 33 || b > 126 || b == (byte)'=' || b == (byte)']' || b == (byte)'"') break;
            i++;
        }
        int len = i - pos;
        return len > MaxSdName ? 0 : len;
    }
}

using System.Buffers;
using Redoubt.Storage.Events;

namespace Redoubt.Parsing.Payload;

/// <summary>
/// ArcSight Common Event Format: `CEF:Version|Device Vendor|Device Product|Device Version|Device Event Class ID|Name|Severity|Extension`.
/// Header fields escape `\|` and `\\`; the extension is `key=value` pairs separated by spaces, a value running up to
/// the next ` key=` (so values keep their spaces), escaping `\=`, `\\`, `\n` and `\r`.
/// Header fields are named cefVersion, deviceVendor, deviceProduct, deviceVersion, deviceEventClassId, name, severity;
/// extension keys are kept as sent (src, dst, cs1Label, custom dotted keys...).
/// </summary>
internal static class CefDecoder
{
    private static readonly string[] HeaderNames = ["cefVersion", "deviceVendor", "deviceProduct", "deviceVersion", "deviceEventClassId", "name", "severity"];

    /// <summary><paramref name="s"/> starts with "CEF:".</summary>
    public static void Decode(ReadOnlySpan<char> s, EventRecord e)
    {
        var fields = Fields.Of(e, s.Count('=') + 8);
        int pos = 4;
        for (int n = 0; n < HeaderNames.Length; n++)
        {
            int end = NextPipe(s, pos);
            if (end < 0)
            {
                Fields.Mark(e, "cef", $"CEF header has {n} of {HeaderNames.Length} fields before the extension");
                return;
            }
            var raw = s[pos..end];
            fields[HeaderNames[n]] = n == 0 ? new string(raw.Trim()) : Unescape(raw, extension: false);
            pos = end + 1;
        }
        Fields.Mark(e, "cef", ReadExtension(s[pos..], fields));
    }

    /// <summary>The extension's pairs, first value of a repeated key kept. Returns an error reason or null.</summary>
    internal static string? ReadExtension(ReadOnlySpan<char> x, Dictionary<string, string> fields)
    {
        int i = 0;
        while (i < x.Length && x[i] == ' ') i++;
        if (i == x.Length) return null;
        int keyEnd = KeyAt(x, i);
        if (keyEnd < 0) return "extension does not start with key=value";
        while (true)
        {
            var key = x[i..keyEnd];
            int v = keyEnd + 1, j = v, next = -1;
            while (j < x.Length)
            {
                char c = x[j];
                if (c == '\\') { j += 2; continue; }
                if (c == ' ' && KeyAt(x, j + 1) > 0) { next = j; break; }
                j++;
            }
            int valueEnd = next < 0 ? x.Length : next;
            if (!Fields.Add(fields, key, Unescape(x[v..Math.Min(valueEnd, x.Length)].TrimEnd(' '), extension: true), overwrite: false)) return null;
            if (next < 0) return null;
            i = next + 1;
            keyEnd = KeyAt(x, i);
        }
    }

    /// <summary>Index of the '=' ending a key that starts at i, or -1.</summary>
    private static int KeyAt(ReadOnlySpan<char> x, int i)
    {
        int j = i;
        while (j < x.Length && j - i <= Fields.MaxNameLength && IsKeyChar(x[j])) j++;
        return j > i && j < x.Length && x[j] == '=' ? j : -1;
    }

    // Dotted and bracketed custom keys ("ad.field[0]") and Beats' sample "ad.Error_,Code" are keys too.
    private static bool IsKeyChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-' or '[' or ']' or ',';

    private static int NextPipe(ReadOnlySpan<char> s, int pos)
    {
        for (int i = pos; i < s.Length; i++)
        {
            if (s[i] == '\\') { i++; continue; }
            if (s[i] == '|') return i;
        }
        return -1;
    }

    /// <summary>Header: `\|` `\\`. Extension: `\=` `\\` `\n` `\r` (and `\|`, which some senders write). Other backslashes stay.</summary>
    internal static string Unescape(ReadOnlySpan<char> raw, bool extension)
    {
        if (raw.IndexOf('\\') < 0) return TextCache.Value(raw);
        char[]? rented = raw.Length > 256 ? ArrayPool<char>.Shared.Rent(raw.Length) : null;
        Span<char> buf = rented ?? stackalloc char[256];
        int n = 0;
        for (int i = 0; i < raw.Length; i++)
        {
            char c = raw[i];
            if (c == '\\' && i + 1 < raw.Length)
            {
                char next = raw[i + 1];
                char? plain = next switch
                {
                    '\\' or '|' => next,
                    '=' when extension => '=',
                    'n' when extension => '\n',
                    'r' when extension => '\r',
                    _ => null,
                };
                if (plain is { } p) { buf[n++] = p; i++; continue; }
            }
            buf[n++] = c;
        }
        var result = new string(buf[..n]);
        if (rented is not null) ArrayPool<char>.Shared.Return(rented);
        return result;
    }
}

using System.Globalization;
using Redoubt.Storage.Events;

namespace Redoubt.Parsing.Payload;

/// <summary>
/// IBM QRadar Log Event Extended Format. 1.0: `LEEF:1.0|Vendor|Product|Version|EventID|attributes`, attributes
/// `key=value` separated by TAB. 2.0: `LEEF:2.0|Vendor|Product|Version|EventID|DelimiterCharacter|attributes`, the
/// delimiter written as one character or as hex (`x09`, `0x5e`); without it, TAB. A 1.0 line with no TAB at all is
/// read like a CEF extension (space separated, values up to the next ` key=`). `\=` in a value is '='.
/// Header fields are named leefVersion, deviceVendor, deviceProduct, deviceVersion, eventId; attribute keys as sent.
/// </summary>
internal static class LeefDecoder
{
    private static readonly string[] HeaderNames = ["leefVersion", "deviceVendor", "deviceProduct", "deviceVersion", "eventId"];

    /// <summary><paramref name="s"/> starts with "LEEF:".</summary>
    public static void Decode(ReadOnlySpan<char> s, EventRecord e)
    {
        var fields = Fields.Of(e, s.Count('=') + 6);
        int pos = 5;
        for (int n = 0; n < HeaderNames.Length; n++)
        {
            int end = NextPipe(s, pos);
            if (end < 0)
            {
                Fields.Mark(e, "leef", $"LEEF header has {n} of {HeaderNames.Length} fields before the attributes");
                return;
            }
            var raw = s[pos..end];
            fields[HeaderNames[n]] = n == 0 ? new string(raw.Trim()) : CefDecoder.Unescape(raw, extension: false);
            pos = end + 1;
        }

        char delimiter = '\t';
        bool explicitDelimiter = false;
        if (!s[5..].StartsWith("1.", StringComparison.Ordinal))
        {
            // 2.0: a delimiter field before the attributes, if the next '|' closes something that can be one.
            int end = s[pos..].IndexOf('|');
            if (end >= 0 && TryDelimiter(s.Slice(pos, end), out char d))
            {
                delimiter = d;
                explicitDelimiter = true;
                pos += end + 1;
            }
            else if (end >= 0 && end <= 6 && s.Slice(pos, end).IndexOf('=') < 0)
            {
                Fields.Mark(e, "leef", $"LEEF 2.0 delimiter '{new string(s.Slice(pos, end))}' is not a character or a hex code");
                return;
            }
        }
        var attributes = s[pos..];
        if (!explicitDelimiter && attributes.IndexOf('\t') < 0 && attributes.IndexOf('=') > 0)
        {
            Fields.Mark(e, "leef", CefDecoder.ReadExtension(attributes, fields)); // space separated, as many 1.0 senders do
            return;
        }
        ReadDelimited(attributes, delimiter, fields);
        Fields.Mark(e, "leef");
    }

    private static void ReadDelimited(ReadOnlySpan<char> a, char delimiter, Dictionary<string, string> fields)
    {
        while (!a.IsEmpty)
        {
            int end = a.IndexOf(delimiter);
            var pair = end < 0 ? a : a[..end];
            a = end < 0 ? default : a[(end + 1)..];
            int eq = pair.IndexOf('=');
            if (eq <= 0) continue; // empty or not key=value: the message keeps it
            if (!Fields.Add(fields, pair[..eq].Trim(), Unescape(pair[(eq + 1)..]), overwrite: false)) return;
        }
    }

    /// <summary>`^`, `x09`, `0x09`, `\t`-style hex for control characters.</summary>
    private static bool TryDelimiter(ReadOnlySpan<char> f, out char d)
    {
        d = '\t';
        if (f.Length == 1 && f[0] != '=') { d = f[0]; return true; }
        var hex = f.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? f[2..]
            : f.StartsWith("x", StringComparison.OrdinalIgnoreCase) ? f[1..] : default;
        if (hex.Length is < 1 or > 4 || !int.TryParse(hex, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out int code) || code == 0 || code == '=')
            return false;
        d = (char)code;
        return true;
    }

    private static string Unescape(ReadOnlySpan<char> raw)
    {
        if (raw.IndexOf("\\=", StringComparison.Ordinal) < 0) return TextCache.Value(raw);
        return raw.ToString().Replace("\\=", "=", StringComparison.Ordinal);
    }

    private static int NextPipe(ReadOnlySpan<char> s, int pos)
    {
        for (int i = pos; i < s.Length; i++)
        {
            if (s[i] == '\\') { i++; continue; }
            if (s[i] == '|') return i;
        }
        return -1;
    }
}

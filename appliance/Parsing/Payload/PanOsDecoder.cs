using Redoubt.Storage.Events;

namespace Redoubt.Parsing.Payload;

/// <summary>
/// Palo Alto Networks PAN-OS syslog in its default CSV form: `FUTURE_USE,Receive Time,Serial,Type,Subtype,...`.
/// Recognised by `digits,YYYY/MM/DD hh:mm:ss,serial,TYPE,`; columns are named after PAN-OS's field list for the
/// types whose layout is fixed across versions (TRAFFIC, THREAT, SYSTEM, CONFIG); other types get the common
/// first seven. Quoted columns (`"a,b"`, `""` for a quote) are unquoted; empty columns are left out.
/// </summary>
internal static class PanOsDecoder
{
    private static readonly string[] Common = ["", "receive_time", "serial", "type", "subtype", "", "time_generated"];
    private static readonly string[] Session =
        ["src", "dst", "natsrc", "natdst", "rule", "srcuser", "dstuser", "app", "vsys", "from", "to", "inbound_if", "outbound_if",
         "logset", "", "sessionid", "repeatcnt", "sport", "dport", "natsport", "natdport", "flags", "proto", "action"];
    private static readonly string[] Traffic = ["bytes", "bytes_sent", "bytes_received", "packets", "start", "elapsed", "category"];
    private static readonly string[] Threat = ["misc", "threatid", "category", "severity", "direction"];
    private static readonly string[] System = ["vsys", "eventid", "object", "", "", "module", "severity", "opaque"];
    private static readonly string[] Config = ["host", "vsys", "cmd", "admin", "client", "result", "path"];

    public static bool Matches(ReadOnlySpan<char> s)
    {
        int i = 0;
        while (i < s.Length && i < 4 && char.IsAsciiDigit(s[i])) i++;
        if (i == 0 || s.Length < i + 24 || s[i] != ',') return false;
        var t = s.Slice(i + 1, 20);
        if (!(char.IsAsciiDigit(t[0]) && t[4] == '/' && t[7] == '/' && t[10] == ' ' && t[13] == ':' && t[16] == ':' && t[19] == ',')) return false;
        int serialEnd = s[(i + 21)..].IndexOf(',');
        if (serialEnd < 0) return false;
        var type = s[(i + 22 + serialEnd)..];
        int typeEnd = type.IndexOf(',');
        if (typeEnd < 2) return false;
        foreach (char c in type[..typeEnd])
            if (!(char.IsAsciiLetterUpper(c) || c == '-')) return false;
        return true;
    }

    public static void Decode(ReadOnlySpan<char> s, EventRecord e)
    {
        var fields = Fields.Of(e, 48);
        string[]? rest = null;
        int column = 0, pos = 0;
        string? error = null;
        while (pos <= s.Length)
        {
            ReadOnlySpan<char> value;
            string? unquoted = null;
            if (pos < s.Length && s[pos] == '"')
            {
                int close = pos + 1;
                bool doubled = false;
                while (true)
                {
                    close = s[close..].IndexOf('"') is int q and >= 0 ? close + q : -1;
                    if (close < 0 || close + 1 >= s.Length || s[close + 1] != '"') break;
                    doubled = true;
                    close += 2;
                }
                if (close < 0) { error = $"unterminated quoted column {column + 1}"; value = s[(pos + 1)..]; pos = s.Length + 1; }
                else
                {
                    value = s[(pos + 1)..close];
                    if (doubled) unquoted = value.ToString().Replace("\"\"", "\"", StringComparison.Ordinal);
                    pos = close + 1 < s.Length && s[close + 1] == ',' ? close + 2 : s.Length + 1;
                }
            }
            else
            {
                int comma = s[pos..].IndexOf(',');
                value = comma < 0 ? s[pos..] : s.Slice(pos, comma);
                pos = comma < 0 ? s.Length + 1 : pos + comma + 1;
            }

            string name = NameOf(column, ref rest, fields);
            if (name.Length > 0 && !value.IsEmpty && !Fields.Add(fields, name, unquoted ?? TextCache.Value(value), overwrite: false)) break;
            column++;
        }
        Fields.Mark(e, "panos", error);
    }

    private static string NameOf(int column, ref string[]? rest, Dictionary<string, string> fields)
    {
        if (column < Common.Length) return Common[column];
        rest ??= fields.GetValueOrDefault("type") switch
        {
            "TRAFFIC" => [.. Session, .. Traffic],
            "THREAT" => [.. Session, .. Threat],
            "SYSTEM" => System,
            "CONFIG" => Config,
            _ => [],
        };
        int i = column - Common.Length;
        return i < rest.Length ? rest[i] : "";
    }
}

using Redoubt.Storage.Events;

namespace Redoubt.Parsing.Payload;

/// <summary>
/// `key=value` pairs as FortiGate, FortiMail, SonicWall, Sophos, iptables (netfilter LOG), auditd and sshd/pam write them:
/// separated by spaces (or ", " as Huawei does), values either bare (up to the next space; may contain '=') or in
/// double or single quotes (then with spaces and '=', `\"` and `\\` escaped), `key=` alone is an empty value.
/// Text before the first pair and words without '=' (iptables flags such as DF, SYN) are left in the message only.
/// Applies only when the message has at least two pairs; the first value of a repeated key is kept.
/// </summary>
internal static class KeyValueDecoder
{
    private const int MinPairs = 2;

    public static void TryDecode(ReadOnlySpan<char> s, EventRecord e)
    {
        if (s.IndexOf('=') < 0 || CountPairs(s, MinPairs) < MinPairs) return;
        var fields = Fields.Of(e, s.Count('=') + 2);
        string? error = null;
        bool commaSeparated = IsCommaSeparated(s);
        int i = 0;
        while (i < s.Length)
        {
            if (!TryKey(s, i, out int keyStart, out int keyEnd)) { i = SkipWord(s, i); continue; }
            var key = s[keyStart..keyEnd];
            int v = keyEnd + 1;
            string value;
            if (v < s.Length && s[v] is '"' or '\'')
            {
                char quote = s[v];
                int close = ClosingQuote(s, v + 1, quote);
                if (close < 0)
                {
                    error ??= $"unterminated quoted value of '{Shorten(key)}'";
                    value = Unquote(s[(v + 1)..], quote);
                    i = s.Length;
                }
                else
                {
                    value = Unquote(s[(v + 1)..close], quote);
                    i = close + 1;
                    if (i < s.Length && s[i] == ',') i++;
                }
            }
            else if (commaSeparated)
            {
                // Huawei "a=x y, b=z": the value runs to the next ", key=".
                int end = v;
                while (end < s.Length && !(s[end] == ',' && end + 1 < s.Length && IsSpace(s[end + 1]) && TryKey(s, end + 2, out _))) end++;
                int valueEnd = end;
                if (valueEnd > v && s[valueEnd - 1] == ')' && s[v..valueEnd].IndexOf('(') < 0) valueEnd--; // "(a=1, b=2)"
                value = TextCache.Value(s[v..valueEnd]);
                i = Math.Min(end + 1, s.Length);
            }
            else
            {
                int end = v;
                while (end < s.Length && !IsSpace(s[end])) end++;
                int valueEnd = end > v && s[end - 1] == ',' ? end - 1 : end; // Huawei: "a=1, b=2"
                if (valueEnd > v && s[valueEnd - 1] == ')' && s[v..valueEnd].IndexOf('(') < 0) valueEnd--; // "(a=1, b=2)"
                value = TextCache.Value(s[v..valueEnd]);
                i = end;
            }
            if (!Fields.Add(fields, key, value, overwrite: false)) break;
            while (i < s.Length && IsSpace(s[i])) i++;
        }
        Fields.Mark(e, "kv", error);
    }

    /// <summary>True when the first bare value is followed by ", " (Huawei's "key=value, key=value").</summary>
    private static bool IsCommaSeparated(ReadOnlySpan<char> s)
    {
        int i = 0;
        while (i < s.Length && !TryKey(s, i, out _)) i = SkipWord(s, i);
        if (!TryKey(s, i, out int keyEnd) || keyEnd + 1 >= s.Length || s[keyEnd + 1] is '"' or '\'') return false;
        int end = keyEnd + 1;
        while (end < s.Length && !IsSpace(s[end])) end++;
        return end > keyEnd + 1 && s[end - 1] == ',';
    }

    /// <summary>Pairs whose key starts a word, counted up to <paramref name="enough"/>.</summary>
    private static int CountPairs(ReadOnlySpan<char> s, int enough)
    {
        int count = 0, i = 0;
        while (i < s.Length && count < enough)
        {
            if (TryKey(s, i, out _)) count++;
            i = SkipWord(s, i);
        }
        return count;
    }

    /// <summary>A key at i: a letter or '_', then letters, digits, '_', '.', '-', ending at '='.</summary>
    private static bool TryKey(ReadOnlySpan<char> s, int i, out int keyEnd) => TryKey(s, i, out _, out keyEnd);

    private static bool TryKey(ReadOnlySpan<char> s, int i, out int keyStart, out int keyEnd)
    {
        keyEnd = -1;
        if (i < s.Length && s[i] == '(') i++; // Huawei: "(SyslogId=1906054, ..."
        keyStart = i;
        if (i >= s.Length || !(char.IsAsciiLetter(s[i]) || s[i] == '_')) return false;
        int j = i + 1;
        while (j < s.Length && j - i <= Fields.MaxNameLength && (char.IsAsciiLetterOrDigit(s[j]) || s[j] is '_' or '.' or '-')) j++;
        if (j >= s.Length || s[j] != '=') return false;
        keyEnd = j;
        return true;
    }

    private static int SkipWord(ReadOnlySpan<char> s, int i)
    {
        while (i < s.Length && !IsSpace(s[i])) i++;
        while (i < s.Length && IsSpace(s[i])) i++;
        return i;
    }

    private static int ClosingQuote(ReadOnlySpan<char> s, int from, char quote)
    {
        for (int i = from; i < s.Length; i++)
        {
            if (s[i] == '\\' && i + 1 < s.Length && (s[i + 1] == quote || s[i + 1] == '\\')) { i++; continue; }
            if (s[i] == quote) return i;
        }
        return -1;
    }

    private static string Unquote(ReadOnlySpan<char> raw, char quote)
    {
        if (raw.IndexOf('\\') < 0) return TextCache.Value(raw);
        var sb = new System.Text.StringBuilder(raw.Length);
        for (int i = 0; i < raw.Length; i++)
        {
            if (raw[i] == '\\' && i + 1 < raw.Length && (raw[i + 1] == quote || raw[i + 1] == '\\')) i++;
            sb.Append(raw[i]);
        }
        return sb.ToString();
    }

    private static bool IsSpace(char c) => c is ' ' or '\t';

    private static string Shorten(ReadOnlySpan<char> key) => key.Length > 32 ? new string(key[..32]) + "…" : new string(key);
}

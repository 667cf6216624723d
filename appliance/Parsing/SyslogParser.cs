using System.Text;
using System.Text.Unicode;
using Redoubt.Storage.Events;

namespace Redoubt.Parsing;

/// <summary>
/// Reads the header of one syslog message (RFC 5424 or RFC 3164 / BSD as real devices send it)
/// straight from the received bytes. Allocates only the strings it stores.
/// </summary>
public static class SyslogParser
{
    private const int MaxHostname = 255, MaxAppName = 48, MaxProcId = 128, MaxMsgId = 32, MaxSdName = 32;

    /// Parses one already-de-framed syslog message (no trailing LF; the framer strips one trailing LF/CRLF)
    /// into `into`. Never throws on any input. Sets: TimeMs (UTC unix ms; = receivedAt when the message has no usable time),
    /// Host, App, ProcId, MsgId, Facility, Severity, StructuredData (RFC 5424 SD as on the wire, escapes kept; null for NILVALUE "-"),
    /// Message, Format ("rfc5424" or "rfc3164"), Flags (NoPri when no &lt;PRI&gt;: then facility 1 severity 5 per RFC 3164 4.3.3;
    /// InvalidUtf8 when bytes are not valid UTF-8: text decoded with U+FFFD and the exact bytes kept in Raw;
    /// ParseError with a short human reason in ParseError and the exact bytes in Raw when the header cannot be read at all).
    /// Does not touch ReceivedAtMs, Transport, Sender, Source (the caller sets them).
    public static void Parse(ReadOnlySpan<byte> message, DateTimeOffset receivedAt, TimeZoneInfo sourceZone, EventRecord into)
    {
        into.Flags &= ~(EventFlags.ParseError | EventFlags.NoPri | EventFlags.InvalidUtf8);
        into.TimeMs = receivedAt.ToUnixTimeMilliseconds();
        into.Host = into.App = into.ProcId = into.MsgId = into.StructuredData = into.Message = null;
        into.ParseError = null;
        into.Raw = null;
        try
        {
            if (!Utf8.IsValid(message))
            {
                into.Flags |= EventFlags.InvalidUtf8;
                into.Raw = message.ToArray();
            }

            int pos = 0;
            if (TryReadPri(message, out int pri, out int priLen))
            {
                pos = priLen;
            }
            else
            {
                pri = 13;
                into.Flags |= EventFlags.NoPri;
            }
            into.Facility = (sbyte)(pri >> 3);
            into.Severity = (sbyte)(pri & 7);

            if (priLen > 0 && TryReadVersion(message, pos, out int afterVersion))
                Parse5424(message, afterVersion, into);
            else
                Parse3164(message, pos, receivedAt, sourceZone, into);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Defensive: a bug in the reader must never lose the event.
            Fail(into, message, "internal parser error: " + ex.GetType().Name);
            into.Message ??= Text(message);
        }
    }

    // ---------------------------------------------------------------- PRI / VERSION

    /// <summary>`&lt;0&gt;`..`&lt;191&gt;`, 1-3 digits, no leading zero except `&lt;0&gt;`.</summary>
    internal static bool TryReadPri(ReadOnlySpan<byte> m, out int pri, out int length)
    {
        pri = 0;
        length = 0;
        if (m.Length < 3 || m[0] != (byte)'<') return false;
        int i = 1, value = 0;
        while (i < m.Length && i <= 4 && IsDigit(m[i])) { value = value * 10 + (m[i] - '0'); i++; }
        int digits = i - 1;
        if (digits == 0 || digits > 3 || i >= m.Length || m[i] != (byte)'>') return false;
        if (digits > 1 && m[1] == (byte)'0') return false;
        if (value > 191) return false;
        pri = value;
        length = i + 1;
        return true;
    }

    /// <summary>RFC 5424 VERSION (1-999, no leading zero) followed by SP.</summary>
    private static bool TryReadVersion(ReadOnlySpan<byte> m, int pos, out int next)
    {
        next = pos;
        int i = pos;
        if (i >= m.Length || m[i] < (byte)'1' || m[i] > (byte)'9') return false;
        while (i < m.Length && i - pos < 4 && IsDigit(m[i])) i++;
        if (i - pos > 3 || i >= m.Length || m[i] != (byte)' ') return false;
        next = i + 1;
        return true;
    }

    // ---------------------------------------------------------------- RFC 5424

    private static void Parse5424(ReadOnlySpan<byte> m, int pos, EventRecord into)
    {
        into.Format = "rfc5424";

        // TIMESTAMP
        var ts = Token(m, pos);
        if (ts.Length == 0) { Fail5424(into, m, "missing timestamp"); return; }
        if (!IsNil(ts))
        {
            if (!TryParseRfc3339(ts, out long ms)) { Fail5424(into, m, "invalid RFC 5424 timestamp"); return; }
            into.TimeMs = ms;
        }
        pos += ts.Length;
        if (!Sp(m, ref pos)) { Fail5424(into, m, "expected space after timestamp"); return; }

        if (!HeaderField(m, ref pos, MaxHostname, out string? host)) { Fail5424(into, m, "invalid hostname"); return; }
        into.Host = host;
        if (!Sp(m, ref pos)) { Fail5424(into, m, "expected space after hostname"); return; }
        if (!HeaderField(m, ref pos, MaxAppName, out string? app)) { Fail5424(into, m, "invalid app-name"); return; }
        into.App = app;
        if (!Sp(m, ref pos)) { Fail5424(into, m, "expected space after app-name"); return; }
        if (!HeaderField(m, ref pos, MaxProcId, out string? procId)) { Fail5424(into, m, "invalid procid"); return; }
        into.ProcId = procId;
        if (!Sp(m, ref pos)) { Fail5424(into, m, "expected space after procid"); return; }
        if (!HeaderField(m, ref pos, MaxMsgId, out string? msgId)) { Fail5424(into, m, "invalid msgid"); return; }
        into.MsgId = msgId;
        if (!Sp(m, ref pos)) { Fail5424(into, m, "expected space after msgid"); return; }

        // STRUCTURED-DATA
        if (pos < m.Length && m[pos] == (byte)'-')
        {
            pos++;
        }
        else
        {
            int sdStart = pos;
            string? error = ReadStructuredData(m, ref pos);
            if (error is not null) { Fail5424(into, m, error); return; }
            into.StructuredData = Text(m[sdStart..pos]);
        }

        if (pos == m.Length) return; // no MSG
        if (m[pos] != (byte)' ') { Fail5424(into, m, "expected space after structured data"); return; }
        pos++;
        var msg = m[pos..];
        if (msg.IsEmpty) return; // "SD SP" with nothing after it: no MSG
        if (msg.Length >= 3 && msg[0] == 0xEF && msg[1] == 0xBB && msg[2] == 0xBF) msg = msg[3..];
        into.Message = Text(msg);
    }

    /// <summary>Reads `[id k="v" ...]+`; returns an error reason or null.</summary>
    private static string? ReadStructuredData(ReadOnlySpan<byte> m, ref int pos)
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
                        byte e = m[pos + 1];
                        if (e != (byte)'"' && e != (byte)'\\' && e != (byte)']') return "invalid escape in structured data parameter value";
                        pos += 2;
                        continue;
                    }
                    pos++;
                }
            }
        }
        return null;
    }

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

    /// <summary>A NILVALUE or 1..max PRINTUSASCII characters.</summary>
    private static bool HeaderField(ReadOnlySpan<byte> m, ref int pos, int max, out string? value)
    {
        value = null;
        var tok = Token(m, pos);
        if (tok.Length == 0 || tok.Length > max) return false;
        foreach (byte b in tok)
            if (b < 33 || b > 126) return false;
        pos += tok.Length;
        if (!IsNil(tok)) value = Ascii(tok);
        return true;
    }

    private static void Fail5424(EventRecord into, ReadOnlySpan<byte> m, string reason)
    {
        Fail(into, m, reason);
        into.Message = Text(m); // keep the whole text so nothing is hidden
    }

    private static void Fail(EventRecord into, ReadOnlySpan<byte> m, string reason)
    {
        into.Flags |= EventFlags.ParseError;
        into.ParseError = reason;
        into.Raw ??= m.ToArray();
    }

    // ---------------------------------------------------------------- RFC 3164

    private static void Parse3164(ReadOnlySpan<byte> m, int pos, DateTimeOffset receivedAt, TimeZoneInfo zone, EventRecord into)
    {
        into.Format = "rfc3164";
        var rest = m[pos..];
        int lead = 0;
        while (lead < rest.Length && lead < 4 && rest[lead] == (byte)' ') lead++; // "<38> Mar  7 ..." seen in the wild
        int tsLen;
        if (TryParseBsdTimestamp(rest[lead..], out int year, out int month, out int day, out int hour, out int minute, out int second, out tsLen))
        {
            tsLen += lead;
            if (year > 0)
                into.TimeMs = LocalToUnixMs(new DateTime(year, month, day, hour, minute, second, DateTimeKind.Unspecified), zone);
            else if (InferBsdTime(month, day, hour, minute, second, receivedAt, zone, out long ms))
                into.TimeMs = ms;
        }
        else
        {
            var tok = Token(rest, 0);
            if (tok.Length >= 20 && TryParseRfc3339(tok, out long ms))
            {
                into.TimeMs = ms;
                tsLen = tok.Length;
            }
            else
            {
                into.Message = Text(rest); // any text is a valid RFC 3164 message
                return;
            }
        }

        pos += tsLen;
        if (pos >= m.Length) { into.Message = ""; return; }
        if (m[pos] != (byte)' ') { into.Message = Text(m[pos..]); return; }
        pos++;
        while (pos < m.Length && m[pos] == (byte)' ') pos++; // tolerate extra padding before HOSTNAME

        // HOSTNAME, unless the first word is already the TAG (local logs without a host).
        var word = Token(m, pos);
        if (word.Length > 0 && !LooksLikeTag(m, pos, word.Length))
        {
            into.Host = Text(word);
            pos += word.Length;
            if (pos >= m.Length) { into.Message = ""; return; }
            while (pos < m.Length && m[pos] == (byte)' ') pos++; // one space, or more from sloppy relays
        }

        // TAG[PID]: MSG
        if (TryReadTag(m, pos, out int tagLen, out int pidStart, out int pidLen, out int msgStart))
        {
            into.App = Text(m.Slice(pos, tagLen));
            if (pidStart >= 0) into.ProcId = Text(m.Slice(pidStart, pidLen));
            into.Message = Text(m[msgStart..]);
        }
        else
        {
            into.Message = Text(m[pos..]);
        }
    }

    /// <summary>True when the word at pos is a `TAG:` / `TAG[PID]:` rather than a host name.</summary>
    private static bool LooksLikeTag(ReadOnlySpan<byte> m, int pos, int wordLen)
    {
        var word = m.Slice(pos, wordLen);
        if (word[^1] == (byte)':' && word.IndexOf((byte)':') == word.Length - 1) return true;
        return word.IndexOf((byte)'[') > 0 && TryReadTag(m, pos, out _, out _, out _, out _);
    }

    /// <summary>
    /// TAG is a run of non-space characters other than ':' and '['; then optionally `[PID]`; then ':' followed by
    /// one space (removed) or the end. Without a PID the ':' must be followed by a space or the end.
    /// macOS `TAG[PID] (sender): MSG` is read as TAG and PID with MSG = `(sender): MSG`.
    /// </summary>
    private static bool TryReadTag(ReadOnlySpan<byte> m, int pos, out int tagLen, out int pidStart, out int pidLen, out int msgStart)
    {
        tagLen = pidLen = msgStart = 0;
        pidStart = -1;
        int i = pos;
        while (i < m.Length)
        {
            byte b = m[i];
            if (b == (byte)' ' || b == (byte)':' || b == (byte)'[' || b < 32) break;
            i++;
        }
        if (i < m.Length && m[i] == (byte)' ') i = SpacedTagEnd(m, pos, i);
        if (i == pos || i >= m.Length) return false;
        tagLen = i - pos;
        bool hasPid = false;
        if (m[i] == (byte)'[')
        {
            int close = m[(i + 1)..].IndexOf((byte)']');
            if (close < 0) return false;
            var pid = m.Slice(i + 1, close);
            if (pid.IndexOf((byte)' ') >= 0) return false;
            pidStart = i + 1;
            pidLen = close;
            i += close + 2;
            hasPid = true;
            if (i >= m.Length) return false;
            if (m[i] == (byte)' ' && i + 1 < m.Length && m[i + 1] == (byte)'(')
            {
                // macOS ASL: "sandboxd[129] ([31211]): ..." - keep the "(sender): ..." annotation in MSG.
                int closeParen = m[i..].IndexOf("): "u8);
                int nextSpace = m[(i + 1)..].IndexOf((byte)' ');
                if (closeParen > 0 && nextSpace >= closeParen + 1) { msgStart = i + 1; return true; }
                return false;
            }
        }
        if (m[i] != (byte)':') return false;
        i++;
        if (i == m.Length) { msgStart = i; return true; }
        if (m[i] == (byte)' ') { msgStart = i + 1; return true; }
        if (hasPid) { msgStart = i; return true; }
        return false;
    }

    /// <summary>
    /// Tags with spaces ("Microsoft Word[14463]: ...") are accepted only when followed by a numeric `[PID]:`,
    /// within 64 bytes. Returns the index of that '[' or <paramref name="fallback"/>.
    /// </summary>
    private static int SpacedTagEnd(ReadOnlySpan<byte> m, int pos, int fallback)
    {
        int limit = Math.Min(m.Length, pos + 64);
        // sysklogd's own lines name their version in the tag: "syslogd 1.4.1: restart."
        if (fallback + 1 < limit && IsDigit(m[fallback + 1]))
        {
            int v = fallback + 1;
            while (v < limit && (IsDigit(m[v]) || m[v] == (byte)'.')) v++;
            if (v < m.Length && m[v] == (byte)':' && (v + 1 == m.Length || m[v + 1] == (byte)' ')) return v;
        }
        for (int i = fallback; i < limit; i++)
        {
            byte b = m[i];
            if (b == (byte)':' || b < 32) return fallback;
            if (b != (byte)'[') continue;
            int j = i + 1;
            while (j < m.Length && IsDigit(m[j])) j++;
            return j > i + 1 && j + 1 < m.Length && m[j] == (byte)']' && m[j + 1] == (byte)':' ? i : fallback;
        }
        return fallback;
    }

    private static ReadOnlySpan<byte> MonthNames => "JanFebMarAprMayJunJulAugSepOctNovDec"u8;

    /// <summary>
    /// `Mmm dd hh:mm:ss` (day space- or zero-padded, or a single digit; month name case-insensitive), also the
    /// Cisco-style variants `Mmm dd yyyy hh:mm:ss` (year returned, else 0) and a ':' right after the seconds.
    /// </summary>
    internal static bool TryParseBsdTimestamp(ReadOnlySpan<byte> s, out int year, out int month, out int day, out int hour, out int minute, out int second, out int length)
    {
        year = month = day = hour = minute = second = length = 0;
        if (s.Length < 14) return false;
        int mo = -1;
        for (int k = 0; k < 12; k++)
        {
            var name = MonthNames.Slice(k * 3, 3);
            if ((s[0] | 0x20) == (name[0] | 0x20) && (s[1] | 0x20) == (name[1] | 0x20) && (s[2] | 0x20) == (name[2] | 0x20)) { mo = k + 1; break; }
        }
        if (mo < 0 || s[3] != (byte)' ') return false;
        int i = 4;
        if (s[i] == (byte)' ') i++;
        if (!IsDigit(s[i])) return false;
        int d = s[i++] - '0';
        if (IsDigit(s[i])) d = d * 10 + (s[i++] - '0');
        if (d < 1 || d > 31 || i >= s.Length || s[i] != (byte)' ') return false;
        i++;
        if (s.Length >= i + 5 && Digits(s, i, 4, out int y) && s[i + 4] == (byte)' ')
        {
            if (y < 1 || d > DateTime.DaysInMonth(y, mo)) return false;
            year = y;
            i += 5;
        }
        if (s.Length < i + 8) return false;
        if (!TwoDigits(s, i, out int h) || s[i + 2] != (byte)':' || !TwoDigits(s, i + 3, out int mi) || s[i + 5] != (byte)':' || !TwoDigits(s, i + 6, out int sec))
            return false;
        if (h > 23 || mi > 59 || sec > 60) return false;
        month = mo; day = d; hour = h; minute = mi; second = Math.Min(sec, 59);
        length = i + 8;
        if (length < s.Length && s[length] == (byte)':' && (length + 1 == s.Length || s[length + 1] == (byte)' ')) length++;
        return true;
    }

    /// <summary>
    /// BSD timestamps carry no year: of Y-1, Y, Y+1 (Y = year of receivedAt in the source zone) take the latest
    /// valid date that is not more than 2 days after receivedAt. The time is local to the source zone.
    /// </summary>
    internal static bool InferBsdTime(int month, int day, int hour, int minute, int second, DateTimeOffset receivedAt, TimeZoneInfo zone, out long unixMs)
    {
        unixMs = 0;
        int y = TimeZoneInfo.ConvertTime(receivedAt, zone).Year;
        long limit = receivedAt.ToUnixTimeMilliseconds() + 2L * 24 * 3600 * 1000;
        for (int year = y + 1; year >= y - 1; year--)
        {
            if (year < 1 || year > 9999 || day > DateTime.DaysInMonth(year, month)) continue;
            long ms = LocalToUnixMs(new DateTime(year, month, day, hour, minute, second, DateTimeKind.Unspecified), zone);
            if (ms <= limit) { unixMs = ms; return true; }
        }
        return false;
    }

    /// <summary>A wall-clock time in <paramref name="zone"/> to Unix ms (DST gaps/overlaps resolved by the zone's rules, never throws).</summary>
    private static long LocalToUnixMs(DateTime local, TimeZoneInfo zone)
    {
        var offset = zone.GetUtcOffset(local);
        return (local.Ticks - offset.Ticks - DateTime.UnixEpoch.Ticks) / TimeSpan.TicksPerMillisecond;
    }

    // ---------------------------------------------------------------- shared helpers

    /// <summary>RFC 3339 full date-time: `YYYY-MM-DDTHH:MM:SS[.1-6 digits](Z|+hh:mm|-hh:mm)`.</summary>
    internal static bool TryParseRfc3339(ReadOnlySpan<byte> s, out long unixMs)
    {
        unixMs = 0;
        if (s.Length < 20) return false;
        if (!Digits(s, 0, 4, out int year) || s[4] != (byte)'-' || !TwoDigits(s, 5, out int month) || s[7] != (byte)'-'
            || !TwoDigits(s, 8, out int day) || s[10] != (byte)'T' || !TwoDigits(s, 11, out int hour) || s[13] != (byte)':'
            || !TwoDigits(s, 14, out int minute) || s[16] != (byte)':' || !TwoDigits(s, 17, out int second))
            return false;
        if (year < 1 || month < 1 || month > 12 || day < 1 || day > DateTime.DaysInMonth(year, month) || hour > 23 || minute > 59 || second > 59)
            return false;
        int i = 19;
        long fracTicks = 0;
        if (s[i] == (byte)'.')
        {
            i++;
            int start = i;
            long frac = 0;
            while (i < s.Length && IsDigit(s[i]) && i - start < 7) { frac = frac * 10 + (s[i] - '0'); i++; }
            int n = i - start;
            if (n == 0 || n > 6) return false;
            for (int k = n; k < 7; k++) frac *= 10;
            fracTicks = frac;
        }
        if (i >= s.Length) return false;
        int offsetMinutes;
        if (s[i] == (byte)'Z')
        {
            offsetMinutes = 0;
            i++;
        }
        else if (s[i] == (byte)'+' || s[i] == (byte)'-')
        {
            if (s.Length < i + 6 || !TwoDigits(s, i + 1, out int oh) || s[i + 3] != (byte)':' || !TwoDigits(s, i + 4, out int om) || oh > 23 || om > 59)
                return false;
            offsetMinutes = (oh * 60 + om) * (s[i] == (byte)'-' ? -1 : 1);
            i += 6;
        }
        else return false;
        if (i != s.Length) return false;
        long ticks = new DateTime(year, month, day, hour, minute, second, DateTimeKind.Unspecified).Ticks + fracTicks
                     - offsetMinutes * TimeSpan.TicksPerMinute;
        unixMs = (ticks - DateTime.UnixEpoch.Ticks) / TimeSpan.TicksPerMillisecond;
        return true;
    }

    private static ReadOnlySpan<byte> Token(ReadOnlySpan<byte> m, int pos)
    {
        if (pos >= m.Length) return default;
        var s = m[pos..];
        int sp = s.IndexOf((byte)' ');
        return sp < 0 ? s : s[..sp];
    }

    private static bool Sp(ReadOnlySpan<byte> m, ref int pos)
    {
        if (pos >= m.Length || m[pos] != (byte)' ') return false;
        pos++;
        return true;
    }

    private static bool IsNil(ReadOnlySpan<byte> tok) => tok.Length == 1 && tok[0] == (byte)'-';
    private static bool IsDigit(byte b) => (uint)(b - '0') <= 9;

    private static bool TwoDigits(ReadOnlySpan<byte> s, int i, out int value) => Digits(s, i, 2, out value);

    private static bool Digits(ReadOnlySpan<byte> s, int i, int n, out int value)
    {
        value = 0;
        if (i + n > s.Length) return false;
        for (int k = i; k < i + n; k++)
        {
            if (!IsDigit(s[k])) return false;
            value = value * 10 + (s[k] - '0');
        }
        return true;
    }

    private static string Text(ReadOnlySpan<byte> b) => b.IsEmpty ? "" : Encoding.UTF8.GetString(b);
    private static string Ascii(ReadOnlySpan<byte> b) => Encoding.ASCII.GetString(b);
}

using Redoubt.Storage.Events;

namespace Redoubt.Parsing;

/// <summary>RFC 3164 / BSD syslog as devices really send it.</summary>
public static partial class SyslogParser
{
    /// <summary>
    /// `[TIMESTAMP SP [HOSTNAME SP]] [TAG[PID]: ] MSG`, where every part may be missing or in a vendor's own form
    /// (see docs/parsing.md). Any text is a valid RFC 3164 message: what cannot be read as a header stays in Message.
    /// </summary>
    private static void Parse3164(ReadOnlySpan<byte> m, int pos, DateTimeOffset receivedAt, TimeZoneInfo zone, EventRecord into)
    {
        into.Format = "rfc3164";
        bool hasPri = pos > 0;
        int bodyStart = pos;
        while (pos < m.Length && pos - bodyStart < 4 && m[pos] == (byte)' ') pos++; // "<38> Mar  7 ..." seen in the wild

        bool headerTime = true;
        if (TryReadBsdTime(m[pos..], out var bsd))
        {
            if (BsdToUnixMs(bsd, receivedAt, zone, out long ms)) into.TimeMs = ms;
            pos += bsd.Length;
        }
        else if (TryReadNumericTime(m[pos..], zone, out long ms, out int length))
        {
            into.TimeMs = ms;
            pos += length;
        }
        else headerTime = false;

        if (!headerTime)
        {
            // No header: a device's own body as it is ("%ASA-6-302013: ...", "123: *Oct 6 03:32:04.114 gmt: %SEC-..."),
            // or "TAG: MSG" when a PRI says this is syslog ("<27>xapi: ..."); else the whole text is the message.
            if (TryReadVendorBody(m, pos, receivedAt, zone, into, headerTime: false)) return;
            var first = Token(m, pos);
            if (hasPri && first.Length > 0 && !IsCee(m, pos) && LooksLikeTag(m, pos, first.Length) && TryApplyTag(m, pos, into)) return;
            into.Message = Text(m[bodyStart..]);
            return;
        }

        if (pos >= m.Length) { into.Message = ""; return; }
        if (m[pos] != (byte)' ') { into.Message = Text(m[pos..]); return; }
        while (pos < m.Length && m[pos] == (byte)' ') pos++; // one space, or more from sloppy relays

        // "Apr 30 15:10:58: %DOT1X-5-FAIL: ...": a Cisco body straight after the time, no host.
        if (TryReadVendorBody(m, pos, receivedAt, zone, into, headerTime: true)) return;

        // HOSTNAME, unless the first word is already the TAG (local logs without a host) or payload (key=value, CEF, JSON).
        var word = Token(m, pos);
        if (word.Length > 0 && IsHostLike(word) && !LooksLikeTag(m, pos, word.Length))
        {
            into.Host = HostText(word);
            pos += word.Length;
            if (pos >= m.Length) { into.Message = ""; return; }
            while (pos < m.Length && m[pos] == (byte)' ') pos++;
            if (TryReadVendorBody(m, pos, receivedAt, zone, into, headerTime: true)) return;
            SkipSeverityWord(m, ref pos, into);
        }

        if (!IsCee(m, pos) && TryApplyTag(m, pos, into)) return;
        into.Message = Text(m[pos..]);
    }

    /// <summary>Reads `TAG[PID]: MSG` at pos into App, ProcId and Message (with the vendor forms that follow a tag).</summary>
    private static bool TryApplyTag(ReadOnlySpan<byte> m, int pos, EventRecord into)
    {
        if (!TryReadTag(m, pos, out int tagLen, out int pidStart, out int pidLen, out int msgStart)) return false;
        into.App = TextCache.Ascii(m.Slice(pos, tagLen));
        if (pidStart >= 0) into.ProcId = Text(m.Slice(pidStart, pidLen));
        if (TryApplyEmbedded5424(m, msgStart, into)) return true;
        var msg = m[msgStart..];
        into.Message = Text(msg);
        // F5 BIG-IP: "01010251:0: text" - an 8-hex-digit message id and a level before the text.
        if (msg.Length > 11 && msg[8] == (byte)':' && IsDigit(msg[9]) && msg[10] == (byte)':' && IsHex(msg[..8]))
            into.MsgId = TextCache.Ascii(msg[..8]);
        return true;
    }

    /// <summary>
    /// A relay put a BSD header in front of an RFC 5424 line without its PRI and VERSION (Junos "structured-data" logs
    /// as relayed: "... junos-flow: 2017-09-23T13:54:54.803Z host RT_FLOW - RT_FLOW_SESSION_DENY [junos@2636... ]").
    /// The device's own header is the better one: its host, app, msgid, time and structured data replace the relay's.
    /// </summary>
    private static bool TryApplyEmbedded5424(ReadOnlySpan<byte> m, int pos, EventRecord into)
    {
        var ts = Token(m, pos);
        if (ts.Length < 20 || !IsDigit(ts[0]) || !TryParseRfc3339(ts, out _)) return false;
        var h = new Header5424();
        if (Read5424(m, pos, ref h) is not null || !h.HasTime) return false;
        into.TimeMs = h.TimeMs;
        if (!h.Host.IsEmpty) into.Host = TextCache.Ascii(h.Host);
        if (!h.App.IsEmpty)
        {
            into.App = TextCache.Ascii(h.App);
            into.ProcId = h.ProcId.IsEmpty ? null : Text(h.ProcId);
        }
        into.MsgId = NilOrAscii(h.MsgId);
        ApplySd(ref h, into);
        into.Message = h.HasMsg ? Text(h.Msg) : "";
        return true;
    }

    // ---------------------------------------------------------------- vendor bodies

    /// <summary>
    /// A network device's own message at pos: `[SEQ: ][*|.]DEVICE-TIME[ ZONE]: %FACILITY-SEVERITY-MNEMONIC: text`
    /// (Cisco IOS, ASA, FTD, PIX, NX-OS; every part before the tag optional; the time may also be uptime `00:00:46`),
    /// or Huawei VRP `%%01MODULE/SEVERITY/BRIEF(l): text`. App = facility or module, MsgId = the code without '%',
    /// Severity = the code's when the message had no PRI. The device time is used when the header had none.
    /// </summary>
    private static bool TryReadVendorBody(ReadOnlySpan<byte> m, int pos, DateTimeOffset receivedAt, TimeZoneInfo zone, EventRecord into, bool headerTime)
    {
        int i = pos;
        int d = i;
        while (d < m.Length && d - i < 10 && IsDigit(m[d])) d++;
        if (d > i && d + 1 < m.Length && m[d] == (byte)':' && m[d + 1] == (byte)' ') i = d + 2; // sequence number

        long deviceMs = 0;
        bool deviceTime = false;
        if (i < m.Length && m[i] != (byte)'%')
        {
            if (TryReadBsdTime(m[i..], out var t))
            {
                deviceTime = BsdToUnixMs(t, receivedAt, zone, out deviceMs);
                i += t.Length;
            }
            else if (TryReadUptime(m, i, out int upLen)) i += upLen;
            else if (i == pos) return false;
            if (i < m.Length && m[i] == (byte)' ') i++;
        }
        if (i >= m.Length || m[i] != (byte)'%') return false;

        int codeStart, codeEnd, appEnd, severity, msgStart;
        if (!TryCiscoTag(m, i, out codeStart, out appEnd, out severity, out codeEnd, out msgStart)
            && !TryHuaweiTag(m, i, out codeStart, out appEnd, out severity, out codeEnd, out msgStart))
            return false;

        into.App = TextCache.Ascii(m[codeStart..appEnd]);
        into.MsgId = TextCache.Ascii(m[codeStart..codeEnd]);
        if ((into.Flags & EventFlags.NoPri) != 0) into.Severity = (sbyte)severity;
        if (!headerTime && deviceTime) into.TimeMs = deviceMs;
        into.Message = Text(m[msgStart..]);
        return true;
    }

    /// <summary>`%FAC[-SUBFAC]-SEV-MNEMONIC` then ':' (or a space, ASA 401004 sends none), e.g. `%ASA-6-302013:`.</summary>
    private static bool TryCiscoTag(ReadOnlySpan<byte> m, int i, out int codeStart, out int appEnd, out int severity, out int codeEnd, out int msgStart)
    {
        codeStart = i + 1;
        appEnd = codeEnd = msgStart = severity = 0;
        int j = codeStart, segments = 0, prevDash = -1, lastDash = -1;
        while (j < m.Length && j - codeStart < 64)
        {
            byte b = m[j];
            if (b == (byte)'-')
            {
                if (j == codeStart || m[j - 1] == (byte)'-') return false;
                prevDash = lastDash;
                lastDash = j;
                segments++;
            }
            else if (!(IsLetter(b) || IsDigit(b) || b == (byte)'_')) break;
            j++;
        }
        // At least FAC-SEV-MNEMONIC; SEV is the single digit between the last two dashes.
        if (segments < 2 || lastDash == j - 1 || lastDash - prevDash != 2) return false;
        byte sev = m[prevDash + 1];
        if (sev < (byte)'0' || sev > (byte)'7') return false;
        if (!IsLetter(m[codeStart])) return false;
        severity = sev - '0';
        appEnd = prevDash;
        codeEnd = j;
        return TagEnd(m, j, out msgStart, allowSpace: true);
    }

    /// <summary>Huawei `%%01MODULE/4/BRIEF(l):` (version digits, module, severity, brief, optional info type).</summary>
    private static bool TryHuaweiTag(ReadOnlySpan<byte> m, int i, out int codeStart, out int appEnd, out int severity, out int codeEnd, out int msgStart)
    {
        codeStart = appEnd = severity = codeEnd = msgStart = 0;
        if (i + 8 >= m.Length || m[i + 1] != (byte)'%' || !IsDigit(m[i + 2]) || !IsDigit(m[i + 3])) return false;
        codeStart = i + 4;
        int j = codeStart;
        while (j < m.Length && j - codeStart < 32 && (IsLetter(m[j]) || IsDigit(m[j]) || m[j] == (byte)'_')) j++;
        if (j == codeStart || j + 3 >= m.Length || m[j] != (byte)'/' || !IsDigit(m[j + 1]) || m[j + 2] != (byte)'/') return false;
        appEnd = j;
        severity = Math.Min(m[j + 1] - '0', 7);
        j += 3;
        int brief = j;
        while (j < m.Length && j - brief < 64 && (IsLetter(m[j]) || IsDigit(m[j]) || m[j] == (byte)'_')) j++;
        if (j == brief) return false;
        codeEnd = j;
        if (j < m.Length && m[j] == (byte)'(')
        {
            int close = j + 1;
            while (close < m.Length && close - j < 8 && IsLetter(m[close])) close++;
            if (close >= m.Length || m[close] != (byte)')') return false;
            j = close + 1;
        }
        return TagEnd(m, j, out msgStart, allowSpace: false);
    }

    /// <summary>':' then an optional space, or (when allowed) a space, or the end of the message.</summary>
    private static bool TagEnd(ReadOnlySpan<byte> m, int j, out int msgStart, bool allowSpace)
    {
        msgStart = j;
        if (j == m.Length) return true;
        if (m[j] == (byte)':')
        {
            msgStart = j + 1 < m.Length && m[j + 1] == (byte)' ' ? j + 2 : j + 1;
            return true;
        }
        if (allowSpace && m[j] == (byte)' ') { msgStart = j + 1; return true; }
        return false;
    }

    /// <summary>Cisco uptime stamps: `00:00:46` (optionally `.mmm`) or `1w2d` / `3d04h`, then ':'.</summary>
    private static bool TryReadUptime(ReadOnlySpan<byte> m, int i, out int length)
    {
        length = 0;
        int j = i;
        if (ReadClock(m, ref j, out _, out _, out _, out _))
        {
            if (j < m.Length && m[j] == (byte)':') { length = j + 1 - i; return true; }
            return false;
        }
        j = i;
        int units = 0;
        while (j < m.Length && units < 4)
        {
            int start = j;
            while (j < m.Length && j - start < 4 && IsDigit(m[j])) j++;
            if (j == start || j >= m.Length || m[j] is not ((byte)'y' or (byte)'w' or (byte)'d' or (byte)'h' or (byte)'m')) break;
            j++;
            units++;
        }
        if (units == 0 || j >= m.Length || m[j] != (byte)':') return false;
        length = j + 1 - i;
        return true;
    }

    /// <summary>F5 BIG-IP writes the level word between host and tag ("host crit server_handler.pl[24895]: ...").</summary>
    private static void SkipSeverityWord(ReadOnlySpan<byte> m, ref int pos, EventRecord into)
    {
        var word = Token(m, pos);
        int severity = word switch
        {
            _ when word.SequenceEqual("emerg"u8) => 0,
            _ when word.SequenceEqual("alert"u8) => 1,
            _ when word.SequenceEqual("crit"u8) => 2,
            _ when word.SequenceEqual("err"u8) || word.SequenceEqual("error"u8) => 3,
            _ when word.SequenceEqual("warning"u8) || word.SequenceEqual("warn"u8) => 4,
            _ when word.SequenceEqual("notice"u8) => 5,
            _ when word.SequenceEqual("info"u8) => 6,
            _ when word.SequenceEqual("debug"u8) => 7,
            _ => -1,
        };
        if (severity < 0) return;
        int next = pos + word.Length + 1;
        if (next >= m.Length || !TryReadTag(m, next, out int tagLen, out _, out _, out _) || m.Slice(next, tagLen).IndexOf((byte)' ') >= 0) return;
        pos = next;
        if ((into.Flags & EventFlags.NoPri) != 0) into.Severity = (sbyte)severity;
    }

    // ---------------------------------------------------------------- host and tag

    /// <summary>A word that can be a HOSTNAME: not a Cisco code, not payload (key=value, CEF/LEEF pipes, JSON, quotes).</summary>
    private static bool IsHostLike(ReadOnlySpan<byte> word)
    {
        byte first = word[0];
        if (first is (byte)'%' or (byte)'{' or (byte)'@' or (byte)'<' or (byte)'"' or (byte)'(') return false;
        if (first == (byte)'[') return word.Length > 2 && word[^1] == (byte)']' && word.IndexOf((byte)':') > 0; // [IPv6]
        return word.IndexOfAny("=|\"{}"u8) < 0;
    }

    /// <summary>The host as sent; a bracketed IPv6 literal without its brackets.</summary>
    private static string HostText(ReadOnlySpan<byte> word) =>
        TextCache.Ascii(word[0] == (byte)'[' ? word[1..^1] : word);

    /// <summary>`@cee:` (CEE / lumberjack JSON) is a cookie, not a tag.</summary>
    private static bool IsCee(ReadOnlySpan<byte> m, int pos) => m[pos..].StartsWith("@cee:"u8);

    private static bool IsAllDigits(ReadOnlySpan<byte> s)
    {
        foreach (byte b in s)
            if (!IsDigit(b)) return false;
        return true;
    }

    private static bool IsHex(ReadOnlySpan<byte> s)
    {
        foreach (byte b in s)
            if (!IsDigit(b) && (uint)((b | 0x20) - 'a') > 5) return false;
        return true;
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
        // "proftpd[26169] server.example.net: ..." - a numeric [PID] then a space also ends the tag.
        if (hasPid && m[i] == (byte)' ' && pidLen > 0 && IsAllDigits(m.Slice(pidStart, pidLen))) { msgStart = i + 1; return true; }
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
}

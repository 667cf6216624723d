using System.Text;
using System.Text.Unicode;
using Redoubt.Storage.Events;

namespace Redoubt.Parsing;

/// <summary>
/// Reads the header of one syslog message (RFC 5424, or RFC 3164 / BSD as real devices send it)
/// straight from the received bytes. Allocates only the strings it stores. The payload after the
/// header is left to <see cref="PayloadDecoders"/>.
/// </summary>
public static partial class SyslogParser
{
    private const int MaxHostname = 255, MaxAppName = 48, MaxProcId = 128, MaxMsgId = 32, MaxSdName = 32;

    /// Parses one already-de-framed syslog message (no trailing LF; the framer strips one trailing LF/CRLF)
    /// into `into`. Never throws on any input. Sets: TimeMs (UTC unix ms; = receivedAt when the message has no usable time),
    /// Host, App, ProcId, MsgId, Facility, Severity, StructuredData (RFC 5424 SD as on the wire, escapes kept; null for NILVALUE "-"),
    /// Fields (the SD parameters, unescaped; null when there are none), Message, Format ("rfc5424" or "rfc3164"),
    /// Flags (NoPri when no &lt;PRI&gt;: then facility 1 severity 5 per RFC 3164 4.3.3;
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
        into.Fields = null;
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
            else if (priLen == 0 && LooksLike5424WithoutPri(message, out afterVersion))
                Parse5424(message, afterVersion, into); // a relay stripped the PRI (Check Point exports, Wazuh samples)
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

    /// <summary>`1 SP` + a valid RFC 3339 timestamp + SP: an RFC 5424 line whose PRI was removed on the way.</summary>
    private static bool LooksLike5424WithoutPri(ReadOnlySpan<byte> m, out int next)
    {
        int i = 0;
        while (i < m.Length && i < 4 && m[i] == (byte)' ') i++;
        next = i + 2;
        if (m.Length < i + 24 || m[i] != (byte)'1' || m[i + 1] != (byte)' ') return false;
        var ts = Token(m, next);
        return next + ts.Length < m.Length && TryParseRfc3339(ts, out _);
    }

    // ---------------------------------------------------------------- RFC 5424

    /// <summary>What <see cref="Read5424"/> found, as slices of the message (empty = NILVALUE).</summary>
    private ref struct Header5424
    {
        public long TimeMs;
        public bool HasTime;
        public ReadOnlySpan<byte> Host, App, ProcId, MsgId, Sd;
        public bool CheckPoint;
        public bool HasMsg;
        public ReadOnlySpan<byte> Msg;
    }

    /// <summary>
    /// Reads TIMESTAMP SP HOSTNAME SP APP-NAME SP PROCID SP MSGID SP STRUCTURED-DATA [SP MSG] from pos.
    /// Returns null, or the reason it stopped (the fields read before that point are set).
    /// </summary>
    private static string? Read5424(ReadOnlySpan<byte> m, int pos, ref Header5424 h)
    {
        var ts = Token(m, pos);
        if (ts.Length == 0) return "missing timestamp";
        if (!IsNil(ts))
        {
            if (!TryParseRfc3339(ts, out long ms)) return "invalid RFC 5424 timestamp";
            h.TimeMs = ms;
            h.HasTime = true;
        }
        pos += ts.Length;
        if (!Sp(m, ref pos)) return "expected space after timestamp";
        if (!HeaderField(m, ref pos, MaxHostname, out h.Host)) return "invalid hostname";
        if (!Sp(m, ref pos)) return "expected space after hostname";
        if (!HeaderField(m, ref pos, MaxAppName, out h.App)) return "invalid app-name";
        if (!Sp(m, ref pos)) return "expected space after app-name";
        if (!HeaderField(m, ref pos, MaxProcId, out h.ProcId)) return "invalid procid";
        if (!Sp(m, ref pos)) return "expected space after procid";
        if (!HeaderField(m, ref pos, MaxMsgId, out h.MsgId)) return "invalid msgid";
        if (!Sp(m, ref pos)) return "expected space after msgid";

        if (pos < m.Length && m[pos] == (byte)'-')
        {
            pos++;
        }
        else
        {
            int sdStart = pos;
            string? error = StructuredData.Validate(m, ref pos);
            if (error is not null)
            {
                // Check Point Log Exporter writes its own `[key:"value"; ...]`: not RFC 5424, but meant as structured data.
                if (!StructuredData.IsCheckPoint(m, sdStart)) return error;
                pos = StructuredData.CheckPointEnd(m, sdStart);
                h.CheckPoint = true;
            }
            h.Sd = m[sdStart..pos];
        }

        if (pos == m.Length) return null; // no MSG
        if (m[pos] != (byte)' ') return "expected space after structured data";
        pos++;
        var msg = m[pos..];
        if (msg.IsEmpty) return null; // "SD SP" with nothing after it: no MSG
        if (msg.Length >= 3 && msg[0] == 0xEF && msg[1] == 0xBB && msg[2] == 0xBF) msg = msg[3..];
        h.HasMsg = true;
        h.Msg = msg;
        return null;
    }

    private static void Parse5424(ReadOnlySpan<byte> m, int pos, EventRecord into)
    {
        into.Format = "rfc5424";
        var h = new Header5424();
        string? error = Read5424(m, pos, ref h);
        Apply(ref h, into);
        if (error is not null)
        {
            Fail(into, m, error);
            into.StructuredData = null;
            into.Fields = null;
            into.Message = Text(m); // keep the whole text so nothing is hidden
        }
    }

    private static void Apply(ref Header5424 h, EventRecord into)
    {
        if (h.HasTime) into.TimeMs = h.TimeMs;
        into.Host = NilOrAscii(h.Host);
        into.App = NilOrAscii(h.App);
        into.ProcId = h.ProcId.IsEmpty ? null : Encoding.ASCII.GetString(h.ProcId);
        into.MsgId = NilOrAscii(h.MsgId);
        ApplySd(ref h, into);
        if (h.HasMsg) into.Message = Text(h.Msg);
    }

    private static void ApplySd(ref Header5424 h, EventRecord into)
    {
        if (h.Sd.IsEmpty) return;
        into.StructuredData = Text(h.Sd);
        if (h.CheckPoint) StructuredData.AddCheckPointFields(h.Sd, into);
        else StructuredData.AddFields(h.Sd, into);
    }

    private static string? NilOrAscii(ReadOnlySpan<byte> b) => b.IsEmpty ? null : TextCache.Ascii(b);

    /// <summary>A NILVALUE (returned as an empty slice) or 1..max PRINTUSASCII characters.</summary>
    private static bool HeaderField(ReadOnlySpan<byte> m, scoped ref int pos, int max, out ReadOnlySpan<byte> value)
    {
        value = default;
        var tok = Token(m, pos);
        if (tok.Length == 0 || tok.Length > max) return false;
        foreach (byte b in tok)
            if (b < 33 || b > 126) return false;
        pos += tok.Length;
        if (!IsNil(tok)) value = tok;
        return true;
    }

    private static void Fail(EventRecord into, ReadOnlySpan<byte> m, string reason)
    {
        into.Flags |= EventFlags.ParseError;
        into.ParseError = reason;
        into.Raw ??= m.ToArray();
    }

    // ---------------------------------------------------------------- shared helpers

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
    private static bool IsLetter(byte b) => (uint)((b | 0x20) - 'a') <= 'z' - 'a';

    private static bool TwoDigits(ReadOnlySpan<byte> s, int i, out int value) => Digits(s, i, 2, out value);

    private static bool Digits(ReadOnlySpan<byte> s, int i, int n, out int value)
    {
        value = 0;
        if (i < 0 || i + n > s.Length) return false;
        for (int k = i; k < i + n; k++)
        {
            if (!IsDigit(s[k])) return false;
            value = value * 10 + (s[k] - '0');
        }
        return true;
    }

    internal static string Text(ReadOnlySpan<byte> b) => b.IsEmpty ? "" : Encoding.UTF8.GetString(b);
}

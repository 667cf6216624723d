using System.Text;
using Redoubt.Storage.Events;

namespace Redoubt.Parsing.Payload;

/// <summary>
/// Host and time from the payload when the syslog header had none: devices that send bare key=value or CEF
/// (FortiGate, Sophos, SonicWall through a relay that strips headers, ...) still name themselves and say when.
/// Only these well-known fields are used; the fields themselves stay as decoded.
/// </summary>
internal static class Promotion
{
    // The device's own name, per decoder. Not kv "hostname": FortiGate web filter logs use it for the site visited.
    private static readonly string[] CefHost = ["dvchost"], KvHost = ["devname", "device_name"], JsonHost = ["hostname", "host"];

    public static void Apply(EventRecord e, TimeZoneInfo zone)
    {
        var f = e.Fields!;
        if (e.Host is null && f.TryGetValue(PayloadDecoders.DecoderField, out var decoder))
        {
            string[] names = decoder switch { "cef" => CefHost, "kv" => KvHost, "json" => JsonHost, _ => [] };
            foreach (var name in names)
                if (f.TryGetValue(name, out var h) && h.Length is > 0 and <= 255 && h.AsSpan().IndexOfAny(' ', '\t') < 0) { e.Host = h; break; }
        }

        if (e.TimeMs != e.ReceivedAtMs) return; // the header had a time
        if (TryTime(f, zone, e.ReceivedAtMs, out long ms)) e.TimeMs = ms;
    }

    private static bool TryTime(Dictionary<string, string> f, TimeZoneInfo zone, long receivedAtMs, out long ms)
    {
        ms = 0;
        // FortiOS 6.2+: eventtime in s, ms, us or ns since the epoch.
        if (f.TryGetValue("eventtime", out var et) && TryEpoch(et, out ms)) return true;
        // FortiGate, FortiMail, FortiDDoS, Sophos XG: date=2019-10-09 time=17:19:06 [tz="+0200" | timezone="+08"].
        if (f.TryGetValue("date", out var date) && f.TryGetValue("time", out var time) && date.Length == 10 && time.Length >= 8)
        {
            string? tz = f.GetValueOrDefault("tz") ?? f.GetValueOrDefault("timezone");
            string joined = tz is not null && IsNumericOffset(tz) ? $"{date}T{time}{tz}" : $"{date}T{time}";
            if (TryText(joined, zone, receivedAtMs, out ms)) return true;
        }
        // SonicWall time="2019-02-27 12:55:40 UTC", CEF rt (epoch ms or "Sep 09 2017 00:31:23 UTC"), LEEF devTime, JSON.
        foreach (var name in (ReadOnlySpan<string>)["rt", "devTime", "time_generated", "time", "@timestamp", "timestamp"])
            if (f.TryGetValue(name, out var v) && (TryEpoch(v, out ms) || TryText(v, zone, receivedAtMs, out ms))) return true;
        return false;
    }

    private static bool IsNumericOffset(string tz) =>
        tz.Length is >= 3 and <= 6 && tz[0] is '+' or '-' && char.IsAsciiDigit(tz[1]) && char.IsAsciiDigit(tz[2]);

    /// <summary>10, 13, 16 or 19 digits: seconds, ms, µs or ns since 1970.</summary>
    private static bool TryEpoch(string s, out long ms)
    {
        ms = 0;
        if (s.Length is not (10 or 13 or 16 or 19) || !long.TryParse(s, System.Globalization.NumberStyles.None, null, out long v)) return false;
        ms = s.Length switch { 10 => v * 1000, 13 => v, 16 => v / 1000, _ => v / 1_000_000 };
        return true;
    }

    /// <summary>A whole value in one of the header time forms the syslog parser reads (numeric or BSD with year), optional trailing zone name.</summary>
    private static bool TryText(string s, TimeZoneInfo zone, long receivedAtMs, out long ms)
    {
        ms = 0;
        if (s.Length is < 14 or > 64) return false;
        Span<byte> b = stackalloc byte[64];
        int n = Encoding.ASCII.GetBytes(s, b);
        var text = b[..n];
        if (SyslogParser.TryReadNumericTime(text, zone, out ms, out int len))
        {
            var rest = text[len..];
            if (rest.IsEmpty) return true;
            if (rest.SequenceEqual(" UTC"u8) || rest.SequenceEqual(" GMT"u8) || rest.SequenceEqual(" Z"u8))
            {
                b[len] = (byte)'Z';
                return SyslogParser.TryReadNumericTime(b[..(len + 1)], zone, out ms, out _);
            }
            return false;
        }
        return SyslogParser.TryReadPayloadBsdTime(text, DateTimeOffset.FromUnixTimeMilliseconds(receivedAtMs), zone, out ms);
    }
}

namespace Redoubt.Parsing;

/// <summary>Timestamps as syslog senders write them: strict RFC 3339 for RFC 5424, and the zoo found in BSD headers.</summary>
public static partial class SyslogParser
{
    private static ReadOnlySpan<byte> MonthNames => "JanFebMarAprMayJunJulAugSepOctNovDec"u8;

    /// <summary>A BSD-style time as written: fields, and how many bytes it took.</summary>
    internal struct BsdTime
    {
        public int Year; // 0 = not written: inferred from the receive time
        public int Month, Day, Hour, Minute, Second;
        public long FracTicks;
        public int? OffsetMinutes; // from a known zone abbreviation; null = the source's zone
        public int Length;
    }

    /// <summary>
    /// `Mmm dd hh:mm:ss` (day space- or zero-padded or a single digit, month name in any case), with what devices add:
    /// a leading `*` or `.` (Cisco: clock not / no longer synchronised), a year before the time (`Mmm dd yyyy hh:mm:ss`,
    /// Cisco ASA) or after it, fractional seconds (`.mmm`), a zone name followed by ':' (`gmt:`, `AEST:`; an
    /// unknown one is skipped and the source zone used), and a ':' right after the time.
    /// </summary>
    internal static bool TryReadBsdTime(ReadOnlySpan<byte> s, out BsdTime t)
    {
        t = default;
        int i = 0;
        if (s.Length > 0 && (s[0] == (byte)'*' || s[0] == (byte)'.')) i = 1;
        else if (s.Length > 4 && s[3] == (byte)' ' && IsWeekday(s)) i = 4; // ctime: "Wed Jul 27 18:32:27 2016"
        if (s.Length < i + 14) return false;
        int mo = MonthAt(s, i);
        if (mo < 0 || s[i + 3] != (byte)' ') return false;
        i += 4;
        if (s[i] == (byte)' ') i++;
        if (!IsDigit(s[i])) return false;
        int d = s[i++] - '0';
        if (IsDigit(s[i])) d = d * 10 + (s[i++] - '0');
        if (d < 1 || d > 31 || i >= s.Length || s[i] != (byte)' ') return false;
        i++;
        if (s.Length >= i + 5 && Digits(s, i, 4, out int y) && s[i + 4] == (byte)' ')
        {
            if (y < 1 || d > DateTime.DaysInMonth(y, mo)) return false;
            t.Year = y;
            i += 5;
        }
        if (!ReadClock(s, ref i, out int h, out int mi, out int sec, out long frac)) return false;
        t.Month = mo; t.Day = d; t.Hour = h; t.Minute = mi; t.Second = Math.Min(sec, 59); t.FracTicks = frac;

        // "Mmm dd hh:mm:ss yyyy host ...": a year after the time, only when a host follows it.
        if (t.Year == 0 && s.Length > i + 6 && s[i] == (byte)' ' && Digits(s, i + 1, 4, out int y2) && s[i + 5] == (byte)' '
            && y2 is >= 1970 and <= 2200 && !s[(i + 6)..].TrimStart((byte)' ').IsEmpty)
        {
            if (d > DateTime.DaysInMonth(y2, mo)) return false;
            t.Year = y2;
            i += 5;
        }
        if (t.Year == 0 && mo == 2 && d > 29) return false;

        // " gmt:" / " AEST:" (Cisco "show-timezone"): a known abbreviation, or any short name right before a %TAG.
        if (i < s.Length && s[i] == (byte)' ')
        {
            int z = i + 1, zEnd = z;
            while (zEnd < s.Length && zEnd - z < 7 && IsLetter(s[zEnd])) zEnd++;
            if (zEnd - z is >= 2 and <= 6 && zEnd < s.Length && s[zEnd] == (byte)':')
            {
                int? offset = ZoneOffset(s[z..zEnd]);
                bool beforeCiscoTag = zEnd + 2 < s.Length && s[zEnd + 1] == (byte)' ' && s[zEnd + 2] == (byte)'%';
                if (offset is not null || beforeCiscoTag)
                {
                    t.OffsetMinutes = offset;
                    i = zEnd; // the ':' is taken below
                }
            }
        }
        if (i < s.Length && s[i] == (byte)':' && (i + 1 == s.Length || s[i + 1] == (byte)' ')) i++;
        t.Length = i;
        return true;
    }

    /// <summary>A whole payload value `Mmm dd [yyyy] hh:mm:ss[.fff][ ZONE]` (CEF rt, LEEF devTime) to Unix ms.</summary>
    internal static bool TryReadPayloadBsdTime(ReadOnlySpan<byte> s, DateTimeOffset receivedAt, TimeZoneInfo zone, out long unixMs)
    {
        unixMs = 0;
        if (!TryReadBsdTime(s, out var t)) return false;
        var rest = s[t.Length..];
        if (!rest.IsEmpty)
        {
            if (rest.Length < 2 || rest[0] != (byte)' ' || ZoneOffset(rest[1..]) is not { } offset) return false;
            t.OffsetMinutes = offset;
        }
        return BsdToUnixMs(t, receivedAt, zone, out unixMs);
    }

    /// <summary>`hh:mm:ss` and an optional `.f` (1-9 digits; beyond 100 ns ignored).</summary>
    private static bool ReadClock(ReadOnlySpan<byte> s, ref int i, out int h, out int mi, out int sec, out long fracTicks)
    {
        h = mi = sec = 0;
        fracTicks = 0;
        if (s.Length < i + 8) return false;
        if (!TwoDigits(s, i, out h) || s[i + 2] != (byte)':' || !TwoDigits(s, i + 3, out mi) || s[i + 5] != (byte)':' || !TwoDigits(s, i + 6, out sec))
            return false;
        if (h > 23 || mi > 59 || sec > 60) return false;
        i += 8;
        if (i + 1 < s.Length && (s[i] == (byte)'.' || s[i] == (byte)',') && IsDigit(s[i + 1])) // ',': log4j style
        {
            i++;
            int start = i;
            long frac = 0;
            while (i < s.Length && IsDigit(s[i]) && i - start < 9)
            {
                if (i - start < 7) frac = frac * 10 + (s[i] - '0');
                i++;
            }
            for (int k = Math.Min(i - start, 7); k < 7; k++) frac *= 10;
            fracTicks = frac;
        }
        return true;
    }

    private static bool IsWeekday(ReadOnlySpan<byte> s)
    {
        ReadOnlySpan<byte> days = "MonTueWedThuFriSatSun"u8;
        for (int k = 0; k < 7; k++)
            if ((s[0] | 0x20) == (days[k * 3] | 0x20) && (s[1] | 0x20) == (days[k * 3 + 1] | 0x20) && (s[2] | 0x20) == (days[k * 3 + 2] | 0x20)) return true;
        return false;
    }

    private static int MonthAt(ReadOnlySpan<byte> s, int i)
    {
        if (s.Length < i + 3) return -1;
        for (int k = 0; k < 12; k++)
        {
            var name = MonthNames.Slice(k * 3, 3);
            if ((s[i] | 0x20) == (name[0] | 0x20) && (s[i + 1] | 0x20) == (name[1] | 0x20) && (s[i + 2] | 0x20) == (name[2] | 0x20)) return k + 1;
        }
        return -1;
    }

    /// <summary>Zone abbreviations with one meaning; ambiguous ones (CST, IST, AST...) are not guessed.</summary>
    private static int? ZoneOffset(ReadOnlySpan<byte> name)
    {
        if (name.Length > 6) return null;
        Span<char> upper = stackalloc char[6];
        for (int k = 0; k < name.Length; k++) upper[k] = (char)(name[k] & ~0x20);
        return upper[..name.Length] switch
        {
            "UTC" or "GMT" or "UT" or "Z" or "WET" => 0,
            "WEST" or "BST" or "CET" or "MET" => 60,
            "CEST" or "MEST" or "EET" => 120,
            "EEST" or "MSK" => 180,
            "HKT" or "SGT" or "AWST" => 480,
            "JST" or "KST" => 540,
            "ACST" => 570,
            "AEST" => 600,
            "ACDT" => 630,
            "AEDT" => 660,
            "NZST" => 720,
            "NZDT" => 780,
            "EST" or "CDT" => -300,
            "EDT" => -240,
            "MST" => -420,
            "MDT" => -360,
            "PST" or "AKDT" => -480,
            "PDT" => -420,
            "AKST" => -540,
            "HST" => -600,
            _ => null,
        };
    }

    /// <summary>Unix ms of a BSD time: its own zone when it named one, else the source zone, the year inferred when absent.</summary>
    private static bool BsdToUnixMs(in BsdTime t, DateTimeOffset receivedAt, TimeZoneInfo zone, out long unixMs)
    {
        unixMs = 0;
        if (t.Year > 0)
        {
            var local = new DateTime(t.Year, t.Month, t.Day, t.Hour, t.Minute, t.Second, DateTimeKind.Unspecified).AddTicks(t.FracTicks);
            unixMs = t.OffsetMinutes is { } off ? ToUnixMs(local, off) : LocalToUnixMs(local, zone);
            return true;
        }
        if (!InferBsdTime(t.Month, t.Day, t.Hour, t.Minute, t.Second, receivedAt, zone, out unixMs)) return false;
        unixMs += t.FracTicks / TimeSpan.TicksPerMillisecond;
        if (t.OffsetMinutes is { } o)
        {
            // Inferred as local to the source zone; move to the zone the device named.
            var local = DateTimeOffset.FromUnixTimeMilliseconds(unixMs).UtcDateTime;
            local = local.Add(zone.GetUtcOffset(local));
            unixMs = ToUnixMs(local, o) + t.FracTicks % TimeSpan.TicksPerMillisecond / TimeSpan.TicksPerMillisecond;
        }
        return true;
    }

    private static long ToUnixMs(DateTime local, int offsetMinutes) =>
        (local.Ticks - offsetMinutes * TimeSpan.TicksPerMinute - DateTime.UnixEpoch.Ticks) / TimeSpan.TicksPerMillisecond;

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

    /// <summary>RFC 3339 full date-time, as RFC 5424 requires it: `YYYY-MM-DDTHH:MM:SS[.1-6 digits](Z|+hh:mm|-hh:mm)`.</summary>
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

    /// <summary>
    /// Numeric dates in a BSD header, as relays and devices write them: RFC 3339 (rsyslog's forwarding format; also with
    /// more fraction digits, `+hhmm` or no offset), `YYYY-MM-DD HH:MM:SS`, `YYYY/MM/DD HH:MM:SS` (Huawei), and the
    /// year-first `YYYY Mmm DD HH:MM:SS`. Without an offset the time is local to the source zone. A ':' right after is taken.
    /// </summary>
    internal static bool TryReadNumericTime(ReadOnlySpan<byte> s, TimeZoneInfo zone, out long unixMs, out int length)
    {
        unixMs = 0;
        length = 0;
        if (s.Length < 19 || !Digits(s, 0, 4, out int year) || year < 1) return false;
        int month, day, i;
        if ((s[4] == (byte)'-' || s[4] == (byte)'/') && TwoDigits(s, 5, out month) && s[7] == s[4] && TwoDigits(s, 8, out day)
            && (s[10] == (byte)'T' || s[10] == (byte)' '))
        {
            i = 11;
        }
        else if (s[4] == (byte)' ' && (month = MonthAt(s, 5)) > 0 && s[8] == (byte)' ' && TwoDigits(s, 9, out day) && s[11] == (byte)' ')
        {
            i = 12;
        }
        else return false;
        if (month < 1 || month > 12 || day < 1 || day > DateTime.DaysInMonth(year, month)) return false;
        if (!ReadClock(s, ref i, out int h, out int mi, out int sec, out long frac)) return false;
        int? offset = null;
        if (i < s.Length && s[i] == (byte)'Z') { offset = 0; i++; }
        else if (i + 2 < s.Length && (s[i] == (byte)'+' || s[i] == (byte)'-') && TwoDigits(s, i + 1, out int oh) && oh <= 23)
        {
            int sign = s[i] == (byte)'-' ? -1 : 1, om = 0, j = i + 3;
            if (j < s.Length && s[j] == (byte)':' && TwoDigits(s, j + 1, out om)) j += 3;
            else if (TwoDigits(s, j, out om)) j += 2;
            if (om > 59) return false;
            offset = sign * (oh * 60 + om);
            i = j;
        }
        if (i < s.Length && s[i] == (byte)':' && (i + 1 == s.Length || s[i + 1] == (byte)' ')) i++;
        if (i < s.Length && s[i] != (byte)' ') return false;
        var local = new DateTime(year, month, day, h, mi, Math.Min(sec, 59), DateTimeKind.Unspecified).AddTicks(frac);
        unixMs = offset is { } o ? ToUnixMs(local, o) : LocalToUnixMs(local, zone);
        length = i;
        return true;
    }
}

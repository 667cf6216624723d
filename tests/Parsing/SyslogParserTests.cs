using System.Text;
using System.Text.Json;
using Redoubt.Parsing;
using Redoubt.Storage.Events;
using Xunit.Abstractions;

namespace Redoubt.Tests.Parsing;

public sealed class SyslogParserTests
{
    private static readonly DateTimeOffset Received = new(2024, 6, 15, 12, 0, 0, TimeSpan.Zero);
    private readonly ITestOutputHelper _out;

    public SyslogParserTests(ITestOutputHelper output) => _out = output;

    private static EventRecord Parse(string text, DateTimeOffset? receivedAt = null, TimeZoneInfo? zone = null)
        => Parse(Encoding.UTF8.GetBytes(text), receivedAt, zone);

    private static EventRecord Parse(byte[] bytes, DateTimeOffset? receivedAt = null, TimeZoneInfo? zone = null)
    {
        var e = new EventRecord();
        SyslogParser.Parse(bytes, receivedAt ?? Received, zone ?? TimeZoneInfo.Utc, e);
        return e;
    }

    private static DateTimeOffset Utc(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);

    // ------------------------------------------------------------------ shared data

    internal static string DataDir()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "shared", "data");
            if (Directory.Exists(candidate)) return candidate;
        }
        return "/work/shared/data";
    }

    /// <summary>RFC 4180 CSV: quoted fields may hold commas, doubled quotes and line breaks.</summary>
    internal static List<string[]> ReadCsv(string path)
    {
        string text = File.ReadAllText(path);
        var rows = new List<string[]>();
        var row = new List<string>();
        var field = new StringBuilder();
        bool quoted = false;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (quoted)
            {
                if (c == '"')
                {
                    if (i + 1 < text.Length && text[i + 1] == '"') { field.Append('"'); i++; }
                    else quoted = false;
                }
                else field.Append(c);
            }
            else if (c == '"') quoted = true;
            else if (c == ',') { row.Add(field.ToString()); field.Clear(); }
            else if (c == '\r') { }
            else if (c == '\n') { row.Add(field.ToString()); field.Clear(); rows.Add(row.ToArray()); row.Clear(); }
            else field.Append(c);
        }
        if (field.Length > 0 || row.Count > 0) { row.Add(field.ToString()); rows.Add(row.ToArray()); }
        return rows;
    }

    // ------------------------------------------------------------------ 1. loghub

    [Theory]
    [InlineData("Linux")]
    [InlineData("OpenSSH")]
    [InlineData("Mac")]
    public void Loghub_every_line_matches_structured_csv(string dataset)
    {
        string dir = Path.Combine(DataDir(), "logs", "loghub", dataset);
        string[] lines = File.ReadAllText(Path.Combine(dir, dataset + "_2k.log")).Split('\n');
        var csv = ReadCsv(Path.Combine(dir, dataset + "_2k.log_structured.csv"));
        string[] header = csv[0];
        int Col(string name) => Array.IndexOf(header, name);
        int cId = Col("LineId"), cContent = Col("Content"), cAddress = Col("Address");
        (int month, int day, int time, int host, int app, int pid) = dataset switch
        {
            "Linux" => (Col("Month"), Col("Date"), Col("Time"), Col("Level"), Col("Component"), Col("PID")),
            "OpenSSH" => (Col("Date"), Col("Day"), Col("Time"), Col("Component"), -1, Col("Pid")),
            _ => (Col("Month"), Col("Date"), Col("Time"), Col("User"), Col("Component"), Col("PID")),
        };

        var failures = new List<string>();
        int checkedLines = 0;
        var receivedAt = new DateTimeOffset(2024, 12, 31, 12, 0, 0, TimeSpan.Zero);
        foreach (var row in csv.Skip(1))
        {
            int id = int.Parse(row[cId]);
            string line = lines[id - 1].TrimEnd('\r');
            var e = Parse(line, receivedAt);
            var t = Utc(e.TimeMs);
            var problems = new List<string>();
            void Check(string what, string? expected, string? actual)
            {
                if (!string.Equals(expected, actual, StringComparison.Ordinal)) problems.Add($"{what}: csv='{expected}' parsed='{actual}'");
            }
            Check("host", row[host], e.Host);
            Check("app", app < 0 ? "sshd" : row[app], e.App);
            Check("pid", row[pid].Length == 0 ? null : row[pid], e.ProcId);
            Check("month", row[month], t.ToString("MMM", System.Globalization.CultureInfo.InvariantCulture));
            Check("day", int.Parse(row[day]).ToString(), t.Day.ToString());
            Check("time", row[time], t.ToString("HH:mm:ss"));
            // loghub trims the Content column at both ends (Mac lines like "secd[276]:  SOSAccount..." have two spaces
            // after the colon; we remove exactly one), so compare trimmed.
            // macOS ASL lines "sandboxd[129] ([31211]): text" carry the sender in parentheses; loghub moves it to its
            // Address column, we keep it at the head of Message so nothing is lost.
            string expectedMessage = cAddress >= 0 && row[cAddress].Length > 0 ? $"({row[cAddress]}): {row[cContent]}" : row[cContent];
            Check("message", expectedMessage.Trim(), e.Message?.Trim());
            Check("format", "rfc3164", e.Format);
            Check("flags", (EventFlags.NoPri).ToString(), e.Flags.ToString());
            checkedLines++;
            if (problems.Count == 0) continue;
            failures.Add($"{dataset}:{id} {string.Join("; ", problems)} | {line}");
        }
        _out.WriteLine($"{dataset}: {checkedLines} lines checked, {failures.Count} failures");
        foreach (var f in failures.Take(50)) _out.WriteLine(f);
        Assert.Equal(2000, checkedLines);
        Assert.True(failures.Count == 0, string.Join("\n", failures.Take(30)));
    }

    // The conformance table (shared/data/syslog-cases) is in ConformanceTests.cs.

    // ------------------------------------------------------------------ 3. hand-written facts

    [Fact]
    public void Year_inference_december_line_received_in_january_is_previous_year()
    {
        var e = Parse("<13>Dec 31 23:59:58 host app: x", new DateTimeOffset(2025, 1, 2, 10, 0, 0, TimeSpan.Zero));
        Assert.Equal(new DateTimeOffset(2024, 12, 31, 23, 59, 58, TimeSpan.Zero), Utc(e.TimeMs));
    }

    [Fact]
    public void Year_inference_january_line_received_on_december_31_is_next_year()
    {
        var e = Parse("<13>Jan  1 00:00:05 host app: x", new DateTimeOffset(2024, 12, 31, 23, 59, 0, TimeSpan.Zero));
        Assert.Equal(new DateTimeOffset(2025, 1, 1, 0, 0, 5, TimeSpan.Zero), Utc(e.TimeMs));
    }

    [Fact]
    public void Year_inference_same_year_and_slightly_future_clock()
    {
        var received = new DateTimeOffset(2024, 6, 15, 12, 0, 0, TimeSpan.Zero);
        Assert.Equal(new DateTimeOffset(2024, 6, 16, 12, 0, 0, TimeSpan.Zero), Utc(Parse("Jun 16 12:00:00 h a: m", received).TimeMs));
        Assert.Equal(new DateTimeOffset(2023, 6, 20, 12, 0, 0, TimeSpan.Zero), Utc(Parse("Jun 20 12:00:00 h a: m", received).TimeMs));
    }

    [Fact]
    public void Year_inference_skips_feb_29_in_non_leap_years()
    {
        // Received in 2025: candidates 2026, 2025 (no Feb 29), 2024 (leap) -> 2024.
        var e = Parse("Feb 29 10:00:00 h a: m", new DateTimeOffset(2025, 3, 1, 0, 0, 0, TimeSpan.Zero));
        Assert.Equal(new DateTimeOffset(2024, 2, 29, 10, 0, 0, TimeSpan.Zero), Utc(e.TimeMs));
        // Received in 2022: 2023, 2022, 2021 have no Feb 29 -> no usable time.
        var received = new DateTimeOffset(2022, 3, 1, 0, 0, 0, TimeSpan.Zero);
        var f = Parse("Feb 29 10:00:00 h a: m", received);
        Assert.Equal(received.ToUnixTimeMilliseconds(), f.TimeMs);
        Assert.Equal("h", f.Host);
        Assert.Equal("m", f.Message);
    }

    [Fact]
    public void Bsd_time_is_local_to_the_source_zone()
    {
        var plus2 = TimeZoneInfo.CreateCustomTimeZone("test+2", TimeSpan.FromHours(2), "test+2", "test+2");
        var e = Parse("Jun 15 14:00:00 h a: m", Received, plus2);
        Assert.Equal(new DateTimeOffset(2024, 6, 15, 12, 0, 0, TimeSpan.Zero), Utc(e.TimeMs));

        // Year comes from receivedAt *in the source zone*: 23:30 UTC on Dec 31 is already Jan 1 in UTC+2.
        var e2 = Parse("Jan  1 01:00:00 h a: m", new DateTimeOffset(2024, 12, 31, 23, 30, 0, TimeSpan.Zero), plus2);
        Assert.Equal(new DateTimeOffset(2024, 12, 31, 23, 0, 0, TimeSpan.Zero), Utc(e2.TimeMs));
    }

    [Fact]
    public void Bsd_time_uses_daylight_saving_offset_of_that_instant()
    {
        TimeZoneInfo ny;
        try { ny = TimeZoneInfo.FindSystemTimeZoneById("America/New_York"); }
        catch (TimeZoneNotFoundException) { return; } // no tzdata on this machine
        var received = new DateTimeOffset(2024, 12, 31, 12, 0, 0, TimeSpan.Zero);
        Assert.Equal(new DateTimeOffset(2024, 7, 1, 13, 0, 0, TimeSpan.Zero), Utc(Parse("Jul  1 09:00:00 h a: m", received, ny).TimeMs)); // EDT
        Assert.Equal(new DateTimeOffset(2024, 1, 10, 14, 0, 0, TimeSpan.Zero), Utc(Parse("Jan 10 09:00:00 h a: m", received, ny).TimeMs)); // EST
        // 02:30 on 2024-03-10 does not exist in New York: must not throw.
        Parse("Mar 10 02:30:00 h a: m", received, ny);
    }

    [Fact]
    public void Rfc5424_timestamp_is_not_shifted_by_source_zone()
    {
        var plus2 = TimeZoneInfo.CreateCustomTimeZone("test+2", TimeSpan.FromHours(2), "test+2", "test+2");
        var e = Parse("<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - %% Time", Received, plus2);
        Assert.Equal(new DateTimeOffset(2003, 8, 24, 12, 14, 15, TimeSpan.Zero), Utc(e.TimeMs));
        var f = Parse("<165>1 2003-10-11T22:14:15.123456Z h a - - -", Received, plus2);
        Assert.Equal(new DateTimeOffset(2003, 10, 11, 22, 14, 15, 123, TimeSpan.Zero), Utc(f.TimeMs));
    }

    [Fact]
    public void Rfc5424_several_sd_elements_with_escapes_kept_as_on_the_wire()
    {
        const string sd = "[exampleSDID@32473 iut=\"3\" eventSource=\"Appli\\\"cation\\\\\" eventID=\"10\\]11\"][examplePriority@32473 class=\"high\"]";
        var e = Parse("<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 " + sd + " An application event");
        Assert.Equal(EventFlags.None, e.Flags);
        Assert.Equal(sd, e.StructuredData);
        Assert.Equal("An application event", e.Message);
        Assert.Equal("mymachine.example.com", e.Host);
        Assert.Equal("evntslog", e.App);
        Assert.Null(e.ProcId);
        Assert.Equal("ID47", e.MsgId);
        Assert.Equal(20, e.Facility);
        Assert.Equal(5, e.Severity);
        Assert.Equal("rfc5424", e.Format);

        var noMsg = Parse("<165>1 - h a - - " + sd);
        Assert.Equal(sd, noMsg.StructuredData);
        Assert.Null(noMsg.Message);
    }

    [Fact]
    public void Rfc5424_bom_is_removed_from_msg()
    {
        byte[] bytes = [.. "<34>1 2003-10-11T22:14:15.003Z host su - ID47 - "u8, 0xEF, 0xBB, 0xBF, .. "'su root' failed"u8];
        var e = Parse(bytes);
        Assert.Equal("'su root' failed", e.Message);
        Assert.Equal(EventFlags.None, e.Flags);
        Assert.Null(e.Raw);
    }

    [Fact]
    public void Rfc5424_nilvalues_are_null()
    {
        var received = new DateTimeOffset(2024, 1, 2, 3, 4, 5, TimeSpan.Zero);
        var e = Parse("<14>1 - - - - - -", received);
        Assert.Null(e.Host);
        Assert.Null(e.App);
        Assert.Null(e.ProcId);
        Assert.Null(e.MsgId);
        Assert.Null(e.StructuredData);
        Assert.Null(e.Message);
        Assert.Equal(received.ToUnixTimeMilliseconds(), e.TimeMs);
        Assert.Equal(1, e.Facility);
        Assert.Equal(6, e.Severity);
        Assert.Equal(EventFlags.None, e.Flags);
        Assert.Equal("rfc5424", e.Format);
        Assert.Equal("x", Parse("<14>1 - - - - - - x").Message);
    }

    [Fact]
    public void Rfc5424_bad_timestamp_is_parse_error_and_keeps_everything()
    {
        const string line = "<34>1 2003-02-30T22:14:15Z host su - ID47 - hello";
        var e = Parse(line);
        Assert.True(e.Flags.HasFlag(EventFlags.ParseError));
        Assert.False(string.IsNullOrEmpty(e.ParseError));
        Assert.Equal(Encoding.UTF8.GetBytes(line), e.Raw);
        Assert.Equal(line, e.Message);
        Assert.Equal("rfc5424", e.Format);
        Assert.Equal(4, e.Facility);
        Assert.Equal(2, e.Severity);
        Assert.Equal(Received.ToUnixTimeMilliseconds(), e.TimeMs);
    }

    [Fact]
    public void Invalid_utf8_is_decoded_with_replacement_and_kept_raw()
    {
        byte[] bytes = [.. "<13>Jun 14 15:16:01 combo app[1]: caf"u8, 0xE9, .. " ok  "u8];
        var e = Parse(bytes);
        Assert.True(e.Flags.HasFlag(EventFlags.InvalidUtf8));
        Assert.False(e.Flags.HasFlag(EventFlags.ParseError));
        Assert.Equal(bytes, e.Raw);
        Assert.Equal("caf\uFFFD ok  ", e.Message);
        Assert.Equal("app", e.App);
        Assert.Equal("1", e.ProcId);
    }

    [Fact]
    public void Missing_pri_means_user_notice()
    {
        var e = Parse("Jun 14 15:16:01 combo kernel: hello ");
        Assert.Equal(EventFlags.NoPri, e.Flags);
        Assert.Equal(1, e.Facility);
        Assert.Equal(5, e.Severity);
        Assert.Equal("combo", e.Host);
        Assert.Equal("kernel", e.App);
        Assert.Null(e.ProcId);
        Assert.Equal("hello ", e.Message);
    }

    [Theory]
    [InlineData("<192>Jun 14 15:16:01 h a: m")]
    [InlineData("<013>Jun 14 15:16:01 h a: m")]
    [InlineData("<>Jun 14 15:16:01 h a: m")]
    [InlineData("<1234>Jun 14 15:16:01 h a: m")]
    public void Malformed_pri_is_no_pri(string line)
    {
        var e = Parse(line);
        Assert.True(e.Flags.HasFlag(EventFlags.NoPri));
        Assert.Equal(1, e.Facility);
        Assert.Equal(5, e.Severity);
        Assert.Equal("rfc3164", e.Format);
        Assert.Equal(line, e.Message);
        Assert.Equal(Received.ToUnixTimeMilliseconds(), e.TimeMs);
    }

    [Fact]
    public void Rfc3164_variants()
    {
        var a = Parse("<38>Mar 27 19:06:53 source_server sshd(pam_unix)[12750]: session opened");
        Assert.Equal(("source_server", "sshd(pam_unix)", "12750", "session opened"), (a.Host, a.App, a.ProcId, a.Message));
        Assert.Equal(4, a.Facility);
        Assert.Equal(6, a.Severity);

        var b = Parse("Jul  1 09:01:05 calvisitor-10-105-160-95 com.apple.CDScheduler[43]: Thermal pressure state: 1 ");
        Assert.Equal(("calvisitor-10-105-160-95", "com.apple.CDScheduler", "43", "Thermal pressure state: 1 "), (b.Host, b.App, b.ProcId, b.Message));

        var noTag = Parse("<13>Feb  5 17:32:18 10.0.0.99 Use the BFG!");
        Assert.Equal(("10.0.0.99", (string?)null, (string?)null, "Use the BFG!"), (noTag.Host, noTag.App, noTag.ProcId, noTag.Message));

        var noTime = Parse("<13>just some text: here");
        Assert.Equal("rfc3164", noTime.Format);
        Assert.Equal("just some text: here", noTime.Message);
        Assert.Null(noTime.Host);
        Assert.Equal(Received.ToUnixTimeMilliseconds(), noTime.TimeMs);
        Assert.Equal(EventFlags.None, noTime.Flags);

        var rfc3339 = Parse("<14>2010-08-30T23:00:05.250+02:00 X4711 app[7]: hi");
        Assert.Equal(new DateTimeOffset(2010, 8, 30, 21, 0, 5, 250, TimeSpan.Zero), Utc(rfc3339.TimeMs));
        Assert.Equal(("X4711", "app", "7", "hi"), (rfc3339.Host, rfc3339.App, rfc3339.ProcId, rfc3339.Message));
        Assert.Equal("rfc3164", rfc3339.Format);

        var empty = Parse("");
        Assert.Equal("", empty.Message);
        Assert.Equal(EventFlags.NoPri, empty.Flags);
    }

    [Theory]
    [InlineData("<13>Jun 14 15:16:01 2001:db8::17 sshd[42]: Accepted publickey", "2001:db8::17")]
    [InlineData("<13>Jun 14 15:16:01 [2001:db8::17] sshd[42]: Accepted publickey", "2001:db8::17")]
    [InlineData("<13>2024-06-14T15:16:01.5+05:45 fe80::1%eth0 sshd[42]: Accepted publickey", "fe80::1%eth0")]
    [InlineData("<13>Jun 14 15:16:01 ::1 sshd[42]: Accepted publickey", "::1")]
    public void Rfc3164_ipv6_hosts(string line, string host)
    {
        var e = Parse(line);
        Assert.Equal((host, "sshd", "42", "Accepted publickey"), (e.Host, e.App, e.ProcId, e.Message));
    }

    [Fact]
    public void Rfc5424_fractions_and_offsets()
    {
        Assert.Equal(new DateTimeOffset(2024, 6, 14, 9, 31, 1, 500, TimeSpan.Zero), Utc(Parse("<13>1 2024-06-14T15:16:01.5+05:45 h a - - -").TimeMs));
        Assert.Equal(new DateTimeOffset(2024, 6, 15, 15, 15, 1, 999, TimeSpan.Zero), Utc(Parse("<13>1 2024-06-14T15:16:01.999999-23:59 h a - - -").TimeMs));
        var seven = Parse("<13>1 2024-06-14T15:16:01.1234567Z h a - - -"); // RFC 5424: at most 6 digits
        Assert.True(seven.Flags.HasFlag(EventFlags.ParseError));
    }

    [Fact]
    public void Rfc3164_cisco_ios_through_a_relay_with_sequence_number_and_device_time()
    {
        // The relay's header (time, host) wins for the time; the device body gives app, msgid and severity.
        var e = Parse("<189>Jun 14 15:16:01 10.0.0.1 123: *Jun 14 15:16:00.070 UTC: %SYS-5-CONFIG_I: Configured from console by vty2 (10.34.195.36)");
        Assert.Equal(("10.0.0.1", "SYS", "SYS-5-CONFIG_I", "Configured from console by vty2 (10.34.195.36)"), (e.Host, e.App, e.MsgId, e.Message));
        Assert.Equal((23, 5), ((int)e.Facility, (int)e.Severity));
        Assert.Equal(new DateTimeOffset(2024, 6, 14, 15, 16, 1, TimeSpan.Zero), Utc(e.TimeMs));
        var bare = Parse("123: *Jun 14 15:16:00.070 UTC: %SYS-5-CONFIG_I: Configured");
        Assert.Equal(new DateTimeOffset(2024, 6, 14, 15, 16, 0, 70, TimeSpan.Zero), Utc(bare.TimeMs));
        Assert.Equal(5, bare.Severity);
    }

    [Fact]
    public void Flags_set_by_the_caller_survive_and_caller_fields_are_untouched()
    {
        var e = new EventRecord { Flags = EventFlags.Truncated, ReceivedAtMs = 42, Transport = Transport.SyslogUdp, Sender = "1.2.3.4:514", Source = "syslog" };
        SyslogParser.Parse("<13>Jun 14 15:16:01 h a: m"u8, Received, TimeZoneInfo.Utc, e);
        Assert.Equal(EventFlags.Truncated, e.Flags);
        Assert.Equal((42L, Transport.SyslogUdp, "1.2.3.4:514", "syslog"), (e.ReceivedAtMs, e.Transport, e.Sender, e.Source));
    }

    [Fact]
    public void Garbage_never_throws()
    {
        var rng = new Random(20240615);
        byte[][] seeds =
        [
            "<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut=\"3\" eventSource=\"Appl\\]ication\"] BOMmsg"u8.ToArray(),
            "<38>Mar 27 19:06:53 source_server sshd(pam_unix)[12750]: session opened"u8.ToArray(),
            "<14>2010-08-30T23:00:05Z X4711 app[7]: hi"u8.ToArray(),
        ];
        var zones = new[] { TimeZoneInfo.Utc, TimeZoneInfo.CreateCustomTimeZone("z", TimeSpan.FromHours(-14), "z", "z") };
        for (int n = 0; n < 20000; n++)
        {
            byte[] bytes;
            if (n % 2 == 0)
            {
                bytes = new byte[rng.Next(0, 200)];
                rng.NextBytes(bytes);
                if (bytes.Length > 0 && rng.Next(3) == 0) bytes[0] = (byte)'<';
            }
            else
            {
                bytes = (byte[])seeds[rng.Next(seeds.Length)].Clone();
                int cut = rng.Next(bytes.Length + 1);
                Array.Resize(ref bytes, cut);
                for (int k = rng.Next(4); k > 0 && bytes.Length > 0; k--)
                    bytes[rng.Next(bytes.Length)] = (byte)"<>[]\"\\ :-0123456789Z+T.\xff"[rng.Next(24)];
            }
            var received = n % 3 == 0 ? DateTimeOffset.MinValue.AddDays(1) : n % 3 == 1 ? DateTimeOffset.MaxValue.AddDays(-1) : Received;
            var e = new EventRecord();
            SyslogParser.Parse(bytes, received, zones[n % 2], e);
            Assert.NotNull(e.Format);
            Assert.NotNull(e.Message ?? e.StructuredData ?? e.Host ?? e.App ?? e.MsgId ?? e.ProcId ?? "nil-only 5424");
            Assert.False(e.ParseError == "internal parser error: " + nameof(ArgumentOutOfRangeException), Convert.ToBase64String(bytes));
            Assert.True(e.ParseError is null || !e.ParseError.StartsWith("internal", StringComparison.Ordinal), e.ParseError + " " + Convert.ToBase64String(bytes));
        }
    }
}

using System.Buffers;
using System.Text;
using System.Text.Json;
using Redoubt.Ingest.Syslog;
using Redoubt.Parsing;
using Redoubt.Storage.Events;
using Redoubt.Tests.Support;
using Xunit.Abstractions;

namespace Redoubt.Tests.Parsing;

/// <summary>
/// Every case of shared/data/syslog-cases/syslog-cases.jsonl (go-syslog's RFC 5424 / 3164 / RFC 6587 tables and
/// rsyslog's parser test suites) is one test. Where we believe a case's expected value is wrong, the case is in
/// <see cref="OurReading"/> with the reason, and the test asserts what we believe is right instead.
/// </summary>
public sealed class ConformanceTests(ITestOutputHelper output)
{
    private static readonly DateTimeOffset Received = new(2024, 6, 15, 12, 0, 0, TimeSpan.Zero);

    private static readonly Lazy<Dictionary<string, string>> Lines = new(() =>
        File.ReadLines(SharedData.PathOf("syslog-cases", "syslog-cases.jsonl"))
            .Where(l => l.Length > 0)
            .ToDictionary(l => JsonDocument.Parse(l).RootElement.GetProperty("id").GetString()!, l => l));

    public static TheoryData<string> CaseIds()
    {
        var data = new TheoryData<string>();
        foreach (var id in Lines.Value.Keys.Order(StringComparer.Ordinal)) data.Add(id);
        return data;
    }

    [Fact]
    public void The_table_is_all_there()
    {
        // A shrunken or unreadable file must not pass as "all cases green".
        var bySource = Lines.Value.Values.Select(l => JsonDocument.Parse(l).RootElement)
            .GroupBy(c => c.GetProperty("source_repo").GetString() + " " + c.GetProperty("format").GetString()!.Split('/')[0])
            .ToDictionary(g => g.Key, g => g.Count());
        foreach (var (k, v) in bySource) output.WriteLine($"{v,4} {k}");
        Assert.Equal(305, Lines.Value.Count);
        Assert.Equal(58, bySource.Where(kv => kv.Key.StartsWith("rsyslog", StringComparison.Ordinal)).Sum(kv => kv.Value));
    }

    [Theory]
    [MemberData(nameof(CaseIds))]
    public void Case(string id)
    {
        using var doc = JsonDocument.Parse(Lines.Value[id]);
        var c = doc.RootElement;
        string format = c.GetProperty("format").GetString()!;
        byte[] input = c.TryGetProperty("input_b64", out var b64) ? Convert.FromBase64String(b64.GetString()!)
            : Encoding.UTF8.GetBytes(c.GetProperty("input").GetString()!);
        var problems = new List<string>();
        if (OurReading.TryGetValue(id, out var ours))
        {
            output.WriteLine($"{id}: asserting our reading, not the table's: {ours.Why}");
            ours.Check(Parse(input), problems);
        }
        else if (format.StartsWith("rfc6587", StringComparison.Ordinal))
            CheckFraming(c, input, problems);
        else if (c.GetProperty("source_repo").GetString() == "influxdata/go-syslog")
            CheckGoSyslog(c, format, input, problems);
        else
            CheckRsyslog(c, input, problems);
        Assert.True(problems.Count == 0, $"{id} {Describe(input)}:\n" + string.Join("\n", problems));
    }

    // ------------------------------------------------------------------ where we read a case differently

    private sealed record Reading(string Why, Action<EventRecord, List<string>> Check);

    private static readonly Dictionary<string, Reading> OurReading = new()
    {
        ["case-0116"] = new("go-syslog rejects `\\n` in an SD-PARAM value; RFC 5424 6.3.3 says a backslash before any other " +
            "character than '\"', '\\' and ']' is an ordinary backslash (\"the invalid escape sequence is not altered\"), not an error.",
            (e, p) =>
            {
                Expect(p, "ParseError", null, e.ParseError);
                Expect(p, "StructuredData", "[meta escape=\"\\n\"]", e.StructuredData);
                Expect(p, "Fields[escape]", "\\n", e.Fields?.GetValueOrDefault("escape"));
                Expect(p, "Message", "127.0.0.1 - - 1452819643 \"GET\"", e.Message);
                Expect(p, "Host", "hn", e.Host);
            }),
        ["case-0248"] = new("rsyslog keeps the whole Cisco code as programname `%PIX-7-710005`; we read the code as Cisco documents it: " +
            "App = facility `PIX`, MsgId = `PIX-7-710005` (so an analyst can filter all PIX messages, or one message id).",
            (e, p) =>
            {
                Expect(p, "Host", "172.20.245.8", e.Host);
                Expect(p, "App", "PIX", e.App);
                Expect(p, "MsgId", "PIX-7-710005", e.MsgId);
                Expect(p, "PRI", 167, e.Facility * 8 + e.Severity);
                Expect(p, "Message", "UDP request discarded from SERVER1/2741 to test_app:255.255.255.255/61601", e.Message);
            }),
        ["case-0260"] = new("rsyslog takes `05\",result_code=200,b` as a TAG although no ':' ends it; RFC 3164 4.1.3 ends a TAG with a " +
            "non-alphanumeric character and real tags end in ':' or '['. We keep the word in the message.",
            (e, p) =>
            {
                Expect(p, "Host", "10.321.1.123", e.Host);
                Expect(p, "App", null, e.App);
                Expect(p, "Message", "05\",result_code=200,b", e.Message);
                Expect(p, "PRI", 131, e.Facility * 8 + e.Severity);
                Expect(p, "ParseError", null, e.ParseError);
            }),
        ["case-0271"] = new("rsyslog accepts `eventSource= \"Application\"` (a space after '='); RFC 5424's SD-PARAM grammar has none. " +
            "We flag the header as unreadable, keep the whole text and the raw bytes, and still keep host, app and msgid read before the error.",
            (e, p) => CheckSpaceAfterEquals(e, p)),
        ["case-0272"] = new("same malformed SD-PARAM as case-0271, with a MSG after it.", (e, p) => CheckSpaceAfterEquals(e, p)),
        ["case-0276"] = new("rsyslog's parse-nodate reads `This is a message!` as hostname `This` and tag `is`: there is no timestamp, " +
            "no ':' and nothing that names a host. We keep the text whole as the message.",
            (e, p) =>
            {
                Expect(p, "Host", null, e.Host);
                Expect(p, "App", null, e.App);
                Expect(p, "Message", "This is a message!", e.Message);
                Expect(p, "NoPri", true, e.Flags.HasFlag(EventFlags.NoPri));
                Expect(p, "ParseError", null, e.ParseError);
            }),
        ["case-0295"] = new("rsyslog takes the year after the time (`AUG 10 22:18:24 2009  netips-warden2-p ...`) as hostname `2009`; " +
            "devices write `Mmm dd hh:mm:ss yyyy`, so we read the year and the host that follows it.",
            (e, p) =>
            {
                Expect(p, "Time", new DateTimeOffset(2009, 8, 10, 22, 18, 24, TimeSpan.Zero), DateTimeOffset.FromUnixTimeMilliseconds(e.TimeMs));
                Expect(p, "Host", "netips-warden2-p", e.Host);
                Expect(p, "App", null, e.App);
                Expect(p, "Message", "[audit] user=[*SMS] src=192.168.11.11 iface=5 access=9 Update State Reset", e.Message);
                Expect(p, "PRI", 6, e.Facility * 8 + e.Severity);
            }),
    };

    private static void CheckSpaceAfterEquals(EventRecord e, List<string> p)
    {
        Expect(p, "ParseError flag", true, e.Flags.HasFlag(EventFlags.ParseError));
        Expect(p, "ParseError reason", "invalid structured data parameter", e.ParseError);
        Expect(p, "Raw kept", true, e.Raw is { Length: > 0 });
        Expect(p, "Message (whole text)", e.Raw is null ? null : Encoding.UTF8.GetString(e.Raw), e.Message);
        Expect(p, "Host", "mymachine.example.com", e.Host);
        Expect(p, "App", "evntslog", e.App);
        Expect(p, "MsgId", "ID47", e.MsgId);
        Expect(p, "PRI", 165, e.Facility * 8 + e.Severity);
    }

    // ------------------------------------------------------------------ go-syslog single messages

    private static EventRecord Parse(byte[] bytes)
    {
        var e = new EventRecord();
        SyslogParser.Parse(bytes, Received, TimeZoneInfo.Utc, e);
        return e;
    }

    private static void CheckGoSyslog(JsonElement c, string format, byte[] input, List<string> problems)
    {
        var e = Parse(input);
        bool valid = c.GetProperty("valid").GetBoolean();
        bool invalidUtf8 = !System.Text.Unicode.Utf8.IsValid(input);
        Expect(problems, "InvalidUtf8", invalidUtf8, e.Flags.HasFlag(EventFlags.InvalidUtf8));
        if (invalidUtf8) Expect(problems, "Raw", Convert.ToBase64String(input), e.Raw is null ? null : Convert.ToBase64String(e.Raw));

        if (valid)
        {
            var x = c.GetProperty("expected");
            Expect(problems, "Format", format, e.Format);
            Expect(problems, "ParseError", null, e.ParseError);
            Expect(problems, "Facility", (sbyte)x.GetProperty("Facility").GetInt32(), e.Facility);
            Expect(problems, "Severity", (sbyte)x.GetProperty("Severity").GetInt32(), e.Severity);
            Expect(problems, "Host", Str(x, "Hostname"), e.Host);
            Expect(problems, "App", Str(x, "Appname"), e.App);
            Expect(problems, "ProcId", Str(x, "ProcID"), e.ProcId);
            Expect(problems, "MsgId", Str(x, "MsgID"), e.MsgId);
            string? msg = Bytes(x, "Message");
            if (msg is not null && msg.StartsWith('\uFEFF')) msg = msg[1..]; // we remove the BOM, go-syslog keeps it
            Expect(problems, "Message", msg, e.Message);
            string? ts = Str(x, "Timestamp");
            if (format == "rfc3164")
            {
                var t = DateTimeOffset.FromUnixTimeMilliseconds(e.TimeMs); // no year in the message: compare the rest
                Expect(problems, "Timestamp", ts![5..19], t.ToString("MM-ddTHH:mm:ss"));
            }
            else
            {
                long expectedMs = ts is null ? Received.ToUnixTimeMilliseconds() : TruncatedMs(ts);
                Expect(problems, "TimeMs", expectedMs, e.TimeMs);
            }
            string expectedSd = x.TryGetProperty("StructuredData", out var sd) ? Canonical(sd) : "";
            Expect(problems, "StructuredData", expectedSd, e.StructuredData is null ? "" : Canonical(ParseSd(e.StructuredData)));
            if (x.TryGetProperty("StructuredData", out sd))
                foreach (var element in sd.EnumerateObject())
                    foreach (var param in element.Value.EnumerateObject())
                    {
                        // Each SD-PARAM is also a field, unescaped, under its name (or SD-ID.name when the name repeats).
                        string? field = e.Fields?.GetValueOrDefault(param.Name);
                        if (field != param.Value.GetString()) field = e.Fields?.GetValueOrDefault(element.Name + "." + param.Name) ?? field;
                        Expect(problems, $"Fields[{param.Name}]", param.Value.GetString(), field);
                    }
            return;
        }

        string kind = c.GetProperty("kind").GetString()!;
        var partial = c.GetProperty("expected_partial_best_effort");
        if (!Has5424Prefix(input))
        {
            // Contract: a broken PRI is no PRI, and text that is not `<PRI>VERSION SP...` is a (valid) RFC 3164 message.
            Expect(problems, "Format", "rfc3164", e.Format);
            Expect(problems, "ParseError flag", false, e.Flags.HasFlag(EventFlags.ParseError));
            Expect(problems, "NoPri", !SyslogParser.TryReadPri(input, out _, out _), e.Flags.HasFlag(EventFlags.NoPri));
            return;
        }
        Expect(problems, "Format", "rfc5424", e.Format);
        Expect(problems, "Facility", (sbyte)partial.GetProperty("Facility").GetInt32(), e.Facility);
        Expect(problems, "Severity", (sbyte)partial.GetProperty("Severity").GetInt32(), e.Severity);
        if (kind == "table:non_compliant_msg")
        {
            // go-syslog's "compliant MSG" option: invalid UTF-8 after a BOM. We keep it: U+FFFD text + exact bytes in Raw.
            Expect(problems, "ParseError flag", false, e.Flags.HasFlag(EventFlags.ParseError));
            Expect(problems, "InvalidUtf8", true, e.Flags.HasFlag(EventFlags.InvalidUtf8));
            int msgStart = IndexAfterHeader(input);
            Expect(problems, "Message", Encoding.UTF8.GetString(input.AsSpan(msgStart + 3)), e.Message);
            return;
        }
        Expect(problems, "ParseError flag", true, e.Flags.HasFlag(EventFlags.ParseError));
        Expect(problems, "ParseError reason", true, !string.IsNullOrEmpty(e.ParseError));
        Expect(problems, "Raw", Convert.ToBase64String(input), e.Raw is null ? null : Convert.ToBase64String(e.Raw));
        Expect(problems, "Message (whole text kept)", Encoding.UTF8.GetString(input), e.Message);
        Expect(problems, "Fields (none from a broken header)", null, e.Fields);
        foreach (var (field, actual) in new[] { ("Hostname", e.Host), ("Appname", e.App), ("ProcID", e.ProcId), ("MsgID", e.MsgId) })
            if (Str(partial, field) is { } v) Expect(problems, field, v, actual);
    }

    // ------------------------------------------------------------------ go-syslog RFC 6587 streams

    /// <summary>
    /// The stream goes through our framer (the peer closes at its end) and each frame through the parser. Every message
    /// go-syslog's best-effort mode returns must come out, in order, with its fields; where go-syslog reports an error next
    /// to the message, ours must be marked (parse error, truncated) or be plain RFC 3164 text, as a single message would.
    /// Bytes go-syslog discards we keep as events of their own, and those must be marked (no PRI, parse error, truncated):
    /// nothing is dropped silently. One difference by design: a last line without trailer before the peer closes is a
    /// complete message for us ("unexpected EOF" in go-syslog), as it is for rsyslog.
    /// </summary>
    private static void CheckFraming(JsonElement c, byte[] input, List<string> problems)
    {
        int max = c.TryGetProperty("max_message_length", out var m) && m.ValueKind == JsonValueKind.Number ? m.GetInt32() : 8192;
        var framer = new SyslogFramer(max);
        var buffer = new ReadOnlySequence<byte>(input);
        var events = new List<(EventRecord Event, bool Truncated, byte[] Frame)>();
        while (framer.TryReadFrame(ref buffer, isCompleted: true, out var frame, out bool truncated))
        {
            var bytes = frame.ToArray();
            events.Add((Parse(bytes), truncated, bytes));
        }
        Expect(problems, "all input consumed", 0L, buffer.Length);

        var expected = c.GetProperty("expected_results_best_effort").EnumerateArray()
            .Where(r => r.GetProperty("message").ValueKind == JsonValueKind.Object).ToList();
        int next = 0;
        foreach (var (e, truncated, frame) in events)
        {
            bool flagged = truncated || (e.Flags & (EventFlags.NoPri | EventFlags.ParseError)) != 0;
            if (next < expected.Count && !e.Flags.HasFlag(EventFlags.NoPri)
                && e.Facility * 8 + e.Severity == expected[next].GetProperty("message").GetProperty("Priority").GetInt32())
            {
                var r = expected[next++];
                var x = r.GetProperty("message");
                string? error = r.GetProperty("error").ValueKind == JsonValueKind.String ? r.GetProperty("error").GetString() : null;
                if (error is null || error.StartsWith("unexpected EOF", StringComparison.Ordinal))
                {
                    Expect(problems, $"frame {next} flags", false, flagged);
                    Expect(problems, $"frame {next} Host", Str(x, "Hostname"), e.Host);
                    Expect(problems, $"frame {next} App", Str(x, "Appname"), e.App);
                    Expect(problems, $"frame {next} ProcId", Str(x, "ProcID"), e.ProcId);
                    Expect(problems, $"frame {next} MsgId", Str(x, "MsgID"), e.MsgId);
                    Expect(problems, $"frame {next} Message", Str(x, "Message"), e.Message);
                    long expectedMs = Str(x, "Timestamp") is { } ts ? TruncatedMs(ts) : Received.ToUnixTimeMilliseconds();
                    Expect(problems, $"frame {next} TimeMs", expectedMs, e.TimeMs);
                }
                else
                {
                    bool plain3164 = e.Format == "rfc3164" && !Has5424Prefix(frame);
                    Expect(problems, $"frame {next} ({error}) marked or plain RFC 3164 text", true, flagged || plain3164);
                }
                continue;
            }
            Expect(problems, $"extra frame '{Describe(frame)}' (bytes go-syslog discards) is marked", true, flagged);
        }
        Expect(problems, "messages found", expected.Count, next);
    }

    // ------------------------------------------------------------------ rsyslog

    private static void CheckRsyslog(JsonElement c, byte[] input, List<string> problems)
    {
        var e = Parse(input);
        var x = c.GetProperty("expected");
        static string? Host(string? h) => h is "~H" or "<RECEIVER_HOSTNAME>" ? null : h;
        if (Str(x, "PRI") is { } pri) Expect(problems, "PRI", pri, (e.Facility * 8 + e.Severity).ToString());
        if (Str(x, "hostname") is { } host) Expect(problems, "Host", Host(host), e.Host);
        // rsyslog renders a 5424 time in the sender's own offset; 5424 times are checked against go-syslog instead.
        if (Str(x, "timestamp") is { } ts && ts != "~H" && e.Format == "rfc3164")
        {
            var t = DateTimeOffset.FromUnixTimeMilliseconds(e.TimeMs);
            ts = ts[..4] + int.Parse(ts[4..6]).ToString().PadLeft(2) + ts[6..]; // parse-3164-buggyday renders "Mar 07"
            Expect(problems, "timestamp", ts, t.ToString("MMM", System.Globalization.CultureInfo.InvariantCulture) + " " + t.Day.ToString().PadLeft(2) + t.ToString(" HH:mm:ss"));
        }
        string? tag = Str(x, "syslogtag");
        if (tag is not null && tag.EndsWith(':'))
        {
            Expect(problems, "App", Str(x, "programname"), e.App);
            string? msg = Str(x, "msg");
            Expect(problems, "Message", msg is not null && msg.StartsWith(' ') ? msg[1..] : msg, e.Message);
        }
        Expect(problems, "ParseError flag", false, e.Flags.HasFlag(EventFlags.ParseError));
    }

    // ------------------------------------------------------------------ helpers

    private static string Describe(byte[] input)
    {
        string s = Encoding.UTF8.GetString(input);
        return s.Length > 80 ? s[..80] + "..." : s;
    }

    private static void Expect(List<string> problems, string what, object? expected, object? actual)
    {
        if (!Equals(expected, actual)) problems.Add($"{what}: expected '{expected}' got '{actual}'");
    }

    private static string? Str(JsonElement obj, string name) =>
        obj.ValueKind == JsonValueKind.Object && obj.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static string? Bytes(JsonElement obj, string name)
    {
        if (obj.TryGetProperty(name + "_b64", out var b)) return Encoding.UTF8.GetString(Convert.FromBase64String(b.GetString()!));
        return Str(obj, name);
    }

    /// <summary>Our reading of a go-syslog case: `&lt;PRI&gt;VERSION SP` makes it RFC 5424; anything else is RFC 3164 text.</summary>
    private static bool Has5424Prefix(byte[] input)
    {
        var s = Encoding.Latin1.GetString(input);
        if (!SyslogParser.TryReadPri(input, out _, out int len)) return false;
        int i = len, start = len;
        while (i < s.Length && char.IsAsciiDigit(s[i]) && i - start < 4) i++;
        return i > start && i - start <= 3 && s[start] != '0' && i < s.Length && s[i] == ' ';
    }

    private static int IndexAfterHeader(byte[] input)
    {
        int spaces = 0;
        for (int i = 0; i < input.Length; i++)
            if (input[i] == (byte)' ' && ++spaces == 7) return i + 1;
        return input.Length;
    }

    private static long TruncatedMs(string rfc3339)
    {
        // DateTimeOffset rejects offsets beyond +-14h (RFC 3339 allows -23:59), so split the offset off by hand.
        int z = rfc3339.IndexOfAny(['Z', '+', '-'], 19);
        string local = rfc3339[..z];
        TimeSpan offset = rfc3339[z] == 'Z' ? TimeSpan.Zero
            : (rfc3339[z] == '-' ? -1 : 1) * new TimeSpan(int.Parse(rfc3339.Substring(z + 1, 2)), int.Parse(rfc3339.Substring(z + 4, 2)), 0);
        if (local.Length > 27) local = local[..27]; // at most 7 fractional digits for .NET
        var dt = DateTime.Parse(local, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None);
        return (dt.Ticks - offset.Ticks - DateTime.UnixEpoch.Ticks) / TimeSpan.TicksPerMillisecond;
    }

    /// <summary>Test-side reading of an SD string as stored (escapes kept) into {id: {param: unescaped value}}.</summary>
    private static SortedDictionary<string, SortedDictionary<string, string>> ParseSd(string sd)
    {
        var result = new SortedDictionary<string, SortedDictionary<string, string>>(StringComparer.Ordinal);
        int i = 0;
        while (i < sd.Length && sd[i] == '[')
        {
            i++;
            int start = i;
            while (sd[i] != ' ' && sd[i] != ']') i++;
            var parameters = new SortedDictionary<string, string>(StringComparer.Ordinal);
            result[sd[start..i]] = parameters;
            while (sd[i] == ' ')
            {
                i++;
                start = i;
                while (sd[i] != '=') i++;
                string name = sd[start..i];
                i += 2;
                var value = new StringBuilder();
                while (sd[i] != '"')
                {
                    if (sd[i] == '\\' && sd[i + 1] is '"' or '\\' or ']') i++;
                    value.Append(sd[i++]);
                }
                i++;
                parameters[name] = value.ToString();
            }
            i++; // ]
        }
        return result;
    }

    private static string Canonical(SortedDictionary<string, SortedDictionary<string, string>> sd) =>
        string.Join("", sd.Select(kv => "[" + kv.Key + string.Join("", kv.Value.Select(p => $" {p.Key}={p.Value}")) + "]"));

    private static string Canonical(JsonElement sd)
    {
        var d = new SortedDictionary<string, SortedDictionary<string, string>>(StringComparer.Ordinal);
        foreach (var el in sd.EnumerateObject())
        {
            var p = new SortedDictionary<string, string>(StringComparer.Ordinal);
            foreach (var kv in el.Value.EnumerateObject()) p[kv.Name] = kv.Value.GetString()!;
            d[el.Name] = p;
        }
        return Canonical(d);
    }
}

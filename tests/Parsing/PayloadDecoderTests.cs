using System.Buffers;
using System.Text;
using System.Text.Json;
using Redoubt.Ingest.Syslog;
using Redoubt.Parsing.Payload;
using Redoubt.Storage.Events;
using Redoubt.Tests.Support;

namespace Redoubt.Tests.Parsing;

/// <summary>CEF, LEEF, JSON and key=value decoders: conformance on real samples, escapes, and malformed payloads.</summary>
public sealed class PayloadDecoderTests
{
    private static readonly SyslogEvents Events = new(TimeZoneInfo.Utc, TimeProvider.System);

    private static EventRecord Read(string frame) => Events.FromFrame(Encoding.UTF8.GetBytes(frame), false, Transport.SyslogTcp, null);
    private static string? Field(EventRecord e, string name) => e.Fields?.GetValueOrDefault(name);

    // ------------------------------------------------------------------ CEF

    /// <summary>
    /// Beats names extension keys by the ArcSight dictionary ("src" is "sourceAddress"); we keep them as sent, so the
    /// golden file is compared on short keys. (Beats' "DeviceCustomNumber2", capital D, is its own quirk for cn2.)
    /// </summary>
    private static readonly Dictionary<string, string> ShortKey = new()
    {
        ["sourceAddress"] = "src", ["destinationAddress"] = "dst", ["message"] = "msg", ["sourceUserName"] = "suser",
        ["destinationUserName"] = "duser", ["deviceHostName"] = "dvchost", ["deviceAction"] = "act", ["deviceAddress"] = "dvc",
        ["destinationMacAddress"] = "dmac", ["sourceMacAddress"] = "smac", ["bytesOut"] = "out", ["baseEventCount"] = "cnt",
        ["transportProtocol"] = "proto", ["sourcePort"] = "spt", ["destinationPort"] = "dpt", ["filename"] = "fname",
        ["sourceHostName"] = "shost", ["requestUrl"] = "request", ["destinationGeoLatitude"] = "dlat",
        ["destinationGeoLongitude"] = "dlong", ["fileSize"] = "fsize", ["sourceUserId"] = "suid", ["DeviceCustomNumber2"] = "cn2",
        ["deviceCustomNumber1"] = "cn1", ["deviceCustomNumber2"] = "cn2", ["deviceCustomNumber3"] = "cn3",
        ["deviceCustomNumber1Label"] = "cn1Label", ["deviceCustomNumber2Label"] = "cn2Label", ["deviceCustomNumber3Label"] = "cn3Label",
        ["deviceCustomString1"] = "cs1", ["deviceCustomString2"] = "cs2", ["deviceCustomString3"] = "cs3", ["deviceCustomString4"] = "cs4",
        ["deviceCustomString5"] = "cs5", ["deviceCustomString6"] = "cs6", ["deviceCustomString1Label"] = "cs1Label",
        ["deviceCustomString2Label"] = "cs2Label", ["deviceCustomString3Label"] = "cs3Label", ["deviceCustomString4Label"] = "cs4Label",
        ["deviceCustomString5Label"] = "cs5Label", ["deviceCustomString6Label"] = "cs6Label",
    };

    public static TheoryData<int> BeatsLines() => [.. Enumerable.Range(1, 15)];

    [Theory]
    [MemberData(nameof(BeatsLines))]
    public void Cef_matches_the_beats_golden_output(int line)
    {
        var golden = File.ReadLines(SharedData.PathOf("logs", "cef", "elastic-beats-decode-cef", "expected_cef.jsonl"))
            .Select(l => JsonDocument.Parse(l).RootElement).Single(r => r.GetProperty("line").GetInt32() == line);
        string input = File.ReadAllLines(SharedData.PathOf("logs", "cef", "elastic-beats-decode-cef", "samples.log"))[line - 1];
        Assert.Equal(golden.GetProperty("input").GetString(), input);

        // As a collector receives it: behind a BSD header.
        var e = Read("<134>Jun 15 12:00:00 arcsight-relay " + input);
        Assert.Equal(("arcsight-relay", input), (e.Host, e.Message));
        var x = golden.GetProperty("expected_cef");
        Assert.Equal("cef", Field(e, PayloadDecoders.DecoderField));
        Assert.Null(Field(e, PayloadDecoders.ErrorField));
        Assert.Equal(x.GetProperty("version").GetInt32().ToString(), Field(e, "cefVersion"));
        var device = x.GetProperty("device");
        Assert.Equal(device.GetProperty("vendor").GetString(), Field(e, "deviceVendor"));
        Assert.Equal(device.GetProperty("product").GetString(), Field(e, "deviceProduct"));
        Assert.Equal(device.GetProperty("version").GetString(), Field(e, "deviceVersion"));
        Assert.Equal(device.GetProperty("event_class_id").GetString(), Field(e, "deviceEventClassId"));
        Assert.Equal(x.GetProperty("name").GetString(), Field(e, "name"));
        Assert.Equal(x.GetProperty("severity").GetString(), Field(e, "severity"));

        var expected = new Dictionary<string, string>();
        Flatten(x.GetProperty("extensions"), "", expected);
        var ours = e.Fields!.Where(kv => kv.Key is not ("cefVersion" or "deviceVendor" or "deviceProduct" or "deviceVersion"
            or "deviceEventClassId" or "name" or "severity" or PayloadDecoders.DecoderField)).ToDictionary(kv => kv.Key, kv => kv.Value);
        Assert.Equal(expected.OrderBy(kv => kv.Key, StringComparer.Ordinal), ours.OrderBy(kv => kv.Key, StringComparer.Ordinal));
    }

    private static void Flatten(JsonElement obj, string prefix, Dictionary<string, string> into)
    {
        foreach (var p in obj.EnumerateObject())
        {
            if (p.Value.ValueKind == JsonValueKind.Object) { Flatten(p.Value, prefix + p.Name + ".", into); continue; }
            string name = prefix.Length == 0 && ShortKey.TryGetValue(p.Name, out var s) ? s : prefix + p.Name;
            into[name] = p.Value.GetString()!;
        }
    }

    [Fact]
    public void Cef_header_and_extension_escapes_and_multi_line_values()
    {
        var e = Read(@"<13>Jan 18 11:07:53 host CEF:0|Vendor\|Inc|Pro\\duct|1.0|100|Name with \| pipe|5|" +
                     @"msg=line one\nline two\r\nend cs1=a\=b c\\d fname=C:\\temp\\x.exe request=http://h/?q\=1 suser=John Smith");
        Assert.Equal(("Vendor|Inc", @"Pro\duct", "Name with | pipe"), (Field(e, "deviceVendor"), Field(e, "deviceProduct"), Field(e, "name")));
        Assert.Equal("line one\nline two\r\nend", Field(e, "msg"));
        Assert.Equal(@"a=b c\d", Field(e, "cs1"));
        Assert.Equal(@"C:\temp\x.exe", Field(e, "fname"));
        Assert.Equal("http://h/?q=1", Field(e, "request"));
        Assert.Equal("John Smith", Field(e, "suser"));
        Assert.Equal("host", e.Host);
    }

    [Theory]
    [InlineData("CEF:0|Vendor|Product", "CEF header has 2 of 7 fields before the extension")]
    [InlineData("CEF:0|a|b|c|d|e|", "CEF header has 6 of 7 fields before the extension")]
    [InlineData("CEF:0|a|b|c|d|e|f|=novalue x", "extension does not start with key=value")]
    public void Cef_malformed_keeps_the_message_and_says_why(string payload, string error)
    {
        var e = Read("<13>Jan 18 11:07:53 host " + payload);
        Assert.Equal(payload, e.Message);
        Assert.Equal(("cef", error), (Field(e, PayloadDecoders.DecoderField), Field(e, PayloadDecoders.ErrorField)));
        Assert.False(e.Flags.HasFlag(EventFlags.ParseError)); // the syslog header was fine
        Assert.Equal("host", e.Host);
    }

    [Fact]
    public void Cef_dvchost_and_rt_stand_in_for_a_missing_header()
    {
        var e = Read("CEF:0|FireEye|hx|3.5.1|IOC Hit Found|IOC Hit Found|10|rt=Aug 25 2017 17:22:01 UTC dvchost=usa001 dst=192.168.1.2");
        Assert.Equal(("usa001", new DateTimeOffset(2017, 8, 25, 17, 22, 1, TimeSpan.Zero)), (e.Host, DateTimeOffset.FromUnixTimeMilliseconds(e.TimeMs)));
        var epoch = Read("CEF:0|V|P|1|2|N|3|rt=1557937550123 src=10.0.0.1");
        Assert.Equal(1557937550123, epoch.TimeMs);
        var header = Read("<13>Jan 18 11:07:53 relay CEF:0|V|P|1|2|N|3|rt=1557937550123 dvchost=dev");
        Assert.Equal("relay", header.Host); // the header wins
        Assert.NotEqual(1557937550123, header.TimeMs);
    }

    // ------------------------------------------------------------------ LEEF

    [Fact]
    public void Leef_2_0_with_a_caret_delimiter_and_a_hex_tab_delimiter()
    {
        var caret = Read("<13>Jan 18 11:07:53 qradar LEEF:2.0|Lancope|StealthWatch|1.0|41|^|src=10.0.1.8^dst=10.0.0.5^sev=5^srcPort=81^dstPort=21^msg=a b=c");
        Assert.Equal(("leef", "2.0", "Lancope", "StealthWatch", "1.0", "41"),
            (Field(caret, PayloadDecoders.DecoderField), Field(caret, "leefVersion"), Field(caret, "deviceVendor"), Field(caret, "deviceProduct"), Field(caret, "deviceVersion"), Field(caret, "eventId")));
        Assert.Equal(("10.0.1.8", "10.0.0.5", "21", "a b=c"), (Field(caret, "src"), Field(caret, "dst"), Field(caret, "dstPort"), Field(caret, "msg")));

        var hex = Read("LEEF:2.0|Vendor|Prod|2.1|login|x09|usrName=joe smith\tsrc=192.0.2.1\tdevTime=2024-03-01 10:00:00");
        Assert.Equal(("joe smith", "192.0.2.1"), (Field(hex, "usrName"), Field(hex, "src")));
        Assert.Equal(new DateTimeOffset(2024, 3, 1, 10, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds(), hex.TimeMs);

        var zeroX = Read("LEEF:2.0|Vendor|Prod|2.1|login|0x7c|a=1|b=2");
        Assert.Equal(("1", "2"), (Field(zeroX, "a"), Field(zeroX, "b")));

        var noDelimiter = Read("LEEF:2.0|Vendor|Prod|2.1|login|a=1\tb=x|y");
        Assert.Equal(("1", "x|y"), (Field(noDelimiter, "a"), Field(noDelimiter, "b")));
    }

    [Fact]
    public void Leef_1_0_space_separated_fallback_and_malformed_header()
    {
        var spaced = Read("LEEF:1.0|Microsoft|MSExchange|4.0 SP1|15345|src=10.50.1.1 dst=2.10.20.20 usrName=Jane Doe");
        Assert.Equal(("10.50.1.1", "Jane Doe"), (Field(spaced, "src"), Field(spaced, "usrName")));

        var broken = Read("<13>Jan 18 11:07:53 h LEEF:1.0|Vendor");
        Assert.Equal(("leef", "LEEF header has 1 of 5 fields before the attributes"), (Field(broken, PayloadDecoders.DecoderField), Field(broken, PayloadDecoders.ErrorField)));
        Assert.Equal("LEEF:1.0|Vendor", broken.Message);

        var badDelimiter = Read("LEEF:2.0|V|P|1|E|xZZ|a=1");
        Assert.StartsWith("LEEF 2.0 delimiter 'xZZ'", Field(badDelimiter, PayloadDecoders.ErrorField));
    }

    // ------------------------------------------------------------------ key=value

    [Fact]
    public void Key_value_quotes_spaces_equals_empty_values_and_repeats()
    {
        var e = Read("<189>Jan 18 11:07:53 fw1 date=2024-01-18 time=11:07:53 devname=\"FW-1\" msg=\"User a=b logged in\" empty= user='joe \\' q' " +
                     "path=\"C:\\\\x\" url=http://h/?a=b&c=d LEN=40 LEN=60 DF");
        Assert.Equal("kv", Field(e, PayloadDecoders.DecoderField));
        Assert.Equal(("FW-1", "User a=b logged in", "", "joe ' q", @"C:\x", "http://h/?a=b&c=d", "40"),
            (Field(e, "devname"), Field(e, "msg"), Field(e, "empty"), Field(e, "user"), Field(e, "path"), Field(e, "url"), Field(e, "LEN")));
        Assert.False(e.Fields!.ContainsKey("DF"));
        Assert.Equal("fw1", e.Host); // the header wins over devname
    }

    [Fact]
    public void Key_value_needs_two_pairs_and_reports_an_unterminated_quote()
    {
        Assert.Null(Read("<13>Jan 18 11:07:53 h app: connect host= /192.0.2.1").Fields);
        var cut = Read("<13>Jan 18 11:07:53 h app: a=1 msg=\"never closed");
        Assert.Equal(("1", "never closed", "unterminated quoted value of 'msg'"), (Field(cut, "a"), Field(cut, "msg"), Field(cut, PayloadDecoders.ErrorField)));
    }

    [Fact]
    public void Real_sshd_pam_line_gives_its_key_value_pairs()
    {
        var line = File.ReadAllLines(SharedData.PathOf("logs", "loghub", "Linux", "Linux_2k.log")).First(l => l.Contains("authentication failure;", StringComparison.Ordinal));
        var e = Read(line);
        Assert.Equal("kv", Field(e, PayloadDecoders.DecoderField));
        Assert.Equal("0", Field(e, "uid"));
        Assert.Equal(System.Text.RegularExpressions.Regex.Match(line, @"rhost=(\S+)").Groups[1].Value, Field(e, "rhost"));
    }

    // ------------------------------------------------------------------ JSON

    [Fact]
    public void Json_real_agent_events_behind_a_syslog_header_and_a_cee_cookie()
    {
        var file = Directory.GetFiles(SharedData.PathOf("agent-events", "otrf-security-datasets", "windows"), "*.json").Order(StringComparer.Ordinal).First();
        foreach (var json in File.ReadLines(file).Where(l => l.Length > 0).Take(50))
        {
            using var doc = JsonDocument.Parse(json);
            foreach (var frame in (string[])["<14>Jan 18 11:07:53 collector winlogbeat: " + json, "<14>Jan 18 11:07:53 collector app: @cee: " + json])
            {
                var e = Read(frame);
                Assert.Equal("json", Field(e, PayloadDecoders.DecoderField));
                Assert.Null(Field(e, PayloadDecoders.ErrorField));
                foreach (var p in doc.RootElement.EnumerateObject())
                {
                    string? expected = p.Value.ValueKind switch
                    {
                        JsonValueKind.String => p.Value.GetString(),
                        JsonValueKind.Number => p.Value.GetRawText(),
                        JsonValueKind.True => "true",
                        JsonValueKind.False => "false",
                        _ => null,
                    };
                    if (expected is not null) Assert.Equal(expected, Field(e, p.Name));
                }
                Assert.Equal("collector", e.Host);
            }
        }
    }

    [Fact]
    public void Json_nested_objects_are_flattened_arrays_kept_and_bad_json_reported()
    {
        var e = Read("<14>Jan 18 11:07:53 h app: {\"user\":{\"name\":\"joe\",\"id\":7},\"tags\":[\"a\",{\"b\":1}],\"ok\":true,\"n\":null,\"esc\":\"a\\\"b\\u00e9\"}");
        Assert.Equal(("joe", "7", "[\"a\",{\"b\":1}]", "true", "a\"bé"), (Field(e, "user.name"), Field(e, "user.id"), Field(e, "tags"), Field(e, "ok"), Field(e, "esc")));
        Assert.False(e.Fields!.ContainsKey("n"));

        var bad = Read("<14>Jan 18 11:07:53 h app: {\"a\":1,\"b\":}");
        Assert.Equal("json", Field(bad, PayloadDecoders.DecoderField));
        Assert.StartsWith("invalid JSON at byte", Field(bad, PayloadDecoders.ErrorField));
        Assert.Equal("1", Field(bad, "a"));
        Assert.Equal("{\"a\":1,\"b\":}", bad.Message);

        var deep = Read("<14>Jan 18 11:07:53 h app: " + new string('[', 0) + string.Concat(Enumerable.Repeat("{\"a\":", 100)) + "1" + new string('}', 100));
        Assert.StartsWith("invalid JSON", Field(deep, PayloadDecoders.ErrorField));
    }

    [Fact]
    public void Field_count_is_bounded()
    {
        var many = string.Join(' ', Enumerable.Range(0, 2000).Select(i => $"k{i}=v{i}"));
        var e = Read("<13>Jan 18 11:07:53 h app: " + many);
        Assert.True(e.Fields!.Count <= Fields.MaxFields + 2);
        Assert.Contains("more than", Field(e, PayloadDecoders.ErrorField));
        Assert.Equal(many, e.Message); // all of it is still in the message
    }

    // ------------------------------------------------------------------ multi-line over TCP

    [Fact]
    public void Octet_counted_stack_trace_is_one_event_with_its_line_breaks()
    {
        const string trace = "java.lang.IllegalStateException: boom\n\tat com.example.A.run(A.java:10)\n\tat java.base/java.lang.Thread.run(Thread.java:833)";
        string message = "<11>1 2024-06-15T12:00:00.123Z app1 billing 4242 ERR - " + trace;
        string json = "<14>1 2024-06-15T12:00:01Z app1 billing 4242 - - {\"level\":\"error\",\"stack\":\"" + trace.Replace("\n", "\\n").Replace("\t", "\\t") + "\"}";
        byte[] stream = Encoding.UTF8.GetBytes($"{Encoding.UTF8.GetByteCount(message)} {message}{Encoding.UTF8.GetByteCount(json)} {json}");
        var framer = new SyslogFramer(64 * 1024);
        var buffer = new ReadOnlySequence<byte>(stream);
        var events = new List<EventRecord>();
        while (framer.TryReadFrame(ref buffer, true, out var frame, out bool truncated))
            events.Add(Events.FromFrame(frame, truncated, Transport.SyslogTcp, null));
        Assert.Equal(2, events.Count);
        Assert.Equal((trace, "billing", "ERR"), (events[0].Message, events[0].App, events[0].MsgId));
        Assert.Equal(trace, Field(events[1], "stack"));
    }
}

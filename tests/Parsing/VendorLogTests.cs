using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Redoubt.Ingest.Syslog;
using Redoubt.Parsing.Payload;
using Redoubt.Storage.Events;
using Redoubt.Tests.Support;

namespace Redoubt.Tests.Parsing;

/// <summary>
/// Real vendor lines (shared/data/logs/wazuh-ruleset-tests/by-vendor-log) through the same path the listeners use
/// (header, payload decoders, promotion): what an analyst reads off each line - host, app/tag, message id, time,
/// and the named fields. Expected values come from the raw line itself (read here with independent regexes or
/// written out by hand), never from the parser.
/// </summary>
public sealed class VendorLogTests
{
    // Received mid-2026 in UTC: lines without a year take 2026 (or 2025 for dates after mid-June).
    private static readonly DateTimeOffset Received = new(2026, 12, 4, 5, 0, 0, TimeSpan.Zero);

    private static string[] Lines(string vendor) =>
        File.ReadAllText(SharedData.PathOf("logs", "wazuh-ruleset-tests", "by-vendor-log", vendor + ".log"))
            .Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Length > 0).ToArray();

    private static EventRecord Read(string line)
    {
        var clock = new FixedClock(Received);
        return new SyslogEvents(TimeZoneInfo.Utc, clock).FromFrame(Encoding.UTF8.GetBytes(line), false, Transport.SyslogUdp, null);
    }

    private static DateTimeOffset Time(EventRecord e) => DateTimeOffset.FromUnixTimeMilliseconds(e.TimeMs);
    private static DateTimeOffset Utc(int y, int mo, int d, int h, int mi, int s, int ms = 0) => new(y, mo, d, h, mi, s, ms, TimeSpan.Zero);
    private static string? Field(EventRecord e, string name) => e.Fields?.GetValueOrDefault(name);

    [Fact]
    public void Every_vendor_line_is_read_without_a_parse_error_and_keeps_its_text()
    {
        var failures = new List<string>();
        foreach (var file in Directory.GetFiles(SharedData.PathOf("logs", "wazuh-ruleset-tests", "by-vendor-log"), "*.log"))
            foreach (var line in Lines(Path.GetFileNameWithoutExtension(file)))
            {
                var e = Read(line);
                if (e.Flags.HasFlag(EventFlags.ParseError)) failures.Add($"{Path.GetFileName(file)}: {e.ParseError}: {line}");
                if (e.Message is null && e.StructuredData is null) failures.Add($"{Path.GetFileName(file)}: nothing kept: {line}");
                // Some samples were cut short (a trailing "...", an unbalanced quote, Check Point data without its ']'):
                // only those may say the decoder could not read everything.
                bool cutShort = line.EndsWith("...", StringComparison.Ordinal) || line.Count(c => c == '"') % 2 == 1 || line.Count(c => c == '\'') % 2 == 1
                    || (file.EndsWith("checkpoint_smart1.log", StringComparison.Ordinal) && !line.EndsWith(']'));
                string? err = e.Fields?.GetValueOrDefault(PayloadDecoders.ErrorField);
                if (err is not null && !cutShort) failures.Add($"{Path.GetFileName(file)}: decoder error '{err}': {line}");
                if (err is null && cutShort && e.Fields?.ContainsKey(PayloadDecoders.DecoderField) == true && line.Count(c => c == '"') % 2 == 1)
                    failures.Add($"{Path.GetFileName(file)}: unbalanced quote but no decoder error: {line}");
            }
        Assert.True(failures.Count == 0, string.Join("\n", failures.Take(20)));
    }

    /// <summary>Cross-check with Wazuh's own expectations: where its decoder is named after the program, that is our App.</summary>
    [Fact]
    public void App_matches_the_program_wazuh_decodes_the_line_as()
    {
        var programOf = new Dictionary<string, string>
        {
            ["sshd"] = "sshd", ["sudo"] = "sudo", ["su"] = "su", ["dovecot"] = "dovecot", ["proftpd"] = "proftpd",
            ["smbd"] = "smbd", ["dropbear"] = "dropbear", ["doas"] = "doas", ["kernel"] = "kernel",
            ["pf"] = "filterlog", ["openldap"] = "slapd", ["NetworkManager"] = "NetworkManager", ["cisco-asa"] = "ASA", ["pix"] = "PIX",
            ["cisco-ftd"] = "FTD", ["huawei-usg"] = "", ["arbor"] = "arbor-networks-aps", ["fortiauth"] = "db",
        };
        var vendorLines = Directory.GetFiles(SharedData.PathOf("logs", "wazuh-ruleset-tests", "by-vendor-log"), "*.log")
            .SelectMany(f => Lines(Path.GetFileNameWithoutExtension(f))).ToHashSet();
        int checkedLines = 0;
        var failures = new List<string>();
        foreach (var json in File.ReadLines(SharedData.PathOf("logs", "wazuh-ruleset-tests", "wazuh_ruleset_test_logs.jsonl")))
        {
            var r = JsonDocument.Parse(json).RootElement;
            string log = r.GetProperty("log").GetString()!, decoder = r.GetProperty("expected_decoder").GetString()!;
            if (!vendorLines.Contains(log) || !programOf.TryGetValue(decoder, out var program)) continue;
            var e = Read(log);
            bool ok = program.Length == 0 ? e.App is { Length: > 0 } : e.App == program || e.App?.StartsWith(program + "(", StringComparison.Ordinal) == true;
            if (!ok) failures.Add($"{decoder}: App '{e.App}' | {log}");
            checkedLines++;
        }
        Assert.True(checkedLines > 250, $"only {checkedLines} lines cross-checked");
        Assert.True(failures.Count == 0, string.Join("\n", failures.Take(20)));
    }

    [Theory]
    [InlineData("cisco_asa", "ASA")]
    [InlineData("cisco_ftd", "FTD")]
    [InlineData("pix", "PIX")]
    public void Cisco_firewalls_every_line_gives_facility_message_id_severity_and_text(string vendor, string facility)
    {
        var code = new Regex(@"%(" + facility + @")-(\d)-(\d{6}):? (.*)$");
        foreach (var line in Lines(vendor))
        {
            var m = code.Match(line);
            Assert.True(m.Success, line);
            var e = Read(line);
            Assert.Equal(facility, e.App);
            Assert.Equal($"{facility}-{m.Groups[2].Value}-{m.Groups[3].Value}", e.MsgId);
            Assert.Equal(int.Parse(m.Groups[2].Value), e.Severity); // no PRI on these lines: the code's severity
            Assert.Equal(m.Groups[4].Value, e.Message);
            Assert.Null(e.Host);
        }
        if (vendor == "cisco_asa")
        {
            var dated = Read(Lines(vendor).Single(l => l.StartsWith("Oct 03 2018", StringComparison.Ordinal)));
            Assert.Equal(Utc(2018, 10, 3, 17, 34, 8), Time(dated));
        }
    }

    [Fact]
    public void Cisco_ios_sequence_numbers_device_times_zones_and_uptime()
    {
        var lines = Lines("cisco_ios");
        // (host, app, msgid, time or null = receive time), line by line as an analyst reads them.
        (string? Host, string? App, string? MsgId, DateTimeOffset? Time)[] expected =
        [
            ("10.10.10.1", "IPS", "IPS-4-SIGNATURE", Utc(2026, 9, 1, 10, 25, 29)),
            ("10.10.10.1", "IPS", "IPS-4-SIGNATURE", Utc(2026, 9, 1, 10, 25, 29)),
            ("10.10.10.1", "IPS", "IPS-4-SIGNATURE", Utc(2026, 9, 1, 10, 25, 29)),
            ("10.10.10.1", "SEC", "SEC-6-IPACCESSLOGP", Utc(2026, 9, 1, 10, 25, 29)),
            ("10.10.10.1", "SEC", "SEC-6-IPACCESSLOGP", Utc(2026, 9, 1, 10, 25, 29)),
            (null, "SEC", "SEC-6-IPACCESSLOGP", Utc(2026, 10, 6, 3, 32, 4, 114)),  // 3924923: *Oct  6 03:32:04.114 gmt:
            (null, "SEC", "SEC-6-IPACCESSLOGP", Utc(2026, 10, 6, 3, 32, 4)),       // "mng:" is no zone we know: source zone
            (null, "SEC", "SEC-6-IPACCESSLOGP", Utc(2026, 8, 17, 7, 41, 24, 776)), // 17:41:24.776 AEST = UTC+10
            (null, "SSH", "SSH-5-SSH2_SESSION", Utc(2026, 8, 23, 0, 17, 55, 356)),
            (null, "SSH", "SSH-5-SSH2_USERAUTH", Utc(2026, 8, 23, 0, 16, 18, 200)),
            (null, "DOT1X", "DOT1X-5-FAIL", Utc(2026, 4, 30, 15, 10, 58)),
            ("vm-ubuntu16->10.0.0.16", null, null, Utc(2019, 5, 6, 9, 28, 12)),  // Wazuh's relay header around a nested line
            (null, "SEC", "SEC-6-IPACCESSLOGP", Utc(2026, 10, 6, 3, 32, 2)),
            (null, "SEC", "SEC-6-IPACCESSLOGP", Utc(2026, 10, 6, 3, 32, 2)),
            (null, "SEC", "SEC-6-IPACCESSLOGP", Utc(2026, 10, 6, 3, 32, 2, 70)),
            (null, "LINK", "LINK-3-UPDOWN", null),                                 // uptime only: the receive time
            (null, "LINK", "LINK-3-UPDOWN", null),
        ];
        Assert.Equal(expected.Length, lines.Length);
        for (int i = 0; i < lines.Length; i++)
        {
            var e = Read(lines[i]);
            var x = expected[i];
            Assert.True((x.Host, x.App, x.MsgId) == (e.Host, e.App, e.MsgId), $"line {i + 1}: got ({e.Host}, {e.App}, {e.MsgId}) | {lines[i]}");
            Assert.True((x.Time ?? Received) == Time(e), $"line {i + 1}: time {Time(e):o} | {lines[i]}");
            if (x.MsgId is not null) Assert.StartsWith(lines[i][(lines[i].IndexOf(x.MsgId, StringComparison.Ordinal) + x.MsgId.Length + 2)..][..10], e.Message);
        }
    }

    [Fact]
    public void Fortigate_key_value_fields_and_the_device_name_and_time_when_there_is_no_header()
    {
        var pair = new Regex(@"(?:^|\s)([A-Za-z_][\w.-]*)=(""[^""]*""|\S*)");
        foreach (var line in Lines("fortigate"))
        {
            var e = Read(line);
            Assert.Equal("kv", Field(e, PayloadDecoders.DecoderField));
            var seen = new HashSet<string>();
            foreach (Match m in pair.Matches(line))
            {
                string key = m.Groups[1].Value, raw = m.Groups[2].Value;
                if (!seen.Add(key)) continue; // first value of a repeated key
                // FortiOS escapes '\' and '"' inside quoted values ("sample\\test.xls" is the file sample\test.xls).
                string value = raw.StartsWith('"') ? raw[1..^1].Replace("\\\\", "\\").Replace("\\\"", "\"") : raw;
                Assert.True(value == Field(e, key), $"{key}: expected '{value}' got '{Field(e, key)}' | {line}");
            }
            if (!line.StartsWith("date=", StringComparison.Ordinal)) continue;
            // No syslog header: the analyst reads the device name and the device's own time.
            Assert.Equal(Regex.Match(line, @"devname=""?([^"" ]+)").Groups[1].Value is { Length: > 0 } d ? d : null, e.Host);
            var et = Regex.Match(line, @"eventtime=(\d+)");
            var expectedTime = et.Success
                ? DateTimeOffset.FromUnixTimeMilliseconds(long.Parse((et.Groups[1].Value + "000")[..13]))
                : DateTimeOffset.Parse(Regex.Match(line, @"date=(\S+) time=(\S+)").Result("$1T$2Z"), System.Globalization.CultureInfo.InvariantCulture);
            Assert.True(expectedTime == Time(e), $"time {Time(e):o}, expected {expectedTime:o} | {line}");
        }
    }

    [Fact]
    public void Iptables_netfilter_fields()
    {
        foreach (var line in Lines("iptables"))
        {
            var e = Read(line);
            Assert.Equal("kernel", e.App);
            Assert.Equal("kv", Field(e, PayloadDecoders.DecoderField));
            foreach (var key in (string[])["SRC", "DST", "PROTO", "OUT"])
            {
                var m = Regex.Match(line, @"(?:^|[\s)])" + key + @"=(\S*)");
                if (m.Success) Assert.True(m.Groups[1].Value == Field(e, key), $"{key} | {line}");
            }
            Assert.NotNull(e.Host);
        }
    }

    [Fact]
    public void Sonicwall_sophos_fortimail_fortiddos_fortiauth_key_value()
    {
        foreach (var vendor in (string[])["SonicWall", "sophos_fw", "fortimail", "fortiddos", "fortiauth"])
            foreach (var line in Lines(vendor))
            {
                var e = Read(line);
                Assert.Equal("kv", Field(e, PayloadDecoders.DecoderField));
                foreach (Match m in Regex.Matches(line, @"(?:^|\s)(msg|src|dst|log_id|device_name|user|action|type)=(""[^""]*""|\S+)"))
                {
                    string v = m.Groups[2].Value;
                    Assert.True((v.StartsWith('"') ? v[1..^1] : v) == Field(e, m.Groups[1].Value), $"{m.Groups[1].Value} | {line}");
                    break;
                }
            }
        var sonic = Read(Lines("SonicWall")[0]); // id=NSA3600  sn=... time="2019-02-27 12:55:40 UTC" ... note="Source: 2.228.169.242, 63130, ..."
        Assert.Equal(Utc(2019, 2, 27, 12, 55, 40), Time(sonic));
        Assert.Equal("Source: 2.228.169.242, 63130, Destination: 217.56.236.4, 8, Protocol: 1", Field(sonic, "note"));
        Assert.Equal("17 (LAN->WAN)", Field(sonic, "rule"));
        var sophos = Read(Lines("sophos_fw")[0]); // device_name="XG210" date=2019-10-09 time=17:19:06 timezone="+08"
        Assert.Equal("XG210", sophos.Host);
        Assert.Equal(Utc(2019, 10, 9, 9, 19, 6), Time(sophos));
        var ddos = Read(Lines("fortiddos")[0]); // 2021-05-27T23:59:59.998837-03:00 12.34.56.78 devid=...
        Assert.Equal(("12.34.56.78", Utc(2021, 5, 28, 2, 59, 59, 998)), (ddos.Host, Time(ddos)));
        var auth = Read(Lines("fortiauth")[0]);
        Assert.Equal(("XXX.XXX.XXX.XXX", "db", "32167", "user2"), (auth.Host, auth.App, auth.ProcId, Field(auth, "user")));
    }

    [Fact]
    public void Paloalto_pfsense_netscreen_huawei_headers()
    {
        foreach (var line in Lines("paloalto"))
        {
            var e = Read(line);
            if (line.StartsWith("Apr 30 06:00:00 xx-xx-xx.xx ", StringComparison.Ordinal))
            {
                Assert.Equal(("xx-xx-xx.xx", Utc(2026, 4, 30, 6, 0, 0)), (e.Host, Time(e)));
                Assert.Equal(line["Apr 30 06:00:00 xx-xx-xx.xx ".Length..], e.Message);
            }
            else if (line.StartsWith("May 00", StringComparison.Ordinal)) // a sample with day 00: no time to read, all text kept
                Assert.Equal((null, line, Received), (e.Host, e.Message, Time(e)));
            else
                Assert.Equal((null, line), (e.Host, e.Message)); // bare PAN-OS CSV, no header
        }

        // PAN-OS CSV: columns named after PAN-OS's field list.
        var threat = Read(Lines("paloalto").Single(l => l.StartsWith("0,2021/07/12", StringComparison.Ordinal)));
        Assert.Equal(("panos", "THREAT", "vulnerability", "321321321"), (Field(threat, PayloadDecoders.DecoderField), Field(threat, "type"), Field(threat, "subtype"), Field(threat, "serial")));
        Assert.Equal(("199.195.252.165", "172.30.250.61", "web-browsing", "55094", "443", "tcp", "reset-both"),
            (Field(threat, "src"), Field(threat, "dst"), Field(threat, "app"), Field(threat, "sport"), Field(threat, "dport"), Field(threat, "proto"), Field(threat, "action")));
        Assert.Equal(("getuser", "DCS-2530L Unauthenticated Information Disclosure Vulnerability(90255)", "high", "client-to-server"),
            (Field(threat, "misc"), Field(threat, "threatid"), Field(threat, "severity"), Field(threat, "direction")));
        Assert.Equal(Utc(2021, 7, 12, 9, 46, 0), Time(threat)); // no header: the time generated (source zone UTC here)
        var traffic = Read(Lines("paloalto").Single(l => l.StartsWith("0,2021/07/15", StringComparison.Ordinal)));
        Assert.Equal(("TRAFFIC", "10.210.0.84", "51.11.168.232", "DENY-ALL", "udp", "deny", "1", "any"),
            (Field(traffic, "type"), Field(traffic, "src"), Field(traffic, "dst"), Field(traffic, "rule"), Field(traffic, "proto"), Field(traffic, "action"), Field(traffic, "packets"), Field(traffic, "category")));
        var system = Read(Lines("paloalto").First(l => l.Contains(",SYSTEM,general,", StringComparison.Ordinal)));
        Assert.Equal(("SYSTEM", "general", "general", "xxxxxxxxxxxxxxx"), (Field(system, "type"), Field(system, "subtype"), Field(system, "eventid"), Field(system, "opaque")));
        Assert.Equal(Utc(2026, 4, 30, 6, 0, 0), Time(system)); // the header's time wins

        var pf = Lines("pfsense").Select(Read).ToArray();
        Assert.Equal((null, "filterlog", Utc(2026, 1, 22, 18, 34, 0)), (pf[0].Host, pf[0].App, Time(pf[0])));
        Assert.Equal(("pfSense", "filterlog", Utc(2026, 11, 8, 12, 37, 34)), (pf[1].Host, pf[1].App, Time(pf[1])));
        Assert.StartsWith("5,,,1000102433,em0,match,block,in,4", pf[1].Message);

        var ns = Lines("netscreen").Select(Read).ToArray();
        Assert.Equal(("10.10.10.1", "ssg5-serial", Utc(2014, 5, 23, 14, 25, 58, 681)), (ns[0].Host, ns[0].App, Time(ns[0])));
        Assert.Equal(("ssg5.17.168.192.in-addr.arpa", "ssg5", Utc(2026, 7, 7, 5, 2, 34)), (ns[3].Host, ns[3].App, Time(ns[3])));
        Assert.StartsWith("NetScreen device_id=ssg5  [Root]system-emergency-00005: SYN flood!", ns[3].Message);

        var hw = Lines("huawei_usg").Select(Read).ToArray();
        Assert.Equal(("USG6300", "URL", "URL/4/FILTER", Utc(2018, 10, 5, 9, 52, 14)), (hw[0].Host, hw[0].App, hw[0].MsgId, Time(hw[0])));
        Assert.Equal(("USG6300", "POLICY", "POLICY/6/POLICYPERMIT", Utc(2018, 10, 5, 10, 52, 19)), (hw[1].Host, hw[1].App, hw[1].MsgId, Time(hw[1])));
        // "key=value, key=value": values may hold spaces up to the next ", key=".
        Assert.Equal(("public", "17", "2018/10/5 09:52:19", "Internet Access."),
            (Field(hw[1], "vsys"), Field(hw[1], "protocol"), Field(hw[1], "time"), Field(hw[1], "rule-name")));
        Assert.Equal(("1906054", "www.google.com", "Search Engines/Portals", "Alert"),
            (Field(hw[0], "SyslogId"), Field(hw[0], "Host"), Field(hw[0], "Category"), Field(hw[0], "Action")));
    }

    [Fact]
    public void Junos_structured_data_behind_a_relay_header()
    {
        var j = Lines("junos").Select(Read).ToArray();
        Assert.Equal(("sis-srx-EUH-03", "RT_IDS", "RT_SCREEN_IP", Utc(2017, 8, 24, 4, 58, 58, 724)), (j[0].Host, j[0].App, j[0].MsgId, Time(j[0])));
        Assert.Equal(("IP spoofing!", "drop", "mpls-untrust"), (Field(j[0], "attack-name"), Field(j[0], "action"), Field(j[0], "source-zone-name")));
        Assert.Equal(("sis-srx-mic-01", "RT_FLOW", "RT_FLOW_SESSION_DENY"), (j[1].Host, j[1].App, j[1].MsgId));
        Assert.Equal(("192.168.1.1", "1080", "192.168.1.2", "8010", "policy deny"),
            (Field(j[1], "source-address"), Field(j[1], "source-port"), Field(j[1], "destination-address"), Field(j[1], "destination-port"), Field(j[1], "reason")));
        Assert.StartsWith("[junos@2636.1.1.1.2.39 ", j[1].StructuredData);
        Assert.Equal(EventFlags.NoPri, j[1].Flags);
    }

    [Fact]
    public void Check_point_structured_data()
    {
        foreach (var line in Lines("checkpoint_smart1"))
        {
            var e = Read(line);
            Assert.Equal(("HOSTNAME", "CheckPoint", "19710", "rfc5424"), (e.Host, e.App, e.ProcId, e.Format));
            Assert.Equal("checkpoint", Field(e, PayloadDecoders.DecoderField));
            Assert.Equal(Regex.Match(line, "action:\"([^\"]*)\"").Groups[1].Value, Field(e, "action"));
            bool complete = line.EndsWith(']');
            Assert.Equal(complete, Field(e, PayloadDecoders.ErrorField) is null); // truncated samples say so
            if (!complete) continue;
            foreach (Match m in Regex.Matches(line, @"[\[ ](src|dst|proto|rule_name|product|ike):+""((?:[^""\\]|\\.)*)"""))
                Assert.Equal(m.Groups[2].Value.Replace("\\]", "]"), Field(e, m.Groups[1].Value));
        }
    }

    [Fact]
    public void F5_big_ip_level_word_message_ids_and_cef()
    {
        foreach (var line in Lines("f5_big_ip"))
        {
            var e = Read(line);
            var id = Regex.Match(line, @"\]: ([0-9a-f]{8}):\d: ");
            if (id.Success) Assert.Equal(id.Groups[1].Value, e.MsgId);
            if (line.Contains("CEF:0|", StringComparison.Ordinal))
            {
                Assert.Equal("cef", Field(e, PayloadDecoders.DecoderField));
                Assert.Equal("F5", Field(e, "deviceVendor"));
                var src = Regex.Match(line, @" src=(\S+)");
                if (src.Success) Assert.Equal(src.Groups[1].Value, Field(e, "src"));
            }
        }
        var crit = Read(Lines("f5_big_ip").Single(l => l.Contains(" crit server_handler.pl[", StringComparison.Ordinal)));
        Assert.Equal(("some.host.name", "server_handler.pl", "24895", "01310027", 2), (crit.Host, crit.App, crit.ProcId, crit.MsgId, (int)crit.Severity));
        var asm = Read(Lines("f5_big_ip").First(l => l.Contains(" ASM: CEF:", StringComparison.Ordinal)));
        Assert.Equal(("ASM", "Illegal HTTP status in response", "2", "59270"), (asm.App, Field(asm, "name"), Field(asm, "severity"), Field(asm, "spt")));
        Assert.Equal("May 03 2021 16:57:44", Field(asm, "deviceCustomDate1"));
    }

    [Fact]
    public void Fireeye_cef_behind_a_cef_tag()
    {
        var f = Lines("fireeye").Select(Read).ToArray();
        Assert.All(f, e => Assert.Equal(("cef", "cef"), (e.App, Field(e, PayloadDecoders.DecoderField))));
        Assert.Equal(("usa001", "fireeye", "hx", "IOC Hit Found", "10"), (f[1].Host, Field(f[1], "deviceVendor"), Field(f[1], "deviceProduct"), Field(f[1], "name"), Field(f[1], "severity")));
        Assert.Equal("Windows 7 Enterprise 7601 Service Pack 1", Field(f[1], "cs6"));
        Assert.Equal("Host XXXXXXXXXX-XX IOC compromise alert", Field(f[1], "msg"));
        // Extension escapes: "\=" is '='.
        Assert.Equal("https://192.168.1.1/event_stream/events_for_bot?ev_id=xxxxx&lms_iden=002xxxCBA", Field(f[2], "cs4"));
    }

    [Fact]
    public void Panda_leef_1_0_tab_separated_attributes()
    {
        foreach (var line in Lines("panda_paps"))
        {
            var e = Read(line);
            var header = line.Split('|');
            Assert.Equal(("leef", "1.0", "Panda Security", "paps", header[4]),
                (Field(e, PayloadDecoders.DecoderField), Field(e, "leefVersion"), Field(e, "deviceVendor"), Field(e, "deviceProduct"), Field(e, "eventId")));
            var attributes = line[(string.Join('|', header[..5]).Length + 1)..].Split('\t');
            foreach (var a in attributes)
            {
                int eq = a.IndexOf('=');
                string key = a[..eq];
                Assert.True(a[(eq + 1)..].Replace("\\=", "=") == Field(e, key), $"{key} | {line}");
            }
            // devTime (the endpoint's time, no zone: the source zone) is the event time; there is no syslog header.
            var devTime = DateTimeOffset.Parse(Field(e, "devTime")! + "Z", System.Globalization.CultureInfo.InvariantCulture);
            Assert.Equal(devTime.ToUnixTimeMilliseconds(), e.TimeMs);
        }
    }

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}

using System.Text;
using static Redoubt.Tests.Detection.Sigma;

namespace Redoubt.Tests.Detection;

/// <summary>The Sigma detection language (rules specification v2, modifiers appendix v2.1), feature by feature.</summary>
public class SigmaLanguageTests
{
    private static bool Match(string selection, params (string, string)[] fields) =>
        Fires(Load(ProcessRule(selection)), SysmonProcess(fields));

    [Fact]
    public void Plain_values_match_whole_value_case_insensitively()
    {
        Assert.True(Match("selection:\n    Image: 'C:\\Windows\\System32\\whoami.exe'", ("Image", @"c:\windows\system32\WHOAMI.EXE")));
        Assert.False(Match("selection:\n    Image: 'C:\\Windows\\System32\\whoami.exe'", ("Image", @"C:\Windows\System32\whoami.exe2")));
    }

    [Fact]
    public void Cased_matches_case_sensitively()
    {
        Assert.True(Match("selection:\n    CommandLine|cased|contains: 'EvIl'", ("CommandLine", "x EvIl y")));
        Assert.False(Match("selection:\n    CommandLine|cased|contains: 'EvIl'", ("CommandLine", "x evil y")));
    }

    [Theory]
    [InlineData("prog?.exe", "progA.exe", true)]
    [InlineData("prog?.exe", "prog.exe", false)]
    [InlineData("antivirus_V*.exe", "antivirus_V21.2.1.exe", true)]
    [InlineData(@"a\*b", "a*b", true)]       // escaped wildcard is literal
    [InlineData(@"a\*b", "axxb", false)]
    [InlineData(@"a\?b", "a?b", true)]
    [InlineData(@"C:\\*", @"C:\anything", true)]  // \\* = backslash then wildcard
    [InlineData(@"C:\\\*", @"C:\*", true)]        // \\\* = backslash and literal star
    [InlineData(@"C:\\\*", @"C:\x", false)]
    [InlineData(@"C:\Windows", @"C:\Windows", true)] // a plain backslash needs no escape
    public void Wildcards_and_escapes(string pattern, string value, bool expected) =>
        Assert.Equal(expected, Match($"selection:\n    Image: '{pattern}'", ("Image", value)));

    [Fact]
    public void Contains_startswith_endswith()
    {
        Assert.True(Match("selection:\n    CommandLine|contains: 'mimi'", ("CommandLine", "run MIMIkatz now")));
        Assert.True(Match("selection:\n    CommandLine|startswith: 'run'", ("CommandLine", "run MIMIkatz now")));
        Assert.False(Match("selection:\n    CommandLine|startswith: 'now'", ("CommandLine", "run MIMIkatz now")));
        Assert.True(Match("selection:\n    CommandLine|endswith: 'now'", ("CommandLine", "run MIMIkatz now")));
    }

    [Fact]
    public void Lists_are_or_all_is_and()
    {
        const string any = "selection:\n    CommandLine|contains:\n        - 'alpha'\n        - 'beta'";
        const string all = "selection:\n    CommandLine|contains|all:\n        - 'alpha'\n        - 'beta'";
        Assert.True(Match(any, ("CommandLine", "beta only")));
        Assert.False(Match(all, ("CommandLine", "beta only")));
        Assert.True(Match(all, ("CommandLine", "beta and alpha")));
    }

    [Fact]
    public void Map_items_are_and_and_list_of_maps_is_or()
    {
        const string map = "selection:\n    Image|endswith: '\\a.exe'\n    CommandLine|contains: 'x'";
        Assert.False(Match(map, ("Image", @"C:\a.exe"), ("CommandLine", "y")));
        Assert.True(Match(map, ("Image", @"C:\a.exe"), ("CommandLine", "x")));
        const string listOfMaps = "selection:\n    - Image|endswith: '\\a.exe'\n    - CommandLine|contains: 'x'";
        Assert.True(Match(listOfMaps, ("Image", @"C:\b.exe"), ("CommandLine", "x")));
    }

    [Fact]
    public void Null_matches_a_missing_or_null_field_and_empty_string_only_empty()
    {
        Assert.True(Match("selection:\n    Image: 'a'\n    ParentImage: null", ("Image", "a")));
        Assert.True(Fires(Load(ProcessRule("selection:\n    Image: 'a'\n    ParentImage: null")),
            Json("""{"Channel":"Microsoft-Windows-Sysmon/Operational","EventID":1,"Image":"a","ParentImage":null}""")));
        Assert.False(Match("selection:\n    Image: 'a'\n    ParentImage: null", ("Image", "a"), ("ParentImage", "p")));
        Assert.True(Match("selection:\n    ParentImage: ''", ("ParentImage", "")));
        Assert.False(Match("selection:\n    ParentImage: ''", ("ParentImage", "p")));
    }

    [Fact]
    public void Exists()
    {
        Assert.True(Match("selection:\n    Image: 'a'\n    Hashes|exists: true", ("Image", "a"), ("Hashes", "")));
        Assert.False(Match("selection:\n    Image: 'a'\n    Hashes|exists: true", ("Image", "a")));
        Assert.True(Match("selection:\n    Image: 'a'\n    Hashes|exists: false", ("Image", "a")));
    }

    [Fact]
    public void Regex_is_case_sensitive_unless_i_and_has_m_and_s_flags()
    {
        Assert.True(Match("selection:\n    CommandLine|re: 'ab+c'", ("CommandLine", "xabbbc")));
        Assert.False(Match("selection:\n    CommandLine|re: 'ab+c'", ("CommandLine", "xABBC")));
        Assert.True(Match("selection:\n    CommandLine|re|i: 'ab+c'", ("CommandLine", "xABBC")));
        Assert.False(Match("selection:\n    CommandLine|re: '^two$'", ("CommandLine", "one\ntwo")));
        Assert.True(Match("selection:\n    CommandLine|re|m: '^two$'", ("CommandLine", "one\ntwo")));
        Assert.False(Match("selection:\n    CommandLine|re: 'one.two'", ("CommandLine", "one\ntwo")));
        Assert.True(Match("selection:\n    CommandLine|re|s: 'one.two'", ("CommandLine", "one\ntwo")));
        Assert.True(Match("selection:\n    CommandLine|re: '\\d{3}'", ("CommandLine", "a123")));
    }

    [Theory]
    [InlineData("10.0.0.0/8", "10.20.30.40", true)]
    [InlineData("10.0.0.0/8", "11.0.0.1", false)]
    [InlineData("192.168.1.0/24", "192.168.1.255", true)]
    [InlineData("0.0.0.0/0", "8.8.8.8", true)]
    [InlineData("fe80::/10", "fe80::1%eth0", true)]
    [InlineData("fe80::/10", "fec0::1", false)]
    [InlineData("2001:db8::/32", "2001:0db8:0000:0000:0000:ff00:0042:8329", true)]
    [InlineData("::ffff:0:0/96", "::ffff:10.1.2.3", true)]
    [InlineData("10.0.0.0/8", "not-an-ip", false)]
    public void Cidr_ipv4_and_ipv6(string network, string address, bool expected)
    {
        var set = Load($"""
            title: cidr
            logsource: {"{"} category: network_connection, product: windows {"}"}
            detection:
                selection:
                    DestinationIp|cidr: '{network}'
                condition: selection
            """);
        var e = Json($$"""{"Channel":"Microsoft-Windows-Sysmon/Operational","EventID":3,"DestinationIp":"{{address}}"}""");
        Assert.Equal(expected, Fires(set, e));
    }

    [Fact]
    public void Numeric_comparisons()
    {
        Assert.True(Match("selection:\n    TerminalSessionId|gt: 1", ("TerminalSessionId", "2")));
        Assert.False(Match("selection:\n    TerminalSessionId|gt: 2", ("TerminalSessionId", "2")));
        Assert.True(Match("selection:\n    TerminalSessionId|gte: 2", ("TerminalSessionId", "2")));
        Assert.True(Match("selection:\n    TerminalSessionId|lt: 3", ("TerminalSessionId", "0x2")));
        Assert.True(Match("selection:\n    TerminalSessionId|lte: 2", ("TerminalSessionId", "2")));
        Assert.False(Match("selection:\n    TerminalSessionId|lte: 2", ("TerminalSessionId", "abc")));
    }

    [Fact]
    public void Neq_negates_the_item()
    {
        Assert.True(Match("selection:\n    Image: 'a'\n    User|neq: 'SYSTEM'", ("Image", "a"), ("User", "bob")));
        Assert.False(Match("selection:\n    Image: 'a'\n    User|neq: 'SYSTEM'", ("Image", "a"), ("User", "system")));
    }

    [Fact]
    public void Fieldref_compares_two_fields()
    {
        Assert.True(Match("selection:\n    Image|fieldref: ParentImage", ("Image", @"C:\A.exe"), ("ParentImage", @"c:\a.exe")));
        Assert.False(Match("selection:\n    Image|fieldref: ParentImage", ("Image", @"C:\A.exe"), ("ParentImage", @"c:\b.exe")));
        Assert.True(Match("selection:\n    CommandLine|fieldref|contains: Image", ("CommandLine", @"""C:\A.exe"" -x"), ("Image", @"c:\a.exe")));
    }

    [Theory]
    [InlineData("-")]
    [InlineData("/")]
    [InlineData("\u2013")]
    [InlineData("\u2014")]
    [InlineData("\u2015")]
    public void Windash_accepts_every_dash_the_spec_lists(string dash) =>
        Assert.True(Match("selection:\n    CommandLine|windash|contains: ' -enc '", ("CommandLine", $"powershell {dash}enc AAAA")));

    [Fact]
    public void Windash_only_expands_dashes_that_start_a_word()
    {
        // "\B[-/]\b": the dash inside 'a-b' is not a flag and stays a dash.
        Assert.False(Match("selection:\n    CommandLine|windash|contains: 'a-b'", ("CommandLine", "a/b")));
        Assert.True(Match("selection:\n    CommandLine|windash|contains: 'a-b'", ("CommandLine", "a-b")));
    }

    [Fact]
    public void Base64_encodes_the_value()
    {
        var encoded = Convert.ToBase64String(Encoding.UTF8.GetBytes("whoami /all"));
        Assert.True(Match("selection:\n    CommandLine|base64|contains: 'whoami /all'", ("CommandLine", "x " + encoded)));
    }

    [Theory]
    [InlineData("", "")]
    [InlineData("a", "")]
    [InlineData("ab", "")]
    [InlineData("", "x")]
    [InlineData("abc", "yz")]
    [InlineData("a", "xyz")]
    public void Base64offset_finds_the_value_at_any_byte_offset(string before, string after)
    {
        var encoded = Convert.ToBase64String(Encoding.UTF8.GetBytes(before + "Invoke-Mimikatz" + after));
        Assert.True(Match("selection:\n    CommandLine|base64offset|contains: 'Invoke-Mimikatz'", ("CommandLine", "-enc " + encoded)));
    }

    [Theory]
    [InlineData("utf16le", "")]
    [InlineData("wide", "")]
    [InlineData("utf16be", "be")]
    [InlineData("utf16", "bom")]
    public void Utf16_encodings_then_base64offset(string modifier, string kind)
    {
        var bytes = kind switch
        {
            "be" => Encoding.BigEndianUnicode.GetBytes("IEX (New-Object"),
            "bom" => [0xFF, 0xFE, .. Encoding.Unicode.GetBytes("IEX (New-Object")],
            _ => Encoding.Unicode.GetBytes("xx IEX (New-Object"),
        };
        var encoded = Convert.ToBase64String(bytes);
        Assert.True(Match($"selection:\n    CommandLine|{modifier}|base64offset|contains: 'IEX (New-Object'", ("CommandLine", "-e " + encoded)));
    }

    [Fact]
    public void Expand_uses_configured_placeholder_values()
    {
        var placeholders = new Dictionary<string, IReadOnlyList<string>> { ["Admins"] = ["adm_*", "root"] };
        var set = LoadWith(placeholders, ProcessRule("selection:\n    User|expand: '%Admins%'"));
        Assert.True(Fires(set, SysmonProcess(("User", "ADM_bob"))));
        Assert.True(Fires(set, SysmonProcess(("User", "root"))));
        Assert.False(Fires(set, SysmonProcess(("User", "bob"))));
        // Without the |expand modifier %Admins% is a literal value.
        Assert.True(Match("selection:\n    User: '%Admins%'", ("User", "%admins%")));
    }

    [Fact]
    public void Time_modifiers_take_a_part_of_a_date()
    {
        Assert.True(Match("selection:\n    UtcTime|hour: 3", ("UtcTime", "2020-10-23 03:36:43.542")));
        Assert.False(Match("selection:\n    UtcTime|hour: 4", ("UtcTime", "2020-10-23 03:36:43.542")));
        Assert.True(Match("selection:\n    UtcTime|month: 10", ("UtcTime", "2020-10-23 03:36:43.542")));
    }

    [Fact]
    public void Keywords_search_every_value_and_all_makes_them_and()
    {
        var set = Load("""
            title: kw
            logsource: { product: linux, service: sshd }
            detection:
                keywords:
                    - 'Invalid user'
                    - 'Failed password'
                condition: keywords
            """);
        Assert.True(Fires(set, Syslog("sshd", "Failed password for root from 1.2.3.4 port 22 ssh2")));
        Assert.False(Fires(set, Syslog("sshd", "Accepted publickey for root")));
        Assert.False(Fires(set, Syslog("cron", "Failed password"))); // not an sshd event
        var all = Load("""
            title: kw-all
            logsource: { product: linux, service: sshd }
            detection:
                keywords:
                    '|all':
                        - 'Failed'
                        - 'root'
                condition: keywords
            """);
        Assert.True(Fires(all, Syslog("sshd", "Failed password for root")));
        Assert.False(Fires(all, Syslog("sshd", "Failed password for bob")));
    }

    [Theory]
    [InlineData("a and not sel_b", "a", true)]
    [InlineData("a and not sel_b", "ab", false)]
    [InlineData("a or sel_b and sel_c", "a", true)]   // and binds tighter than or
    [InlineData("(a or sel_b) and sel_c", "a", false)]
    [InlineData("1 of sel_*", "b", true)]
    [InlineData("all of sel_*", "b", false)]
    [InlineData("all of sel_*", "bc", true)]
    [InlineData("1 of them", "a", true)]
    [InlineData("all of them", "bc", true)]   // _hidden is not part of 'them'
    [InlineData("not 1 of sel_* and a", "a", true)]
    public void Conditions(string condition, string present, bool expected)
    {
        var rule = $"""
            title: cond
            logsource: {"{"} category: process_creation, product: windows {"}"}
            detection:
                a: {"{"} CommandLine|contains: 'AAA' {"}"}
                sel_b: {"{"} CommandLine|contains: 'BBB' {"}"}
                sel_c: {"{"} CommandLine|contains: 'CCC' {"}"}
                _hidden: {"{"} CommandLine|contains: 'ZZZ' {"}"}
                condition: {condition}
            """;
        var set = Load(rule);
        Assert.Empty(set.Errors);
        var text = string.Concat(present.Select(c => new string(char.ToUpperInvariant(c), 3) + " "));
        var isAll = condition == "all of them";
        if (isAll) text = "AAA BBB CCC";
        Assert.Equal(expected, Fires(set, SysmonProcess(("CommandLine", text))));
    }

    [Fact]
    public void A_condition_list_is_or()
    {
        var set = Load(ProcessRule("a: { CommandLine|contains: 'AAA' }\nb: { CommandLine|contains: 'BBB' }", "\n        - a\n        - b"));
        Assert.Empty(set.Errors);
        Assert.True(Fires(set, SysmonProcess(("CommandLine", "BBB"))));
    }

    [Fact]
    public void A_hit_names_rule_event_matched_fields_and_entities()
    {
        var set = Load(ProcessRule("selection:\n    Image|endswith: '\\whoami.exe'\n    User|contains: 'admin'"));
        var hit = Assert.Single(Hits(set, SysmonProcess(("Image", @"C:\Windows\whoami.exe"), ("User", "CORP\\admin"), ("Computer", "ws1"))));
        Assert.Equal("00000000-0000-0000-0000-000000000001", hit.RuleId);
        Assert.Equal(1, hit.EventId);
        Assert.Equal("sysmon-process_creation", hit.LogSource);
        Assert.Contains(hit.Matched, m => m.Field == "Image" && m.Value == @"C:\Windows\whoami.exe");
        Assert.Contains(hit.Matched, m => m.Field == "User");
        Assert.Equal("ws1", hit.Entities["host"]);
        Assert.Equal(@"CORP\admin", hit.Entities["user"]);
        Assert.Equal(@"C:\Windows\whoami.exe", hit.Entities["process"]);
    }
}

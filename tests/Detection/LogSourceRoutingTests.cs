using Redoubt.Detection.Engine;
using Redoubt.Tests.Support;
using static Redoubt.Tests.Detection.Sigma;

namespace Redoubt.Tests.Detection;

/// <summary>Rules reach the events their logsource names, with each feed's field names, on real events.</summary>
public class LogSourceRoutingTests
{
    private static string OtrfLine(string dataset, Func<string, bool> pick) =>
        File.ReadLines(SharedData.PathOf("agent-events", "otrf-security-datasets", "windows", dataset)).First(pick);

    private const string Bitsadmin = """
        title: bitsadmin transfer
        id: 11111111-0000-0000-0000-000000000001
        logsource: { category: process_creation, product: windows }
        detection:
            selection:
                Image|endswith: '\bitsadmin.exe'
                ParentImage|endswith: '\cmd.exe'
                CommandLine|contains: '/transfer'
            condition: selection
        """;

    [Fact]
    public void Security_4688_is_process_creation_with_its_own_field_names()
    {
        // OTRF's real 4688: NewProcessName / ParentProcessName stand for Image / ParentImage.
        var line = OtrfLine("cmd_bitsadmin_download_psh_script_2020-10-2302365189.json", l => l.Contains("\"EventID\":4688") && l.Contains("bitsadmin"));
        var hit = Assert.Single(Hits(Load(Bitsadmin), Json(line)));
        Assert.Equal("security-process_creation", hit.LogSource);
    }

    [Fact]
    public void Sysmon_event_1_is_process_creation()
    {
        var line = OtrfLine("cmd_bitsadmin_download_psh_script_2020-10-2302365189.json", l => l.Contains("Sysmon/Operational") && l.Contains("\"EventID\":1,") && l.Contains("bitsadmin.exe"));
        Assert.Equal("sysmon-process_creation", Assert.Single(Hits(Load(Bitsadmin), Json(line))).LogSource);
    }

    [Fact]
    public void A_rule_does_not_see_other_log_sources()
    {
        var set = Load(Bitsadmin);
        var line = OtrfLine("cmd_bitsadmin_download_psh_script_2020-10-2302365189.json", l => l.Contains("\"EventID\":1102"));
        Assert.Empty(Hits(set, Json(line)));
        // Same fields, but a Sysmon network event (EventID 3): not process_creation.
        Assert.Empty(Hits(set, Json("""{"Channel":"Microsoft-Windows-Sysmon/Operational","EventID":3,"Image":"C:\\x\\bitsadmin.exe","ParentImage":"C:\\cmd.exe","CommandLine":"/transfer"}""")));
    }

    [Fact]
    public void Service_rules_use_the_channel_and_flat_provider_names()
    {
        var set = Load("""
            title: log cleared
            logsource: { product: windows, service: security }
            detection:
                selection: { EventID: 1102, Provider_Name: Microsoft-Windows-Eventlog }
                condition: selection
            """);
        var line = OtrfLine("cmd_bitsadmin_download_psh_script_2020-10-2302365189.json", l => l.Contains("\"EventID\":1102"));
        Assert.Single(Hits(set, Json(line))); // flat JSON says SourceName; the map aliases it to Provider_Name
    }

    [Fact]
    public void A_syslog_message_is_the_message_field_as_well_as_the_keywords()
    {
        // Reported: `message|contains` did not fire on syslog lines the same text as a keyword matched —
        // the MSG was only in redoubt.message and the keywords. Real OpenSSH lines through the real parser.
        var lines = File.ReadLines(SharedData.PathOf("logs", "loghub", "OpenSSH", "OpenSSH_2k.log")).Take(200).ToList();
        var events = lines.Select(l =>
        {
            var e = new Redoubt.Storage.Events.EventRecord { Source = "syslog" };
            Redoubt.Parsing.SyslogParser.Parse(System.Text.Encoding.UTF8.GetBytes("<38>" + l), DateTimeOffset.UtcNow, TimeZoneInfo.Utc, e);
            return e;
        }).ToList();
        Assert.All(events, e => Assert.Equal("sshd", e.App));
        string Rule(string selection) => $$"""
            title: invalid ssh user
            logsource: { product: linux, service: sshd }
            detection:
            {{selection}}
                condition: selection
            """;
        var byField = Load(Rule("    selection: { message|contains: 'Invalid user webmaster' }"));
        var byKeyword = Load(Rule("    selection: ['Invalid user webmaster']"));
        var fieldHits = events.Count(e => Fires(byField, e));
        var keywordHits = events.Count(e => Fires(byKeyword, e));
        Assert.Equal(lines.Count(l => l.Contains("Invalid user webmaster", StringComparison.OrdinalIgnoreCase)), keywordHits); // Sigma compares case-insensitively
        Assert.True(keywordHits > 0);
        Assert.Equal(keywordHits, fieldHits);
        // The field is the MSG alone, not the header: a startswith sees the text after "sshd[pid]: ".
        var prefix = Load(Rule("    selection: { message|startswith: 'Invalid user ' }"));
        Assert.Equal(lines.Count(l => l.Contains("]: Invalid user ", StringComparison.OrdinalIgnoreCase)), events.Count(e => Fires(prefix, e)));
    }

    [Fact]
    public void Auditd_lines_over_syslog_are_read_into_fields()
    {
        var set = Load("""
            title: arp cache read
            logsource: { product: linux, service: auditd }
            detection:
                selection: { type: EXECVE, a0: arp, a1: '-a' }
                condition: selection
            """);
        var lines = File.ReadAllLines(SharedData.PathOf("agent-events", "otrf-security-datasets", "linux", "sh_arp_cache_2020-11-10074812.log"));
        var fired = lines.Count(l => Fires(set, Syslog("audispd", l)));
        Assert.Equal(1, fired);
    }

    [Fact]
    public void Unknown_events_reach_no_rule()
    {
        var set = Load(Bitsadmin);
        var evaluator = new Evaluator(set);
        Assert.Equal(0, evaluator.Evaluate(1, Json("""{"hello":"world"}"""), null));
        Assert.Equal(0, evaluator.Evaluate(2, Json("not json at all"), null));
    }
}

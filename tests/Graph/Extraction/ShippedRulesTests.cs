using System.Text.Json;
using Redoubt.Tests.Support;

namespace Redoubt.Tests.Graph.Extraction;

/// <summary>
/// The shipped extraction rules on real lines and real agent events, through the real parsers:
/// each test names the edges an analyst reads in a line. Lines are found in the corpora by a
/// distinctive part (nothing is copied into the repo).
/// </summary>
public sealed class ShippedRulesTests
{
    private static string VendorLog(string name) => SharedData.PathOf("logs", "wazuh-ruleset-tests", "by-vendor-log", name + ".log");

    private static string Line(string file, string containing) =>
        File.ReadLines(file).First(l => l.Contains(containing, StringComparison.Ordinal));

    private static IReadOnlyList<string> EdgesOf(string line)
    {
        var h = new ExtractionHarness(ExtractionHarness.Shipped);
        h.Syslog(line);
        return h.Graph.EdgeList;
    }

    [Fact]
    public void Every_shipped_rule_loads()
    {
        var set = ExtractionHarness.Shipped;
        Assert.Empty(set.Errors);
        Assert.Equal(["auth-linux.yaml", "auth-windows.yaml", "dns-dhcp.yaml", "network-flows.yaml", "processes.yaml"], set.Files.Select(f => f.Name));
        Assert.All(set.Files, f => Assert.True(f.Rules > 0, f.Name));
        Assert.Equal(set.Rules.Count, set.Rules.Select(r => r.Id).Distinct().Count());
    }

    [Fact]
    public void The_loghub_openssh_corpus_gives_exactly_the_logons_failures_and_addresses_its_lines_say()
    {
        var lines = Loghub.Load("OpenSSH");
        var h = new ExtractionHarness();
        var expected = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var line in lines)
        {
            h.Syslog(line.Raw);
            foreach (var edge in OpenSshTruth.Edges(line.Host, line.ExpectedMessage)) expected[edge] = expected.GetValueOrDefault(edge) + 1;
        }
        Assert.Equal(expected.OrderBy(kv => kv.Key, StringComparer.Ordinal), h.Graph.Edges.OrderBy(kv => kv.Key, StringComparer.Ordinal));

        // loghub's own templates: E1 accepted (1), E8/E9/E10 failed (522): each one is a failed or accepted logon edge observation.
        var rows = Csv.ReadFile(SharedData.PathOf("logs", "loghub", "OpenSSH", "OpenSSH_2k.log_structured.csv"));
        Assert.Equal(1, rows.Count(r => r["EventId"] == "E1"));
        Assert.Equal(1 + 1, h.Graph.Edges["User:fztu@labsz -LOGGED_ON-> Host:labsz"]); // sshd's Accepted and PAM's session line
        Assert.Equal(1, h.Graph.Edges["User:fztu@labsz -AUTHENTICATED_FROM-> IpAddress:119.137.62.142"]);
        var sshdFailures = rows.Count(r => r["EventId"] is "E8" or "E9" or "E10" or "E14");
        var pamFailuresWithUser = rows.Count(r => r["EventId"] is "E17" or "E20");
        Assert.Equal(sshdFailures + pamFailuresWithUser, h.Graph.Edges.Where(e => e.Key.Contains(" -LOGON_FAILED-> ")).Sum(e => e.Value));
        Assert.DoesNotContain(h.Graph.Edges.Keys, e => e.Contains("invalid user"));
    }

    [Fact]
    public void The_loghub_linux_corpus_gives_pam_failures_from_remote_addresses_and_su_sessions()
    {
        var lines = Loghub.Load("Linux");
        var h = new ExtractionHarness();
        var expected = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var line in lines)
        {
            h.Syslog(line.Raw);
            foreach (var edge in OpenSshTruth.Edges(line.Host, line.ExpectedMessage)) expected[edge] = expected.GetValueOrDefault(edge) + 1;
        }
        Assert.Equal(expected.OrderBy(kv => kv.Key, StringComparer.Ordinal), h.Graph.Edges.OrderBy(kv => kv.Key, StringComparer.Ordinal));
        Assert.Equal(43, h.Graph.Edges["User:cyrus@combo -LOGGED_ON-> Host:combo"]);
        Assert.True(h.Graph.Edges["User:root@combo -LOGON_FAILED-> Host:combo"] > 100);
        // rhost given as a name (220-135-151-1.hinet-ip.hinet.net) is no address: the account still failed.
        Assert.DoesNotContain(h.Graph.Nodes, n => n.Contains("hinet"));
    }

    [Theory]
    [InlineData("sshd", "Failed password for invalid user sammy", "User:sammy@vmi189193 -LOGON_FAILED-> Host:vmi189193|User:sammy@vmi189193 -AUTH_FAILED_FROM-> IpAddress:82.202.219.155|IpAddress:82.202.219.155 -CONNECTED_TO-> Host:vmi189193")]
    [InlineData("sshd", "[ID 800047 auth.notice] Failed none for root", "User:root@192.168.1.5 -LOGON_FAILED-> Host:192.168.1.5|User:root@192.168.1.5 -AUTH_FAILED_FROM-> IpAddress:192.168.1.1|IpAddress:192.168.1.1 -CONNECTED_TO-> Host:192.168.1.5")]
    [InlineData("sshd", "User root from 172.18.1.100 not allowed because listed in DenyUsers", "User:root@localhost -LOGON_FAILED-> Host:localhost|User:root@localhost -AUTH_FAILED_FROM-> IpAddress:172.18.1.100|IpAddress:172.18.1.100 -CONNECTED_TO-> Host:localhost")]
    [InlineData("sudo", "dcid : TTY=pts/4", "User:dcid@niban -LOGGED_ON-> Host:niban|User:dcid@niban -ADMIN_TO-> Host:niban|Host:niban -RUNS-> Process:/usr/bin/tail@niban")]
    [InlineData("sudo", "3 incorrect password attempts", "User:mike@precise32 -LOGON_FAILED-> Host:precise32")]
    [InlineData("sudo", "user NOT in sudoers", "User:ddp2@ix -LOGON_FAILED-> Host:ix")]
    [InlineData("su", "dcid to root on /dev/ttyp1", "User:dcid@enigma -LOGGED_ON-> Host:enigma|User:root@enigma -LOGGED_ON-> Host:enigma|User:dcid@enigma -ADMIN_TO-> Host:enigma")]
    [InlineData("su", "BAD SU ger to fwmaster", "User:fwmaster@niban -LOGON_FAILED-> Host:niban")]
    [InlineData("su", "failed: ttyq4 changing from ldap to root", "User:root@niban -LOGON_FAILED-> Host:niban")]
    [InlineData("pam", "2 more authentication failures", "User:root@localhost -LOGON_FAILED-> Host:localhost|User:root@localhost -AUTH_FAILED_FROM-> IpAddress:10.0.3.1|IpAddress:10.0.3.1 -CONNECTED_TO-> Host:localhost")]
    [InlineData("pam", "session opened for user news", "User:news@localhost -LOGGED_ON-> Host:localhost")]
    [InlineData("iptables", "[UFW BLOCK] IN=eth0 OUT= MAC=00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd SRC=254.253.252.251 DST=191.192.193.194 LEN=52", "IpAddress:254.253.252.251 -CONNECTION_DENIED-> Service:191.192.193.194:22/tcp|Service:191.192.193.194:22/tcp -HAS_IP-> IpAddress:191.192.193.194")]
    [InlineData("iptables", "DROP(src wan)", "IpAddress:205.205.205.205 -CONNECTION_DENIED-> Service:192.168.8.100:23/tcp|Service:192.168.8.100:23/tcp -HAS_IP-> IpAddress:192.168.8.100")]
    [InlineData("pfsense", "match,block,in,4", "IpAddress:10.9.0.119 -CONNECTION_DENIED-> Service:10.9.0.255:17600/udp|Service:10.9.0.255:17600/udp -HAS_IP-> IpAddress:10.9.0.255")]
    [InlineData("cisco_asa", "302013: Built outbound TCP connection 9", "IpAddress:10.1.1.2 -CONNECTED_TO-> Service:10.1.2.1:22/tcp|Service:10.1.2.1:22/tcp -HAS_IP-> IpAddress:10.1.2.1")]
    [InlineData("cisco_asa", "106023: Deny tcp src inside:111.11.11.1", "IpAddress:111.11.11.1 -CONNECTION_DENIED-> Service:172.11.1.11:139/tcp|Service:172.11.1.11:139/tcp -HAS_IP-> IpAddress:172.11.1.11")]
    [InlineData("cisco_asa", "106001: Inbound TCP connection denied", "IpAddress:111.93.241.59 -CONNECTION_DENIED-> Service:116.6.127.122:1433/tcp|Service:116.6.127.122:1433/tcp -HAS_IP-> IpAddress:116.6.127.122")]
    [InlineData("cisco_asa", "710003: TCP access denied by ACL", "IpAddress:192.168.0.1 -CONNECTION_DENIED-> Service:192.168.0.2:22/tcp|Service:192.168.0.2:22/tcp -HAS_IP-> IpAddress:192.168.0.2")]
    [InlineData("pix", "302015: Built outbound UDP", "IpAddress:192.168.1.2 -CONNECTED_TO-> Service:192.168.2.10:1514/udp|Service:192.168.2.10:1514/udp -HAS_IP-> IpAddress:192.168.2.10")]
    [InlineData("fortigate", "service=\"DNS\"", "IpAddress:10.1.100.22 -CONNECTED_TO-> Service:172.16.100.100:53/udp|Service:172.16.100.100:53/udp -HAS_IP-> IpAddress:172.16.100.100")]
    [InlineData("fortigate", "srcip=7.3.8.5", "IpAddress:7.3.8.5 -CONNECTION_DENIED-> Service:7.8.9.81:80/tcp|Service:7.8.9.81:80/tcp -HAS_IP-> IpAddress:7.8.9.81")]
    [InlineData("fortigate", "status=deny vd=\"root\" src=10.10.10.10", "IpAddress:10.10.10.10 -CONNECTION_DENIED-> Service:10.20.30.40:2222/tcp|Service:10.20.30.40:2222/tcp -HAS_IP-> IpAddress:10.20.30.40")]
    [InlineData("paloalto", "DENY-ALL", "IpAddress:10.210.0.84 -CONNECTION_DENIED-> Service:51.11.168.232:500/udp|Service:51.11.168.232:500/udp -HAS_IP-> IpAddress:51.11.168.232")]
    [InlineData("named", "client 217.148.39.4#32769: query (cache) denied", "IpAddress:217.148.39.4 -CONNECTION_DENIED-> Host:ns3")]
    public void A_vendor_line_gives_the_edges_an_analyst_reads_in_it(string log, string containing, string edges) =>
        Assert.Equal(edges.Split('|').Order(StringComparer.Ordinal), EdgesOf(Line(VendorLog(log), containing)));

    [Theory]
    [InlineData("cisco_asa", "302014: Teardown TCP connection")] // the Built line gave the edge; teardown does not say who initiated
    [InlineData("cisco_asa", "106014: Deny inbound icmp")]      // no port: ICMP is not a service
    [InlineData("iptables", "FIREWALL_OUT")]                    // a LOG prefix that says neither accept nor drop
    [InlineData("iptables", "DST=255.255.255.255")]             // broadcast names no host
    [InlineData("sshd", "Invalid user opcione from")]           // the attempt's own Failed line follows
    [InlineData("pfsense", "match,pass,out,4")]                 // ICMP
    public void Lines_that_say_no_connection_or_no_attempt_give_no_edges(string log, string containing) =>
        Assert.Empty(EdgesOf(Line(VendorLog(log), containing)));

    [Fact]
    public void A_cef_flow_from_the_beats_samples_is_a_connection_to_its_service()
    {
        var line = Line(SharedData.PathOf("logs", "cef", "elastic-beats-decode-cef", "samples.log"), "Log for TCP Port 80");
        Assert.Equal(["IpAddress:192.168.126.150 -CONNECTED_TO-> Service:72.14.204.147:80/tcp", "Service:72.14.204.147:80/tcp -HAS_IP-> IpAddress:72.14.204.147"],
            EdgesOf("<134>Sep 19 13:35:00 dsa-host " + line));
        // act=IDS:Reset: the intrusion prevention rule reset the flow.
        var reset = Line(SharedData.PathOf("logs", "cef", "elastic-beats-decode-cef", "samples.log"), "act=IDS:Reset");
        Assert.Contains("IpAddress:192.168.126.150 -CONNECTION_DENIED-> Service:72.14.204.105:80/tcp", EdgesOf("<134>Sep 19 13:35:00 dsa-host " + reset));
    }

    [Fact]
    public void Dhcpd_acks_in_the_thunderbird_corpus_give_the_address_and_its_mac_without_inventing_a_host()
    {
        var h = new ExtractionHarness();
        foreach (var line in File.ReadLines(SharedData.PathOf("logs", "loghub", "Thunderbird", "Thunderbird_2k.log")).Where(l => l.Contains("DHCPACK"))) h.Syslog(line);
        Assert.Empty(h.Graph.Edges); // no client host name in these acks
        Assert.Equal("00:11:43:e3:ba:c3", h.Graph.Properties["IpAddress:10.100.4.251"]["mac"]);
        // The documented ISC form with the client's name (dhcpd.conf's default log line) does give HAS_IP.
        h.Syslog("<30>Nov  9 12:01:43 aadmin1 dhcpd: DHCPACK on 10.100.4.251 to 00:11:43:e3:ba:c3 (Node-17) via eth1");
        Assert.Equal(["Host:node-17 -HAS_IP-> IpAddress:10.100.4.251"], h.Graph.EdgeList);
    }

    [Fact]
    public void The_otrf_covenant_lateral_movement_shows_the_account_logging_on_from_the_first_workstation_with_admin_rights()
    {
        var h = new ExtractionHarness();
        h.Ndjson(File.ReadLines(SharedData.PathOf("agent-events", "otrf-security-datasets", "windows", "covenant_copy_smb_CreateRequest_2020-09-22145302.json")).Where(l => l.Trim().Length > 0));
        var edges = h.Graph.EdgeList;
        // 4624 type 3 on WORKSTATION6 from 172.18.39.5; 4672 gives the same logon special privileges.
        Assert.Contains("User:pgustavo@theshire -LOGGED_ON-> Host:workstation6", edges);
        Assert.Contains("User:pgustavo@theshire -AUTHENTICATED_FROM-> IpAddress:172.18.39.5", edges);
        Assert.Contains("IpAddress:172.18.39.5 -CONNECTED_TO-> Host:workstation6", edges);
        Assert.Contains("User:pgustavo@theshire -ADMIN_TO-> Host:workstation6", edges);
        // Sysmon 3 / WFP on WORKSTATION5: it initiated from 172.18.39.5, so that is its address; the SMB flow to WORKSTATION6.
        Assert.Contains("Host:workstation5 -HAS_IP-> IpAddress:172.18.39.5", edges);
        Assert.Contains("IpAddress:172.18.39.5 -CONNECTED_TO-> Service:172.18.39.6:445/tcp", edges);
        // SYSTEM and the DC's machine account (S-1-5-18) are not accounts an attacker steals from a logon event.
        Assert.DoesNotContain(edges, e => e.StartsWith("User:system@", StringComparison.Ordinal) || e.StartsWith("User:mordordc$@", StringComparison.Ordinal) && e.Contains("LOGGED_ON"));
        // No loopback or link-local address became a node that would join every host.
        Assert.DoesNotContain(h.Graph.Nodes, n => n is "IpAddress:::1" or "IpAddress:127.0.0.1" || n.StartsWith("IpAddress:fe80", StringComparison.Ordinal));
    }

    [Fact]
    public void Process_creation_from_sysmon_4688_and_auditd_is_one_process_node_per_image_and_host()
    {
        var h = new ExtractionHarness();
        h.Ndjson(File.ReadLines(SharedData.PathOf("agent-events", "otrf-security-datasets", "windows", "mimikatz_CVE-2020-1472_Unauthenticated_NetrServerAuthenticate2_2020-09-16233923.json")).Where(l => l.Trim().Length > 0));
        var runs = h.Graph.Edges.Where(e => e.Key.Contains(" -RUNS-> ")).ToDictionary(e => e.Key, e => e.Value);
        // Sysmon 1 and 4688 both saw cmd.exe start once: one node, two observations.
        Assert.Equal(2, runs[@"Host:workstation5 -RUNS-> Process:c:\windows\system32\cmd.exe@workstation5"]);
        Assert.Contains(@"Host:workstation5 -RUNS-> Process:c:\users\pgustavo\downloads\mimikatz_trunk\x64\mimikatz.exe@workstation5", runs.Keys);

        // auditd SYSCALL records of execve, as audisp's syslog plugin forwards them (a header added to the raw records).
        var audit = new ExtractionHarness();
        foreach (var record in File.ReadLines(SharedData.PathOf("agent-events", "otrf-security-datasets", "linux", "sh_arp_cache_2020-11-10074812.log")).Where(l => l.Length > 0))
            audit.Syslog("<14>Nov 10 07:48:16 wardog-linux audisp-syslog: " + record);
        Assert.Equal(["Host:wardog-linux -RUNS-> Process:/bin/grep@wardog-linux", "Host:wardog-linux -RUNS-> Process:/usr/sbin/arp@wardog-linux"],
            audit.Graph.EdgeList.Where(e => e.Contains(" -RUNS-> ")).Order(StringComparer.Ordinal).Take(2));
        Assert.All(audit.Graph.Nodes.Where(n => n.StartsWith("Process:", StringComparison.Ordinal)), n => Assert.EndsWith("@wardog-linux", n));
    }

    [Fact]
    public void Zeek_conn_and_dns_give_flows_by_state_and_names_resolving_to_their_answers()
    {
        var h = new ExtractionHarness();
        var dir = SharedData.PathOf("agent-events", "otrf-security-datasets", "zeek-json-apt29-day1");
        h.Ndjson(File.ReadLines(Path.Combine(dir, "SCRANTON_conn.log")).Concat(File.ReadLines(Path.Combine(dir, "SCRANTON_dns.log"))));
        Assert.Contains("IpAddress:10.0.1.4 -CONNECTED_TO-> Service:10.0.0.4:88/tcp", h.Graph.EdgeList);
        // REJ (the server answered with a reset) is a refused connection, not a connection.
        var rejected = File.ReadLines(Path.Combine(dir, "SCRANTON_conn.log")).Select(l => JsonDocument.Parse(l).RootElement)
            .Where(e => e.GetProperty("conn_state").GetString() == "REJ").Select(e => $"IpAddress:{e.GetProperty("id_orig_h").GetString()} -CONNECTION_DENIED-> Service:{e.GetProperty("id_resp_h").GetString()}:{e.GetProperty("id_resp_p").GetInt32()}/{e.GetProperty("proto").GetString()}")
            .Distinct().Order(StringComparer.Ordinal).ToList();
        Assert.NotEmpty(rejected);
        Assert.Equal(rejected, h.Graph.EdgeList.Where(e => e.Contains("CONNECTION_DENIED")));
        Assert.Contains("Domain:newyork.dmevals.local -RESOLVES_TO-> IpAddress:10.0.0.4", h.Graph.EdgeList);
        // Sysmon 22: answers separated by ';', IPv4-mapped addresses as IPv4, CNAME entries and loopback left out.
        var s = new ExtractionHarness();
        s.Ndjson(File.ReadLines(SharedData.PathOf("agent-events", "otrf-security-datasets", "windows", "cmd_bitsadmin_download_psh_script_2020-10-2302365189.json")).Where(l => l.Contains("\"EventID\":22")));
        Assert.Equal(["Domain:raw.githubusercontent.com -RESOLVES_TO-> IpAddress:151.101.208.133"], s.Graph.EdgeList.Where(e => e.StartsWith("Domain:", StringComparison.Ordinal)));
        Assert.DoesNotContain(s.Graph.EdgeList, e => e.StartsWith("Domain:localhost", StringComparison.Ordinal));
    }

    [Fact]
    public void A_wazuh_shaped_failed_logon_4625_reads_the_same_as_a_flat_one()
    {
        var line = Line(SharedData.PathOf("logs", "wazuh-ruleset-tests", "ini", "malicious-ioc.ini"), "\"eventID\":4625");
        var h = new ExtractionHarness();
        h.Ndjson([line[(line.IndexOf('=') + 1)..].Trim()]);
        Assert.Equal(
            ["Host:remoteworkstation -HAS_IP-> IpAddress:218.92.0.222", "IpAddress:218.92.0.222 -CONNECTED_TO-> Host:winserver2022",
             "User:administrator@contoso -AUTH_FAILED_FROM-> IpAddress:218.92.0.222", "User:administrator@contoso -LOGON_FAILED-> Host:winserver2022"],
            h.Graph.EdgeList);
    }
}

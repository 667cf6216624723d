using System.Globalization;
using System.Text.Json;

namespace Redoubt.Demo;

/// <summary>
/// The demo site the project makes itself (nothing downloaded, nothing copied from a real site): a small
/// company with an internet-facing web server, an application server and a database server holding the
/// payroll (a crown jewel); its people and service account; known vulnerabilities. The intrusion is an
/// SSH brute force from the internet against the web server, a successful logon with the guessed
/// password of the deploy account, and that account hopping web01 → app01 → db01, where it dumps the
/// payroll. Documentation addresses (RFC 5737 203.0.113.0/24) stand for the attacker.
/// </summary>
public static class DemoSite
{
    public const string Attacker = "203.0.113.45";
    public const string CrownJewel = "DataStore:payroll-db";
    public const string InventorySource = "demo-cmdb";

    /// <summary>The inventory, in the graph import format (docs/graph.md, "Import"), all of it known for a month.</summary>
    public static string Inventory(DateTimeOffset now)
    {
        var since = now.AddDays(-30).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        object Node(string kind, string key, string? criticality = null, string[]? tags = null, double? cvss = null, bool? kev = null, Dictionary<string, string>? props = null)
        {
            var n = new Dictionary<string, object> { ["kind"] = kind, ["key"] = key, ["firstSeen"] = since };
            if (criticality is not null) n["criticality"] = criticality;
            if (tags is not null) n["tags"] = tags;
            if (cvss is not null) n["cvss"] = cvss;
            if (kev is not null) n["knownExploited"] = kev;
            if (props is not null) n["properties"] = props;
            return n;
        }
        object Edge(string from, string type, string to) => new Dictionary<string, object> { ["from"] = from, ["type"] = type, ["to"] = to, ["firstSeen"] = since };
        var doc = new
        {
            source = InventorySource,
            nodes = new[]
            {
                Node("Host", "web01", "medium", ["internet_facing"], props: new() { ["role"] = "public web server", ["os"] = "Debian 12" }),
                Node("Host", "app01", "high", props: new() { ["role"] = "order application", ["os"] = "Debian 12" }),
                Node("Host", "db01", "critical", props: new() { ["role"] = "PostgreSQL database", ["os"] = "Debian 12" }),
                Node("Host", "ws-alice", "low", props: new() { ["role"] = "admin workstation" }),
                Node("DataStore", "payroll-db", "critical", ["crown_jewel"], props: new() { ["engine"] = "PostgreSQL", ["owner"] = "HR" }),
                Node("DataStore", "customer-orders", "high", ["crown_jewel"], props: new() { ["engine"] = "PostgreSQL", ["owner"] = "Sales" }),
                Node("User", "alice", "high", props: new() { ["title"] = "system administrator" }),
                Node("User", "bob", "medium", props: new() { ["title"] = "developer" }),
                Node("User", "deploy", "high", props: new() { ["title"] = "deployment service account (password logon allowed)" }),
                Node("Group", "ops", "high"),
                Node("Vulnerability", "CVE-2024-6387", cvss: 8.1, kev: false, props: new() { ["title"] = "OpenSSH regreSSHion: unauthenticated RCE in sshd" }),
                Node("Vulnerability", "CVE-2021-44228", cvss: 10.0, kev: true, props: new() { ["title"] = "Log4Shell: RCE in Apache Log4j 2" }),
                Node("IpAddress", "10.0.1.10"),
                Node("IpAddress", "10.0.2.20"),
                Node("IpAddress", "10.0.3.30"),
                Node("IpAddress", "10.0.9.50"),
            },
            edges = new[]
            {
                Edge("Host:web01", "HAS_IP", "IpAddress:10.0.1.10"),
                Edge("Host:app01", "HAS_IP", "IpAddress:10.0.2.20"),
                Edge("Host:db01", "HAS_IP", "IpAddress:10.0.3.30"),
                Edge("Host:ws-alice", "HAS_IP", "IpAddress:10.0.9.50"),
                Edge("Host:web01", "HAS_VULNERABILITY", "Vulnerability:CVE-2024-6387"),
                Edge("Host:app01", "HAS_VULNERABILITY", "Vulnerability:CVE-2021-44228"),
                Edge("Host:web01", "CAN_REACH", "Host:app01"),
                Edge("Host:app01", "CAN_REACH", "Host:db01"),
                Edge("Host:db01", "STORES", CrownJewel),
                Edge("Host:app01", "STORES", "DataStore:customer-orders"),
                Edge("User:alice", "MEMBER_OF", "Group:ops"),
                Edge("User:deploy", "MEMBER_OF", "Group:ops"),
                Edge("Group:ops", "ADMIN_TO", "Host:app01"),
                Edge("Group:ops", "ADMIN_TO", "Host:db01"),
                Edge("User:bob", "LOGGED_ON", "Host:app01"),
            },
        };
        return JsonSerializer.Serialize(doc);
    }

    /// <summary>
    /// The intrusion as the hosts' sshd would log it, RFC 5424 over syslog (full timestamps: no year to
    /// guess), ending just before <paramref name="now"/>: ordinary admin logons first, then the attack.
    /// </summary>
    public static List<string> Intrusion(DateTimeOffset now)
    {
        var lines = new List<string>();
        var pid = 4100;
        void Log(DateTimeOffset at, string host, string app, string message, int severity = 6) =>
            lines.Add($"<{4 * 8 + severity}>1 {at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture)} {host} {app} {pid++} - - {message}");

        var t = now.AddMinutes(-20);
        Log(t, "app01", "sshd", "Accepted publickey for alice from 10.0.9.50 port 51022 ssh2: ED25519 SHA256:Qx4mYj0Jd1+demo");
        Log(t.AddSeconds(40), "db01", "sshd", "Accepted publickey for alice from 10.0.9.50 port 51040 ssh2: ED25519 SHA256:Qx4mYj0Jd1+demo");
        Log(t.AddMinutes(2), "app01", "sshd", "Accepted publickey for bob from 10.0.9.61 port 50110 ssh2: RSA SHA256:Bb7demoKey");

        // Brute force from the internet: common names first, then the deploy account.
        var start = now.AddMinutes(-9);
        string[] guesses = ["admin", "oracle", "test", "ubuntu", "postgres", "git", "jenkins", "ftpuser", "pi", "guest", "user", "support"];
        var n = 0;
        foreach (var name in guesses.Concat(guesses.Take(8)))
        {
            Log(start.AddSeconds(n * 7), "web01", "sshd", $"Failed password for invalid user {name} from {Attacker} port {41000 + n} ssh2", 5);
            n++;
        }
        for (var i = 0; i < 8; i++, n++)
            Log(start.AddSeconds(n * 7), "web01", "sshd", $"Failed password for deploy from {Attacker} port {41000 + n} ssh2", 5);
        var foothold = start.AddSeconds(n * 7 + 20);
        Log(foothold, "web01", "sshd", $"Accepted password for deploy from {Attacker} port 41290 ssh2");
        // Lateral movement with the same password, then the payroll dumped.
        Log(foothold.AddMinutes(2), "app01", "sshd", "Accepted password for deploy from 10.0.1.10 port 52210 ssh2");
        Log(foothold.AddMinutes(3), "db01", "sshd", "Accepted password for deploy from 10.0.2.20 port 40022 ssh2");
        Log(foothold.AddMinutes(3).AddSeconds(30), "db01", "sudo", "deploy : TTY=pts/0 ; PWD=/home/deploy ; USER=postgres ; COMMAND=/usr/bin/pg_dump payroll", 5);
        return lines;
    }

    /// <summary>The demo's Sigma rules (written to DATA/demo/rules): brute force, a logon from outside, an account hopping hosts.</summary>
    public const string Rules = """
        title: SSH failed login
        id: 9d3c0a51-6c55-4c1e-9a61-000000000101
        name: demo_ssh_failed_login
        status: experimental
        description: One failed SSH password or key (counted by the brute-force correlation, raises nothing itself).
        logsource: { product: linux, service: sshd }
        detection:
            selection: { outcome: failure }
            condition: selection
        level: low
        ---
        title: SSH brute force from one address
        id: 9d3c0a51-6c55-4c1e-9a61-000000000102
        status: experimental
        correlation:
            type: event_count
            rules: [demo_ssh_failed_login]
            group-by: [src_ip]
            timespan: 10m
            condition: { gte: 15 }
        level: high
        ---
        title: SSH logon from outside the private networks
        id: 9d3c0a51-6c55-4c1e-9a61-000000000103
        name: demo_ssh_logon_external
        status: experimental
        logsource: { product: linux, service: sshd }
        detection:
            selection: { outcome: success }
            internal:
                src_ip|cidr: [10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, 127.0.0.0/8]
            condition: selection and not internal
        level: high
        ---
        title: SSH logon with a password
        id: 9d3c0a51-6c55-4c1e-9a61-000000000104
        name: demo_ssh_password_logon
        status: experimental
        description: Counted by the lateral-movement correlation; keys are the site's rule, passwords the exception.
        logsource: { product: linux, service: sshd }
        detection:
            selection: { outcome: success, auth_method: password }
            condition: selection
        level: informational
        ---
        title: One account logging on to three hosts with a password (lateral movement)
        id: 9d3c0a51-6c55-4c1e-9a61-000000000105
        status: experimental
        correlation:
            type: value_count
            rules: [demo_ssh_password_logon]
            group-by: [user]
            timespan: 30m
            condition: { field: redoubt.host, gte: 3 }
        level: critical
        """;
}

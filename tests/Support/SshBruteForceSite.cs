namespace Redoubt.Tests.Support;

/// <summary>
/// The site the alert and summary tests share: three Sigma rules over sshd (a failed login, counted by a
/// brute-force correlation, and an accepted login), and a CMDB import in which the OpenSSH log's server
/// (loghub's "labsz") stores the payroll database, a crown jewel.
/// </summary>
public static class SshBruteForceSite
{
    public const string FailedLoginRule = "7a0d7f2e-0000-4000-8000-000000000001";
    public const string BruteForceRule = "7a0d7f2e-0000-4000-8000-000000000002";
    public const string AcceptedLoginRule = "7a0d7f2e-0000-4000-8000-000000000003";

    public const string Rules = $$"""
        title: SSH failed login
        id: {{FailedLoginRule}}
        name: ssh_failed_login
        logsource: { product: linux, service: sshd }
        detection:
            selection: { outcome: failure }
            condition: selection
        level: low
        ---
        title: SSH brute force from one address
        id: {{BruteForceRule}}
        correlation:
            type: event_count
            rules: [ssh_failed_login]
            group-by: [src_ip]
            timespan: 10m
            condition: { gte: 20 }
        level: high
        author: Redoubt tests
        tags: [attack.credential-access, attack.t1110.001]
        ---
        title: SSH login accepted
        id: {{AcceptedLoginRule}}
        logsource: { product: linux, service: sshd }
        detection:
            selection: { outcome: success }
            condition: selection
        level: low
        """;

    /// <summary>A temporary rules folder holding <see cref="Rules"/>; the caller deletes it.</summary>
    public static string RulesDir()
    {
        var dir = Directory.CreateTempSubdirectory("redoubt-rules-").FullName;
        File.WriteAllText(Path.Combine(dir, "ssh.yml"), Rules);
        return dir;
    }

    /// <summary>
    /// Imports the CMDB (dated 2020, so its STORES edge is never "new" in a summary window) and returns how
    /// many events the import stored: it goes through the event log like everything else.
    /// </summary>
    public static async Task<int> ImportPayrollSiteAsync(ApplianceProcess app)
    {
        var (status, import) = await AlertApi.PostAsync(app, "/api/v1/graph/import", """
            {"source":"cmdb","nodes":[{"kind":"Host","key":"labsz","criticality":"high","firstSeen":"2020-01-01T00:00:00Z"},
              {"kind":"DataStore","key":"payroll-db","tags":["crown_jewel"],"criticality":"critical"}],
             "edges":[{"from":"Host:labsz","type":"STORES","to":"DataStore:payroll-db","firstSeen":"2020-01-01T00:00:00Z"}]}
            """);
        Assert.True(status == 200, import.ToString());
        return import.GetProperty("nodes").GetInt32() + import.GetProperty("edges").GetInt32();
    }
}

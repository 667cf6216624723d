using Redoubt.Graph.Extraction;
using Redoubt.Tests.Support;

namespace Redoubt.Tests.Graph.Extraction;

/// <summary>An admin's rules folder: a file named like a shipped one replaces it, other files add rules, and a bad rule is named with its file, line and reason.</summary>
public sealed class RuleFolderTests
{
    private const string SiteRules = """
        rules:
          - id: site-vpn-logon
            description: the site's VPN concentrator
            when:
              redoubt.app: vpnd
            parse:
              pattern: 'login ok user={user} ip={ip}'
            nodes:
              user: { kind: User, key: '{user|user}@corp' }
              ip:   { kind: IpAddress, key: '{ip|ip}' }
            edges:
              - [user, AUTHENTICATED_FROM, ip]
          - id: site-broken
            when:
              redoubt.app: vpnd
            nodes:
              user: { kind: Person, key: '{user}' }
            edges:
              - [user, KNOWS, user]
        """;

    [Fact]
    public async Task A_folder_replaces_and_extends_the_shipped_rules_and_lists_what_did_not_load()
    {
        var dir = Directory.CreateTempSubdirectory("redoubt-extraction-").FullName;
        try
        {
            await File.WriteAllTextAsync(Path.Combine(dir, "auth-linux.yaml"), ""); // switched off
            await File.WriteAllTextAsync(Path.Combine(dir, "site.yaml"), SiteRules);
            var set = ExtractionRuleSet.Load(dir);
            Assert.DoesNotContain(set.Rules, r => r.Id == "sshd-accepted");
            Assert.Contains(set.Rules, r => r.Id == "windows-logon");
            var error = Assert.Single(set.Errors);
            Assert.Equal((Path.Combine(dir, "site.yaml"), 17, "site-broken"), (error.File, error.Line, error.Rule));
            Assert.Contains("kind must be one of", error.Message);

            var h = new ExtractionHarness(set);
            h.Syslog("<38>Dec  4 08:00:00 gw1 vpnd[311]: login ok user=Alice ip=198.51.100.7");
            h.Syslog("<38>Dec  4 08:00:01 labsz sshd[24200]: Accepted password for fztu from 119.137.62.142 port 49116 ssh2");
            Assert.Equal(["User:alice@corp -AUTHENTICATED_FROM-> IpAddress:198.51.100.7"], h.Graph.EdgeList);

            var (code, stdout, _) = await ApplianceProcess.RunCliAsync(dir, "extraction", "check", dir);
            Assert.Equal(1, code);
            Assert.Contains($"{Path.Combine(dir, "site.yaml")}:17: site-broken: node 'user': kind must be one of", stdout);
            Assert.Contains("auth-linux.yaml: 0 rules", stdout);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}

using Redoubt.Graph.Extraction;
using Redoubt.Tests.Support;

namespace Redoubt.Tests.Graph;

public sealed class SshdAuthExtractorTests
{
    [Fact]
    public void Reads_exactly_the_auth_attempts_of_the_loghub_openssh_corpus()
    {
        // Ground truth: loghub's template ids. E1 "Accepted password for <*> from <*> port <*> ssh2",
        // E8 "Failed none for invalid user ...", E9 "Failed password for ...", E10 "Failed password for invalid user ...".
        var rows = Csv.ReadFile(SharedData.PathOf("logs", "loghub", "OpenSSH", "OpenSSH_2k.log_structured.csv"));
        var attempts = rows.Where(r => r["EventId"] is "E1" or "E8" or "E9" or "E10").Select(r => r["LineId"]).ToList();
        var parsed = rows.Where(r => SshdAuthExtractor.TryParse(r["Content"], out _, out _, out _)).Select(r => r["LineId"]).ToList();
        Assert.Equal(523, attempts.Count);
        Assert.Equal(attempts, parsed);

        var accepted = Assert.Single(rows, r => SshdAuthExtractor.TryParse(r["Content"], out var ok, out _, out _) && ok);
        Assert.Equal("E1", accepted["EventId"]);
        SshdAuthExtractor.TryParse(accepted["Content"], out _, out var user, out var ip);
        Assert.Equal(("fztu", "119.137.62.142"), (user, ip));
        var invalid = rows.First(r => r["EventId"] == "E10");
        Assert.True(SshdAuthExtractor.TryParse(invalid["Content"], out var acc, out var invalidUser, out _));
        Assert.False(acc);
        Assert.DoesNotContain("invalid user", invalidUser);
    }

    [Theory]
    [InlineData("Failed password for root from 10.0.0.1 port 22 ssh2", false, "root", "10.0.0.1")]
    [InlineData("Accepted publickey for deploy from 2001:db8::1 port 50022 ssh2: ED25519 SHA256:abc", true, "deploy", "2001:db8::1")]
    public void Reads_other_methods_and_ipv6(string message, bool accepted, string user, string ip)
    {
        Assert.True(SshdAuthExtractor.TryParse(message, out var a, out var u, out var i));
        Assert.Equal((accepted, user, ip), (a, u, i));
    }

    [Theory]
    [InlineData("Connection closed by 10.0.0.1 [preauth]")]
    [InlineData("Failed password for root from not-an-ip port 22 ssh2")]
    [InlineData("Accepted password for  from 10.0.0.1 port 22")]
    [InlineData("Failed none")]
    public void Ignores_what_is_not_an_auth_attempt(string message) =>
        Assert.False(SshdAuthExtractor.TryParse(message, out _, out _, out _));
}

using System.Security.Cryptography;
using Redoubt.Configuration;
using Redoubt.Summary;

namespace Redoubt.Tests.Summary;

/// <summary>What the site redaction policy lets leave the box, value by value.</summary>
public class RedactionPolicyTests
{
    private static readonly byte[] Secret = RandomNumberGenerator.GetBytes(32);

    private static RedactionPolicy Policy(string users = "hash", string hosts = "hash", string ips = "truncate", bool omitMessages = true, byte[]? secret = null) =>
        new(new RedactionOptions { Name = "test", Users = users, Hosts = hosts, IpAddresses = ips, OmitMessages = omitMessages }, secret ?? Secret);

    [Fact]
    public void Hashes_are_this_sites_hmac_stable_and_differ_by_kind_and_by_site()
    {
        var p = Policy();
        Assert.Equal("user#" + SummaryApiTests.Pseudonym(Secret, "user", "root"), p.User("root"));
        Assert.Equal(p.User("root"), Policy().User("root"));
        Assert.NotEqual(p.User("root")[5..], p.Host("root")[5..]);
        Assert.NotEqual(p.User("root"), Policy(secret: RandomNumberGenerator.GetBytes(32)).User("root"));
        Assert.Equal(p.Host("LabSZ"), p.Host("labsz")); // host names are case-insensitive
    }

    [Theory]
    [InlineData("173.234.31.186", "173.234.31.0/24")]
    [InlineData("::ffff:10.1.2.3", "10.1.2.0/24")]
    [InlineData("2001:db8:1234:5678::1", "2001:db8:1234::/48")]
    public void Truncate_keeps_the_network(string ip, string expected) => Assert.Equal(expected, Policy().Ip(ip));

    [Fact]
    public void A_host_that_is_an_address_follows_the_address_rule()
    {
        Assert.Equal("10.0.0.0/24", Policy().Host("10.0.0.7"));
        Assert.Equal(RedactionPolicy.Omitted, Policy(ips: "omit").Host("10.0.0.7"));
    }

    [Fact]
    public void Keep_and_omit_do_what_they_say()
    {
        var keep = Policy("keep", "keep", "keep");
        Assert.Equal("root", keep.User("root"));
        Assert.Equal("labsz", keep.Host("LabSZ"));
        Assert.Equal("10.0.0.7", keep.Ip("10.0.0.7"));
        var omit = Policy("omit", "omit", "omit");
        Assert.All(new[] { omit.User("root"), omit.Host("labsz"), omit.Ip("10.0.0.7") }, v => Assert.Equal(RedactionPolicy.Omitted, v));
    }

    [Fact]
    public void Entities_and_graph_keys_are_redacted_by_their_kind_others_kept()
    {
        var p = Policy();
        Assert.Equal(p.User("root"), p.Entity("user", "root"));
        Assert.Equal("10.0.0.0/24", p.Entity("src_ip", "10.0.0.9"));
        Assert.Equal("10.0.0.0/24", p.Entity("indicator", "10.0.0.9"));
        Assert.Equal("evil.example", p.Entity("indicator", "evil.example"));
        Assert.Equal(p.Host("dc01"), p.NodeKey("Host", "dc01"));
        Assert.Equal("payroll-db", p.NodeKey("DataStore", "payroll-db"));
    }

    [Fact]
    public void Messages_lose_the_entity_values_and_every_address_in_them()
    {
        // A real OpenSSH line (loghub): the user and both addresses go, the rest stays readable.
        var p = Policy();
        var text = p.Text("Failed password for invalid user webmaster from 173.234.31.186 port 38926 ssh2, relayed by 2001:db8::7",
            [("user", "webmaster"), ("src_ip", "173.234.31.186")]);
        Assert.DoesNotContain("webmaster", text);
        Assert.DoesNotContain("173.234.31.186", text);
        Assert.DoesNotContain("2001:db8::7", text);
        Assert.Contains(p.User("webmaster"), text);
        Assert.Contains("173.234.31.0/24", text);
        Assert.Contains("port 38926 ssh2", text);
    }

    [Fact]
    public void The_settings_hash_names_the_settings_not_the_secret()
    {
        var a = Policy();
        Assert.Equal(a.SettingsHash, Policy(secret: RandomNumberGenerator.GetBytes(32)).SettingsHash);
        Assert.NotEqual(a.SettingsHash, Policy(omitMessages: false).SettingsHash);
        Assert.Equal("users=hash;hosts=hash;ipAddresses=truncate;omitMessages=true", a.Settings);
    }

    [Theory]
    [InlineData("truncate", "hash", "keep", "Summary:Redaction:Users 'truncate'")]
    [InlineData("hash", "scramble", "keep", "Summary:Redaction:Hosts 'scramble'")]
    [InlineData("hash", "keep", "", "Summary:Redaction:IpAddresses ''")]
    public void An_unknown_action_stops_the_start_naming_the_setting(string users, string hosts, string ips, string message)
    {
        var e = Assert.Throws<StartupException>(() => Policy(users, hosts, ips));
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void The_site_secret_is_made_once_owner_only_and_a_damaged_one_is_refused()
    {
        var dir = Directory.CreateTempSubdirectory("redoubt-secret-").FullName;
        try
        {
            var first = SiteSecret.LoadOrCreate(dir);
            Assert.Equal(32, first.Length);
            Assert.Equal(first, SiteSecret.LoadOrCreate(dir));
            var path = Path.Combine(dir, "summary", "site-secret");
            if (OperatingSystem.IsLinux()) Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path)); // the appliance runs on Linux
            File.WriteAllBytes(path, new byte[5]);
            Assert.Contains("not the 32 of a site secret", Assert.Throws<StartupException>(() => SiteSecret.LoadOrCreate(dir)).Message);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}

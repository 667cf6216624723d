using System.Net;
using Redoubt.Configuration;
using Redoubt.Ingest.Listeners;

namespace Redoubt.Tests.Ingest.Listeners;

public sealed class SenderPolicyTests
{
    private static SenderPolicy Policy(string[] allowed, Dictionary<string, string>? tags = null, params SourceTagOptions[] sources) =>
        SenderPolicy.From(new SyslogOptions { AllowedNetworks = [.. allowed], Tags = tags ?? [], Sources = [.. sources] }, "test");

    [Theory]
    [InlineData("10.1.2.3", true)]
    [InlineData("10.255.255.255", true)]
    [InlineData("11.0.0.1", false)]
    [InlineData("192.168.7.9", true)]
    [InlineData("192.168.8.1", false)]
    [InlineData("::ffff:10.9.9.9", true)]   // what a dual-stack socket reports for an IPv4 sender
    [InlineData("::ffff:172.16.0.1", false)]
    [InlineData("2001:db8:1::5", true)]
    [InlineData("2001:db9::1", false)]
    [InlineData("127.0.0.1", false)]
    [InlineData("203.0.113.7", true)]       // a single address
    public void Only_senders_inside_an_allowed_network_pass(string address, bool allowed)
    {
        var policy = Policy(["10.0.0.0/8", "192.168.7.0/24", "2001:db8::/32", "203.0.113.7"]);
        Assert.Equal(allowed, policy.IsAllowed(IPAddress.Parse(address)));
    }

    [Fact]
    public void No_allowed_networks_means_anyone()
    {
        Assert.True(Policy([]).IsAllowed(IPAddress.Parse("198.51.100.1")));
        Assert.True(Policy([]).IsAllowed(IPAddress.IPv6Loopback));
    }

    [Theory]
    [InlineData("10.0.0.1/8", "did you mean 10.0.0.0/8?")]
    [InlineData("10.0.0.0/33", "is not a network")]
    [InlineData("plant-a", "is not a network")]
    [InlineData("2001:db8::1/32", "did you mean 2001:db8::/32?")]
    public void A_malformed_network_is_a_start_up_error_that_says_what_is_wrong(string network, string expected)
    {
        var e = Assert.Throws<StartupException>(() => Policy([network]));
        Assert.Contains(expected, e.Message);
        Assert.Contains("test: AllowedNetworks", e.Message);
    }

    [Fact]
    public void The_most_specific_source_network_gives_the_tags_over_the_listener_tags()
    {
        var policy = Policy([], new() { ["site"] = "plant-1", ["zone"] = "it" },
            new SourceTagOptions { Network = "10.0.0.0/8", Tags = new() { ["zone"] = "ot" } },
            new SourceTagOptions { Network = "10.5.0.0/16", Tags = new() { ["zone"] = "safety", ["cell"] = "5" } });

        Assert.Equal(new Dictionary<string, string> { ["site"] = "plant-1", ["zone"] = "it" }, policy.TagsFor(IPAddress.Parse("192.0.2.1")));
        Assert.Equal(new Dictionary<string, string> { ["site"] = "plant-1", ["zone"] = "ot" }, policy.TagsFor(IPAddress.Parse("10.1.1.1")));
        Assert.Equal(new Dictionary<string, string> { ["site"] = "plant-1", ["zone"] = "safety", ["cell"] = "5" },
            policy.TagsFor(IPAddress.Parse("::ffff:10.5.3.3")));
        // One dictionary per network, shared by its events, not one per lookup.
        Assert.Same(policy.TagsFor(IPAddress.Parse("10.1.1.1")), policy.TagsFor(IPAddress.Parse("10.2.2.2")));
    }

    [Fact]
    public void Without_tags_events_carry_none()
    {
        Assert.Null(Policy([]).TagsFor(IPAddress.Loopback));
        Assert.Null(Policy([]).TagsFor(null));
    }
}

using Redoubt.Configuration;
using Redoubt.Ingest.Listeners;

namespace Redoubt.Tests.Ingest.Listeners;

public sealed class ListenerPlanTests
{
    [Fact]
    public void The_defaults_are_syslog_syslog_tls_and_relp_on_loopback()
    {
        var plan = ListenerPlan.From(new RedoubtOptions());
        Assert.Equal(["syslog 127.0.0.1:5514 plain", "syslog-tls 127.0.0.1:6514 tls", "relp 127.0.0.1:2514 plain"],
            plan.Select(d => $"{d.Name} {d.Bind} {(d.Tls is null ? "plain" : "tls")}"));
    }

    [Fact]
    public void Disabled_listeners_are_not_started_and_extra_ones_are()
    {
        var options = new RedoubtOptions
        {
            Relp = { Enabled = false },
            Listeners =
            [
                new ListenerOptions { Name = "relp-ot", Protocol = "RELP", Bind = "0.0.0.0:2515", Tls = true },
                new ListenerOptions { Protocol = "syslog", Bind = "[::1]:5515" },
                new ListenerOptions { Protocol = "syslog-tls", Bind = "127.0.0.1:6515", Enabled = false },
            ],
        };
        Assert.Equal(["syslog syslog plain", "syslog-tls syslog-tls tls", "relp-ot relp tls", "syslog-[::1]:5515 syslog plain"],
            ListenerPlan.From(options).Select(d => $"{d.Name} {d.Protocol} {(d.Tls is null ? "plain" : "tls")}"));
    }

    [Theory]
    [InlineData("forwardd", "Protocol 'forwardd' is not one of syslog, syslog-tls, relp")]
    [InlineData("syslog", "TLS settings on a plain syslog listener")]
    public void A_wrong_listener_entry_is_a_start_up_error_naming_it(string protocol, string expected)
    {
        var options = new RedoubtOptions { Listeners = [new ListenerOptions { Name = "edge", Protocol = protocol, Bind = "127.0.0.1:1", Tls = true }] };
        var e = Assert.Throws<StartupException>(() => ListenerPlan.From(options));
        Assert.Contains("listener 'edge'", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void Two_listeners_with_one_name_are_refused()
    {
        var options = new RedoubtOptions { Listeners = [new ListenerOptions { Name = "relp", Protocol = "relp", Bind = "127.0.0.1:2600" }] };
        Assert.Contains("two listeners are named 'relp'", Assert.Throws<StartupException>(() => ListenerPlan.From(options)).Message);
    }

    [Fact]
    public void Certificate_settings_on_relp_without_tls_are_refused_rather_than_silently_ignored()
    {
        var options = new RedoubtOptions { Relp = { CertificateFile = "/etc/redoubt/relp.pem", KeyFile = "/etc/redoubt/relp.key" } };
        Assert.Contains("set Tls=true", Assert.Throws<StartupException>(() => ListenerPlan.From(options)).Message);
    }
}

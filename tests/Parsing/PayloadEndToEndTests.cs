using System.Text.Json;
using Redoubt.Tests.Support;

namespace Redoubt.Tests.Parsing;

/// <summary>
/// The real appliance process, the real util-linux logger as the sender, real vendor payloads: decoded fields
/// come back from the API, and an octet-counted multi-line message (a stack trace) is stored as one event.
/// </summary>
public sealed class PayloadEndToEndTests
{
    private static string VendorLine(string vendor, Func<string, bool> pick) =>
        File.ReadAllLines(SharedData.PathOf("logs", "wazuh-ruleset-tests", "by-vendor-log", vendor + ".log")).First(pick);

    [Fact]
    public async Task Logger_sends_cef_leef_and_key_value_and_the_api_returns_their_fields()
    {
        string cef = File.ReadAllLines(SharedData.PathOf("logs", "cef", "elastic-beats-decode-cef", "samples.log"))[1];
        string leef = VendorLine("panda_paps", l => l.Contains("|exec|", StringComparison.Ordinal));
        string kv = VendorLine("fortigate", l => l.StartsWith("date=2016-06-15 time=09:41:35", StringComparison.Ordinal));
        await using var app = await ApplianceProcess.StartAsync();
        foreach (var (tag, line) in new[] { ("arcsight", cef), ("paps", leef), ("fortigate", kv) })
            await Senders.RunAsync("logger", ["--rfc3164", "-n", "127.0.0.1", "-P", app.SyslogPort.ToString(), "-T", "-t", tag, "--size", "65536", line]);
        await app.WaitForEventCountAsync(3);
        var events = (await app.AllEventsAsync()).ToDictionary(e => e.GetProperty("app").GetString()!);

        var c = events["arcsight"].GetProperty("fields");
        Assert.Equal(("cef", "Trend Micro", "600", "User signed in from 2001:db8::5", "10.52.116.160"),
            (c.GetProperty("_decoder").GetString(), c.GetProperty("deviceVendor").GetString(), c.GetProperty("deviceEventClassId").GetString(),
             c.GetProperty("msg").GetString(), c.GetProperty("src").GetString()));
        Assert.Equal(cef, events["arcsight"].GetProperty("message").GetString());

        var l = events["paps"].GetProperty("fields");
        Assert.Equal(("leef", "Panda Security", "exec", "hsmartin", "Allow"),
            (l.GetProperty("_decoder").GetString(), l.GetProperty("deviceVendor").GetString(), l.GetProperty("eventId").GetString(),
             l.GetProperty("usrName").GetString(), l.GetProperty("Action").GetString()));

        var f = events["fortigate"].GetProperty("fields");
        Assert.Equal(("kv", "HTTP.Unknown.Tunnelling", "192.168.10.8", "http_decoder: HTTP.Unknown.Tunnelling,"),
            (f.GetProperty("_decoder").GetString(), f.GetProperty("attack").GetString(), f.GetProperty("srcip").GetString(), f.GetProperty("msg").GetString()));
        Assert.All(events.Values, e => Assert.Empty(e.GetProperty("flags").EnumerateArray()));
    }

    [Fact]
    public async Task An_octet_counted_stack_trace_from_logger_is_one_event()
    {
        const string trace = "java.lang.IllegalStateException: boom\n\tat com.example.A.run(A.java:10)\n\tat java.base/java.lang.Thread.run(Thread.java:833)";
        await using var app = await ApplianceProcess.StartAsync();
        await Senders.RunAsync("logger", ["--rfc5424", "--octet-count", "-n", "127.0.0.1", "-P", app.SyslogPort.ToString(), "-T", "-t", "billing", trace]);
        await app.WaitForEventCountAsync(1);
        await Task.Delay(200); // would let a split second half land
        var stored = await app.AllEventsAsync();
        var e = Assert.Single(stored);
        Assert.Equal((trace, "billing", "rfc5424"), (e.GetProperty("message").GetString(), e.GetProperty("app").GetString(), e.GetProperty("format").GetString()));
        Assert.Equal(JsonValueKind.String, e.GetProperty("fields").GetProperty("tzKnown").ValueKind); // logger's [timeQuality ...] SD as fields
    }
}

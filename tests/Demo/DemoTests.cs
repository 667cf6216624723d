using System.Text.Json;
using Redoubt.Configuration;
using Redoubt.Demo;
using Redoubt.Tests.Support;

namespace Redoubt.Tests.Demo;

/// <summary>
/// Issue 7 item 16: `redoubt run --demo` on a fresh data directory gives a new user events, alerts and an
/// attack path to the crown jewel without doing anything: the demo intrusion goes through the real syslog
/// listener, detection raises the demo rules' alerts, and the graph joins the events to the inventory.
/// </summary>
public class DemoTests
{
    [Fact]
    public async Task A_demo_run_shows_events_alerts_and_an_attack_path_to_the_crown_jewel_that_a_restart_keeps()
    {
        var dir = Directory.CreateTempSubdirectory("redoubt-demo-run-").FullName;
        try
        {
            await using (var app = await ApplianceProcess.StartAsync(dir, "--demo"))
            {
                await DemoRun(app);
                Assert.Equal(0, await app.StopAsync());
            }
            // The same data directory again, as an ordinary run (a demo never reseeds a directory that holds events):
            // the inventory was stored as events, so the crown jewel and the path to it are still there.
            await using (var app = await ApplianceProcess.StartAsync(dir))
            {
                await app.WaitGraphCaughtUpAsync();
                var payroll = await app.GetJsonAsync("/api/v1/graph/nodes?kind=DataStore&key=payroll-db");
                Assert.Contains("crown_jewel", payroll.GetProperty("node").GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
                AssertPathToPayroll((await app.GetJsonAsync("/api/v1/graph/attack-paths")).GetProperty("paths").EnumerateArray().ToList());
                Assert.DoesNotContain("demo: inventory", app.Output);
            }
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    private static void AssertPathToPayroll(List<JsonElement> paths)
    {
        var toPayroll = paths.Where(p => p.GetProperty("nodes").EnumerateArray().Last().GetProperty("ref").GetString() == DemoSite.CrownJewel).ToList();
        Assert.True(toPayroll.Count > 0, string.Join("\n", paths.Select(p => p.ToString())));
        Assert.Contains(toPayroll, p => p.GetProperty("nodes")[0].GetProperty("ref").GetString() == "Host:web01"
            // deploy's account: the inventory's User:deploy, or the local account the sshd lines name (extraction keys those user@host).
            && p.GetProperty("nodes").EnumerateArray().Any(n => n.GetProperty("ref").GetString() is { } r
                && (r == "User:deploy" || r.StartsWith("User:deploy@", StringComparison.Ordinal))));
    }

    private static async Task DemoRun(ApplianceProcess app)
    {
        var sent = DemoSite.Intrusion(DateTimeOffset.UtcNow).Count;
        // The inventory is stored too: one event per node and edge of its import document.
        using var inventory = JsonDocument.Parse(DemoSite.Inventory(DateTimeOffset.UtcNow));
        var items = inventory.RootElement.GetProperty("nodes").GetArrayLength() + inventory.RootElement.GetProperty("edges").GetArrayLength();
        await AlertApi.WaitForDetectionAsync(app, sent + items, TimeSpan.FromSeconds(120));

        // The events came in over the syslog listener (TCP from loopback), not around it.
        var stats = await app.StatsAsync();
        Assert.Equal(sent + items, stats.GetProperty("events").GetInt64());
        var web01 = stats.GetProperty("sources").EnumerateArray().Single(s => s.GetProperty("source").GetString() == "web01");
        Assert.StartsWith("syslog", web01.GetProperty("lastListener").GetString());
        Assert.Equal(0, stats.GetProperty("sources").EnumerateArray().Sum(s => s.GetProperty("parseErrors").GetInt64()));

        // The three stages of the intrusion each raise their alert.
        var alerts = await WaitForAsync(async () => await AlertApi.AllAsync(app), a => a.Count >= 3, "three demo alerts");
        var titles = alerts.Select(a => a.GetProperty("rule").GetProperty("title").GetString()).ToList();
        Assert.Contains("SSH brute force from one address", titles);
        Assert.Contains("SSH logon from outside the private networks", titles);
        Assert.Contains("One account logging on to three hosts with a password (lateral movement)", titles);
        var brute = alerts.Single(a => a.GetProperty("rule").GetProperty("title").GetString() == "SSH brute force from one address");
        Assert.Equal(DemoSite.Attacker, brute.GetProperty("entities").GetProperty("src_ip").GetString());
        Assert.Equal("high", brute.GetProperty("severity").GetString());
        var lateral = alerts.Single(a => a.GetProperty("rule").GetProperty("title").GetString()!.Contains("lateral movement"));
        Assert.Equal("critical", lateral.GetProperty("severity").GetString());
        Assert.Equal("deploy", lateral.GetProperty("entities").GetProperty("user").GetString());

        // An attack path from the internet-facing web server to the payroll, through what deploy did.
        await app.WaitGraphCaughtUpAsync();
        AssertPathToPayroll((await app.GetJsonAsync("/api/v1/graph/attack-paths")).GetProperty("paths").EnumerateArray().ToList());

        // The summary a remote SOC would pull says so too.
        var summary = await app.GetJsonAsync("/api/v1/summary?since=" + Uri.EscapeDataString(DateTimeOffset.UtcNow.AddHours(-1).ToString("o")));
        Assert.True(summary.GetProperty("alerts").GetProperty("active").GetProperty("count").GetInt32() >= 3, summary.ToString());
        Assert.Contains(summary.GetProperty("attackPaths").GetProperty("new").EnumerateArray(),
            p => p.GetProperty("nodes").EnumerateArray().Last().GetString() == DemoSite.CrownJewel);
        Assert.Contains("demo: intrusion replayed", app.Output);
    }

    private static async Task<T> WaitForAsync<T>(Func<Task<T>> read, Func<T, bool> done, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (true)
        {
            var value = await read();
            if (done(value)) return value;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"no {what}: {JsonSerializer.Serialize(value)}");
            await Task.Delay(250);
        }
    }

    [Fact]
    public void Demo_refuses_a_data_directory_that_holds_events()
    {
        var dir = Directory.CreateTempSubdirectory("redoubt-demo-test-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(dir, "events"));
            File.WriteAllText(Path.Combine(dir, "events", "log.0"), "x");
            var e = Assert.Throws<StartupException>(() => DemoMode.Prepare(["--demo", "--data", dir], DateTimeOffset.UtcNow));
            Assert.Contains("already holds events", e.Message);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void Demo_without_data_takes_a_new_directory_and_its_own_rules_unless_told_otherwise()
    {
        var now = new DateTimeOffset(2026, 12, 4, 8, 30, 0, TimeSpan.Zero);
        var args = DemoMode.Prepare(["--demo", "--http", "127.0.0.1:9443"], now);
        var data = args[Array.IndexOf(args, "--data") + 1];
        try
        {
            Assert.Equal(Path.Combine(Path.GetTempPath(), "redoubt-demo-20261204T083000"), data);
            Assert.DoesNotContain("--demo", args);
            Assert.Contains("--Demo:Enabled=true", args);
            var rules = args[Array.IndexOf(args, "--rules") + 1];
            Assert.Equal(DemoSite.Rules, File.ReadAllText(Path.Combine(rules, "demo-ssh.yml")));
            Assert.Equal(["--http", "127.0.0.1:9443"], args[..2]);
            var own = DemoMode.Prepare(["--demo", "--data", data, "--rules", "/srv/rules"], now);
            Assert.Single(own, a => a == "--rules");
            Assert.Equal(["--serve"], DemoMode.Prepare(["--serve"], now)); // no --demo: untouched
        }
        finally { Directory.Delete(data, recursive: true); }
    }
}

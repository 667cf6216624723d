using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Playwright;
using Redoubt.Tests.Graph.Reference;
using Redoubt.Tests.Support;

namespace Redoubt.Tests.Console;

/// <summary>
/// One real appliance for the browser tests, set up as a site would be: the admin created with the
/// setup code from the log, a viewer, a Sigma rule folder, the real OpenSSH log (loghub, 2,000 lines
/// over TCP syslog: events, a detection, and sshd edges in the graph), the real BloodHound CE fixture
/// imported with DOMAIN ADMINS as the crown jewel, and hostile events (<see cref="LogInjection"/>) from
/// syslog senders and two agents (NDJSON and the forward protocol). Sources go quiet after 20 s.
/// Tests add their own state (tokens, triage) and never undo another's.
/// </summary>
public sealed class ConsoleSite : IAsyncLifetime
{
    public const string AdminUser = "admin";
    public const string AdminPassword = "correct horse battery staple";
    public const string ViewerUser = "viewer1";
    public const string ViewerPassword = "viewer password 123";
    public const string BreakInRuleId = "6b1f3c2e-5d4a-4e8b-9f7a-1c2d3e4f5a6b";
    public const string CrownJewel = "DOMAIN ADMINS@TESTLAB.LOCAL";

    // A site's own rule over its sshd logs; loghub's OpenSSH log has these lines from LabSZ.
    public const string BreakInRule = $"""
        title: sshd reverse mapping failed, possible break-in attempt
        id: {BreakInRuleId}
        status: test
        description: sshd could not map the client's address back to the name it gave
        author: Redoubt browser tests
        logsource:
          product: linux
          service: sshd
        detection:
          keywords:
            - 'POSSIBLE BREAK-IN ATTEMPT'
          condition: keywords
        level: high
        """;

    private string _rules = "";

    public ApplianceProcess App { get; private set; } = null!;
    public IReadOnlyList<LoghubLine> OpenSsh { get; private set; } = [];
    public long EventsFed { get; private set; }

    public async Task InitializeAsync()
    {
        _rules = Directory.CreateTempSubdirectory("redoubt-console-rules-").FullName;
        await File.WriteAllTextAsync(Path.Combine(_rules, "sshd-break-in.yml"), BreakInRule);
        // Sources count as quiet after 20 s, so the dashboard's "gone quiet" list fills during the run.
        App = await ApplianceProcess.StartAsync(null, "--rules", _rules, "--Ingest:QuietAfter=00:00:20");

        using var admin = await ConsoleSession.SetUpAdminAsync(App, AdminUser, AdminPassword);
        using (var r = await admin.SendAsync(HttpMethod.Post, "/api/v1/users", new { name = ViewerUser, role = "viewer", password = ViewerPassword }))
            Assert.True(r.IsSuccessStatusCode, await r.Content.ReadAsStringAsync());

        // The graph import first: its items are events too, and the pages' newest events must be the
        // syslog and agent ones below (the events list shows 100).
        var fixture = new BloodHoundFixture().Document;
        fixture["nodes"]!.AsArray().Add(new JsonObject { ["kind"] = "Group", ["key"] = CrownJewel, ["tags"] = new JsonArray("crown_jewel") });
        using (var r = await App.Http.PostAsync("/api/v1/graph/import", new StringContent(fixture.ToJsonString(), Encoding.UTF8, "application/json")))
            Assert.True(r.IsSuccessStatusCode, await r.Content.ReadAsStringAsync());
        var imported = (await App.StatsAsync()).GetProperty("events").GetInt64();

        OpenSsh = Loghub.Load("OpenSSH");
        await Senders.SendTcpLinesAsync(App.SyslogPort, OpenSsh.Select(l => l.Raw));
        EventsFed = OpenSsh.Count + await LogInjection.SendAllAsync(App);
        await App.WaitForEventCountAsync(imported + EventsFed);
    }

    /// <summary>A new browser context signed in through the sign-in page, on the dashboard.</summary>
    public async Task<IPage> SignInAsync(Browser browser, string user = AdminUser, string password = AdminPassword)
    {
        var context = await browser.NewContextAsync();
        var page = await context.NewPageAsync();
        await page.GotoAsync(new Uri(App.BaseAddress, "/login.html").ToString());
        await page.FillAsync("#login-user", user);
        await page.FillAsync("#login-password", password);
        await page.ClickAsync("#login-submit");
        await page.WaitForURLAsync(new Uri(App.BaseAddress, "/").ToString());
        await Assertions.Expect(page.Locator("#nav-user")).ToContainTextAsync(user);
        return page;
    }

    public string Url(string path) => new Uri(App.BaseAddress, path).ToString();

    public async Task<JsonElement> GetAsync(string path) => await App.GetJsonAsync(path);

    public async Task DisposeAsync()
    {
        if (App is not null) await App.DisposeAsync();
        try { Directory.Delete(_rules, recursive: true); } catch (IOException) { }
    }
}

using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Redoubt.Tests.Graph.Reference;
using Redoubt.Tests.Support;

namespace Redoubt.Tests.Console;

/// <summary>
/// Each console page once, in Debian's Chromium, against the real appliance of <see cref="ConsoleSite"/>:
/// what the page shows is compared with what the API says, so a page that drew made-up or stale data fails.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class ConsolePagesTests(Browser browser, ConsoleSite site)
{
    /// <summary>REDOUBT_SCREENSHOTS=DIR keeps a picture of each page (for people; no test reads them).</summary>
    internal static async Task ShotAsync(IPage page, string name)
    {
        if (Environment.GetEnvironmentVariable("REDOUBT_SCREENSHOTS") is { Length: > 0 } dir)
        {
            Directory.CreateDirectory(dir);
            await page.ScreenshotAsync(new() { Path = Path.Combine(dir, name + ".png"), FullPage = true });
        }
    }

    private static string N(long n) => n.ToString("#,0", System.Globalization.CultureInfo.InvariantCulture);

    private static IEnumerable<(string Name, long Count)> Sources(JsonElement stats) =>
        stats.TryGetProperty("sources", out var list) && list.ValueKind == JsonValueKind.Array
            ? list.EnumerateArray().Select(s => (s.GetProperty("source").GetString()!, s.GetProperty("received").GetInt64()))
            : stats.GetProperty("bySource").EnumerateObject().Select(p => (p.Name, p.Value.GetInt64()));

    [Fact]
    public async Task Dashboard_shows_the_stored_events_their_sources_parse_errors_alerts_listeners_and_quiet_sources()
    {
        // With Ingest:QuietAfter at 20 s (ConsoleSite), every source goes quiet once nothing has sent for
        // that long; waiting for all of them makes the page and this snapshot of the stats agree.
        await WaitForStatsAsync("every source quiet", s => s.GetProperty("sources").EnumerateArray().All(x => x.GetProperty("quiet").GetBoolean()));
        var page = await site.SignInAsync(browser);
        var guard = await PageGuard.WatchAsync(page);
        await page.GotoAsync(site.Url("/"));
        var stats = await site.GetAsync("/api/v1/stats");
        await Assertions.Expect(page.Locator("#dash-events")).ToHaveTextAsync(N(stats.GetProperty("events").GetInt64()));
        await Assertions.Expect(page.Locator("#dash-parse-errors")).ToHaveTextAsync(N(stats.GetProperty("parseErrors").GetInt64()));
        await Assertions.Expect(page.Locator("#dash-storage")).Not.ToHaveTextAsync("–");
        // The rate needs two polls of the stats (5 s apart): a number, not the placeholder.
        await Assertions.Expect(page.Locator("#dash-eps")).ToHaveTextAsync(new Regex(@"^\d"), new() { Timeout = 30_000 });
        // Events by source: a bar per source with the count the stats give.
        foreach (var (name, count) in Sources(stats).OrderByDescending(x => x.Count).Take(15))
            await Assertions.Expect(page.Locator($"#dash-sources g.bar{Css.Attr("data-label", name)} text.bar-value")).ToContainTextAsync(N(count));
        // Sources gone quiet: exactly the ones the stats flag.
        var quiet = QuietSources(stats);
        await Assertions.Expect(page.Locator("#dash-quiet li.quiet-source")).ToHaveCountAsync(quiet.Count);
        await Assertions.Expect(page.Locator("#dash-quiet li.quiet-source", new() { HasText = LogInjection.RtlHost })).ToHaveCountAsync(1);
        // Retention horizon: what the stats report, or plainly "not reported" when this build has none.
        if (stats.TryGetProperty("retention", out var retention) && retention.ValueKind == JsonValueKind.Object)
            await Assertions.Expect(page.Locator("#dash-retention")).Not.ToHaveTextAsync(new Regex("^(–|not reported)$"));
        else
            await Assertions.Expect(page.Locator("#dash-retention")).ToHaveTextAsync("not reported");
        // Alerts by severity: the break-in rule is high; the bars add up to the open alerts.
        var open = (await site.GetAsync("/api/v1/alerts?state=new,acknowledged,in_progress&limit=1")).GetProperty("total").GetInt64();
        await Assertions.Expect(page.Locator("#dash-alerts")).ToHaveAttributeAsync("data-total", open.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await Assertions.Expect(page.Locator("#dash-alerts g.bar[data-label='high'] text.bar-value")).Not.ToHaveTextAsync("0");
        // Listeners, the forward listener among them with what the fluent-logger agent sent.
        foreach (var l in stats.GetProperty("listeners").EnumerateArray())
        {
            var row = page.Locator($"#dash-listeners tbody tr{Css.Attr("data-key", ListenerKey(l))}");
            await Assertions.Expect(row).ToContainTextAsync(l.GetProperty("bind").GetString()!);
            await Assertions.Expect(row.Locator("td").Nth(4)).ToHaveTextAsync(N(l.GetProperty("received").GetInt64()));
        }
        var forward = Forward(stats);
        Assert.True(forward.GetProperty("received").GetInt64() >= 1, forward.ToString());
        await Assertions.Expect(page.Locator($"#dash-listeners tbody tr{Css.Attr("data-key", ListenerKey(forward))} td").Nth(6)).ToHaveTextAsync(new Regex(" ago$"));
        await ShotAsync(page, "dashboard");
        await guard.AssertInertAsync("dashboard");
    }

    private static string ListenerKey(JsonElement l) => $"{l.GetProperty("transport").GetString()} {l.GetProperty("bind").GetString()}";

    private static JsonElement Forward(JsonElement stats) =>
        stats.GetProperty("listeners").EnumerateArray().Single(l => l.GetProperty("transport").GetString() == "forward");

    private static List<string> QuietSources(JsonElement stats) =>
        stats.GetProperty("sources").EnumerateArray().Where(s => s.GetProperty("quiet").GetBoolean()).Select(s => s.GetProperty("source").GetString()!).ToList();

    private async Task WaitForStatsAsync(string what, Func<JsonElement, bool> done)
    {
        var deadline = DateTime.UtcNow.AddSeconds(120);
        JsonElement stats;
        while (!done(stats = await site.GetAsync("/api/v1/stats")))
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"stats never showed {what}: {stats}");
            await Task.Delay(500);
        }
    }

    [Fact]
    public async Task Event_search_filters_by_host_and_text_and_shows_raw_beside_parsed()
    {
        var page = await site.SignInAsync(browser);
        var guard = await PageGuard.WatchAsync(page);
        await page.GotoAsync(site.Url("/events.html"));
        await Assertions.Expect(page.Locator("#events tbody tr.event")).Not.ToHaveCountAsync(0);

        // One real line of the OpenSSH log, found by its text.
        var line = site.OpenSsh.First(l => l.Content.StartsWith("Accepted password for fztu", StringComparison.Ordinal));
        await page.FillAsync("#f-host", "LabSZ");
        await page.FillAsync("#f-q", "Accepted password for fztu");
        await page.ClickAsync("#search-btn");
        var rows = page.Locator("#events tbody tr.event");
        var expected = site.OpenSsh.Count(l => l.Content.Contains("Accepted password for fztu", StringComparison.Ordinal));
        await Assertions.Expect(rows).ToHaveCountAsync(expected);
        await Assertions.Expect(rows.First.Locator("td.c-host")).ToHaveTextAsync("LabSZ");

        await rows.Last.ClickAsync();
        var detail = page.Locator("#detail");
        await Assertions.Expect(detail).ToBeVisibleAsync();
        await Assertions.Expect(detail.Locator("#detail-raw")).ToContainTextAsync(line.ExpectedMessage);
        await Assertions.Expect(detail.Locator(".detail-fields")).ToContainTextAsync("sshd");
        await Assertions.Expect(detail.Locator(".detail-fields")).ToContainTextAsync(line.Pid!);

        // Bytes that are not UTF-8 are kept raw: shown escaped byte by byte, and as hex.
        await page.FillAsync("#f-host", "badbytes");
        await page.FillAsync("#f-q", "");
        await page.ClickAsync("#search-btn");
        await Assertions.Expect(rows).ToHaveCountAsync(1);
        await Assertions.Expect(rows.First.Locator(".flag-invalid-utf8")).ToHaveCountAsync(1);
        await rows.First.ClickAsync();
        await Assertions.Expect(detail.Locator("#detail-raw")).ToContainTextAsync("\\xc0\\xbcscript\\xc0\\xbewindow.__pwned='bytes'");
        await detail.Locator("#detail-hex-toggle").ClickAsync();
        await Assertions.Expect(detail.Locator("#detail-hex")).ToContainTextAsync("c0 bc 73 63 72");

        // A filter that matches nothing says so.
        await page.FillAsync("#f-q", "no event says this " + Guid.NewGuid());
        await page.ClickAsync("#search-btn");
        await Assertions.Expect(page.Locator("#empty")).ToBeVisibleAsync();
        await ShotAsync(page, "events");
        await guard.AssertInertAsync("events");
    }

    [Fact]
    public async Task Live_tail_adds_new_events_at_the_top_and_pause_stops_it()
    {
        var page = await site.SignInAsync(browser);
        var guard = await PageGuard.WatchAsync(page);
        await page.GotoAsync(site.Url("/events.html"));
        var marker = "tail-" + Guid.NewGuid().ToString("N");
        await page.FillAsync("#f-q", marker);
        await page.ClickAsync("#search-btn");
        await Assertions.Expect(page.Locator("#empty")).ToBeVisibleAsync();
        await page.ClickAsync("#tail");
        await Assertions.Expect(page.Locator("#tail")).ToHaveAttributeAsync("aria-pressed", "true");

        await Senders.RunAsync("logger", ["-n", "127.0.0.1", "-P", site.App.SyslogPort.ToString(), "-T", "-t", "tailtest", $"{marker} first"]);
        await Assertions.Expect(page.Locator("#events tbody tr.event")).ToHaveCountAsync(1, new() { Timeout = 30_000 });
        await Senders.RunAsync("logger", ["-n", "127.0.0.1", "-P", site.App.SyslogPort.ToString(), "-T", "-t", "tailtest", $"{marker} second"]);
        await Assertions.Expect(page.Locator("#events tbody tr.event")).ToHaveCountAsync(2, new() { Timeout = 30_000 });
        await Assertions.Expect(page.Locator("#events tbody tr.event").First.Locator(".msg")).ToHaveTextAsync($"{marker} second");

        // Paused: a new event is stored but the table stays as it is until the tail resumes.
        await page.ClickAsync("#tail");
        await Assertions.Expect(page.Locator("#tail")).ToHaveAttributeAsync("aria-pressed", "false");
        await Senders.RunAsync("logger", ["-n", "127.0.0.1", "-P", site.App.SyslogPort.ToString(), "-T", "-t", "tailtest", $"{marker} third"]);
        await WaitForEventAsync(marker + " third");
        await page.WaitForTimeoutAsync(4_000); // two tail periods: long enough for a running tail to have shown it
        await Assertions.Expect(page.Locator("#events tbody tr.event")).ToHaveCountAsync(2);
        await page.ClickAsync("#tail");
        await Assertions.Expect(page.Locator("#events tbody tr.event")).ToHaveCountAsync(3, new() { Timeout = 30_000 });
        await guard.AssertInertAsync("events tail");
    }

    private async Task WaitForEventAsync(string text)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            var found = await site.GetAsync("/api/v1/events?q=" + Uri.EscapeDataString(text));
            if (found.GetProperty("events").GetArrayLength() > 0) return;
            await Task.Delay(200);
        }
        throw new TimeoutException("event not stored: " + text);
    }

    [Fact]
    public async Task Graph_explorer_draws_neighbours_then_the_attack_paths_to_the_crown_jewel_and_the_blast_radius()
    {
        var page = await site.SignInAsync(browser);
        var guard = await PageGuard.WatchAsync(page);
        await page.GotoAsync(site.Url("/graph.html"));
        await page.SelectOptionAsync("#graph-kind", "User");
        await page.FillAsync("#graph-q", "DFM@");
        await page.ClickAsync("#graph-find");
        var result = page.Locator("#graph-results button.graph-result", new() { HasText = "DFM@TESTLAB.LOCAL" });
        await result.ClickAsync();

        // Neighbours drawn: DFM, its groups and the hosts it administers, as SVG nodes with their keys.
        var picture = page.Locator("#graph-picture svg.graph");
        await Assertions.Expect(picture.Locator("g.node.focus text.node-label")).ToHaveTextAsync("DFM@TESTLAB.LOCAL");
        await Assertions.Expect(picture.Locator("g.node text.node-label", new() { HasText = "WIN10.TESTLAB.LOCAL" })).ToHaveCountAsync(1);
        await Assertions.Expect(page.Locator("#graph-node .node-ref")).ToHaveTextAsync("User:DFM@TESTLAB.LOCAL");

        // Paths to the crown jewel: the cheapest is DFM -ADMIN_TO-> WIN10, ADMINISTRATOR's session there, DOMAIN ADMINS.
        await page.ClickAsync("#graph-paths");
        var paths = await site.GetAsync("/api/v1/graph/attack-paths?k=5&source=" + Uri.EscapeDataString("User:DFM@TESTLAB.LOCAL"));
        var cheapest = paths.GetProperty("paths")[0];
        await Assertions.Expect(page.Locator("#graph-path-list li.path")).ToHaveCountAsync(paths.GetProperty("paths").GetArrayLength());
        await Assertions.Expect(page.Locator("#graph-path-list li.path").First).ToContainTextAsync(
            "User:DFM@TESTLAB.LOCAL —ADMIN_TO→ Host:WIN10.TESTLAB.LOCAL —LOGGED_ON (reverse)→ User:ADMINISTRATOR@TESTLAB.LOCAL");
        await Assertions.Expect(page.Locator("#graph-path-list li.path").First).ToContainTextAsync($"cost {cheapest.GetProperty("cost").GetDouble().ToString(System.Globalization.CultureInfo.InvariantCulture)}");
        await Assertions.Expect(picture.Locator("g.node.crown text.node-label")).ToHaveTextAsync(ConsoleSite.CrownJewel);
        Assert.True(await picture.Locator("g.edge.hot").CountAsync() >= cheapest.GetProperty("hops").GetInt32());

        // Blast radius: everything DFM reaches, the domain controller among it, with the count the API gives.
        await page.ClickAsync("#graph-blast");
        var blast = await site.GetAsync("/api/v1/graph/blast-radius?depth=6&limit=150&node=" + Uri.EscapeDataString("User:DFM@TESTLAB.LOCAL"));
        await Assertions.Expect(page.Locator("#graph-mode")).ToContainTextAsync($"{blast.GetProperty("reachedCount").GetInt32()} reachable");
        await Assertions.Expect(picture.Locator("g.node")).ToHaveCountAsync(blast.GetProperty("reached").GetArrayLength() + 1);
        await Assertions.Expect(picture.Locator("g.node text.node-label", new() { HasText = "PRIMARY.TESTLAB.LOCAL" })).ToHaveCountAsync(1);
        await ShotAsync(page, "graph");
        await guard.AssertInertAsync("graph");
    }

    [Fact]
    public async Task Tokens_are_made_once_shown_work_and_stop_working_when_revoked()
    {
        var page = await site.SignInAsync(browser);
        var guard = await PageGuard.WatchAsync(page);
        await page.GotoAsync(site.Url("/access.html"));
        var name = "soc pull " + Guid.NewGuid().ToString("N")[..8];
        await page.FillAsync("#token-name", name);
        await page.CheckAsync("#token-scope-events-read");
        await page.FillAsync("#token-days", "7");
        await page.ClickAsync("#token-submit");
        await Assertions.Expect(page.Locator("#new-token")).ToBeVisibleAsync();
        var id = await page.Locator("#new-token-id").TextContentAsync();
        var token = await page.Locator("#new-token-value").InputValueAsync();
        Assert.StartsWith($"rdt_{id}_", token);

        using var client = site.App.NewClient(bearer: token);
        using (var ok = await client.GetAsync("/api/v1/events?limit=1")) Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        using (var scoped = await client.GetAsync("/api/v1/stats")) Assert.Equal(HttpStatusCode.Forbidden, scoped.StatusCode);

        await page.ClickAsync("#new-token-done");
        await Assertions.Expect(page.Locator("#new-token")).ToBeHiddenAsync();
        Assert.Equal("", await page.Locator("#new-token-value").InputValueAsync());
        var row = page.Locator($"#tokens-table tr[data-token-id='{id}']");
        await Assertions.Expect(row.Locator(".token-state")).ToHaveTextAsync("active");

        guard.AcceptConfirm($"Revoke token {id}?");
        await page.ClickAsync($"#revoke-{id}");
        await Assertions.Expect(row.Locator(".token-state")).ToHaveTextAsync("revoked");
        using (var gone = await client.GetAsync("/api/v1/events?limit=1")) Assert.Equal(HttpStatusCode.Unauthorized, gone.StatusCode);
        await Assertions.Expect(page.Locator("#audit-table tr[data-seq]", new() { HasText = "token.revoke" }).First).ToBeVisibleAsync();
        await ShotAsync(page, "access");
        await guard.AssertInertAsync("access");
    }

    [Fact]
    public async Task Rule_upload_lists_every_load_error_and_keeps_nothing_then_a_good_rule_loads()
    {
        var page = await site.SignInAsync(browser);
        var guard = await PageGuard.WatchAsync(page);
        await page.GotoAsync(site.Url("/rules.html"));
        var row = page.Locator($"#rules-table tr[data-rule-id='{ConsoleSite.BreakInRuleId}']");
        await Assertions.Expect(row).ToContainTextAsync("sshd reverse mapping failed");

        // A rule with an unknown modifier and a condition naming a missing selection: refused with both reasons.
        var id = Guid.NewGuid().ToString();
        await page.FillAsync("#rule-yaml", $"""
            title: broken upload
            id: {id}
            logsource:
              product: linux
              service: sshd
            detection:
              selection:
                message|startswithx: 'Failed password'
              condition: selection and other
            """);
        await page.ClickAsync("#rule-submit");
        await Assertions.Expect(page.Locator("#rule-upload-errors")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#rule-upload-errors tbody tr[data-code='unknown_modifier']")).ToHaveCountAsync(1);
        await Assertions.Expect(page.Locator("#rule-upload-errors tbody tr[data-code='unknown_modifier']")).ToContainTextAsync("startswithx");
        var rules = await site.GetAsync("/api/v1/rules");
        Assert.DoesNotContain(rules.GetProperty("rules").EnumerateArray(), r => r.GetProperty("id").GetString() == id);

        await page.FillAsync("#rule-yaml", $"""
            title: sshd invalid user
            id: {id}
            status: test
            logsource:
              product: linux
              service: sshd
            detection:
              keywords:
                - 'Invalid user'
              condition: keywords
            level: low
            """);
        await page.ClickAsync("#rule-submit");
        await Assertions.Expect(page.Locator("#rule-status")).ToContainTextAsync(id);
        var uploaded = page.Locator($"#rules-table tr[data-rule-id='{id}']");
        await Assertions.Expect(uploaded).ToContainTextAsync("sshd invalid user");

        // Disabled and enabled again from the list; the API agrees each time.
        await uploaded.Locator("button.rule-toggle").ClickAsync();
        await Assertions.Expect(uploaded.Locator("td.state-off")).ToContainTextAsync("no");
        Assert.False((await site.GetAsync("/api/v1/rules")).GetProperty("rules").EnumerateArray().Single(r => r.GetProperty("id").GetString() == id).GetProperty("enabled").GetBoolean());
        await uploaded.Locator("button.rule-toggle").ClickAsync();
        await Assertions.Expect(uploaded.Locator("td.state-active")).ToHaveTextAsync("yes");
        Assert.True((await site.GetAsync("/api/v1/rules")).GetProperty("rules").EnumerateArray().Single(r => r.GetProperty("id").GetString() == id).GetProperty("enabled").GetBoolean());
        await ShotAsync(page, "rules");
        await guard.AssertInertAsync("rules");
    }

    [Fact]
    public async Task Import_of_a_graph_document_applies_the_good_items_and_lists_each_bad_one()
    {
        var page = await site.SignInAsync(browser);
        var guard = await PageGuard.WatchAsync(page);
        await page.GotoAsync(site.Url("/imports.html"));

        // The real BloodHound fixture again (imports are idempotent upserts), with two items the import must refuse.
        var doc = new BloodHoundFixture().Document;
        var nodes = doc["nodes"]!.AsArray();
        nodes.Add(new System.Text.Json.Nodes.JsonObject { ["kind"] = "Laptop", ["key"] = "x1" });
        nodes.Add(new System.Text.Json.Nodes.JsonObject { ["kind"] = "Vulnerability", ["key"] = "CVE-2099-0001", ["cvss"] = "high" });
        await page.Locator("#graph-import-file").SetInputFilesAsync(new FilePayload
        {
            Name = "testlab.json", MimeType = "application/json", Buffer = System.Text.Encoding.UTF8.GetBytes(doc.ToJsonString()),
        });
        await Assertions.Expect(page.Locator("#graph-import-json")).Not.ToHaveValueAsync("");
        await page.ClickAsync("#graph-import-submit");
        await Assertions.Expect(page.Locator("#graph-import-status")).ToContainTextAsync("2 rejected");
        var errors = page.Locator("#graph-import-errors tbody tr");
        await Assertions.Expect(errors).ToHaveCountAsync(2);
        await Assertions.Expect(page.Locator($"#graph-import-errors tr[data-at='nodes[{nodes.Count - 2}].kind']")).ToHaveCountAsync(1);
        await Assertions.Expect(page.Locator($"#graph-import-errors tr[data-at='nodes[{nodes.Count - 1}].cvss']")).ToHaveCountAsync(1);
        await ShotAsync(page, "imports");
        await guard.AssertInertAsync("imports");
    }

    [Fact]
    public async Task Inventory_import_of_an_assets_csv_stores_the_good_row_and_lists_the_bad_one_by_line_and_reason()
    {
        var page = await site.SignInAsync(browser);
        var guard = await PageGuard.WatchAsync(page);
        await page.GotoAsync(site.Url("/imports.html"));
        // Line 2 is good; line 3's address is a payload (not an IP), which the server quotes back in its reason.
        const string payload = "<img src=x onerror=window.__pwned='imp'>";
        var csv = $"host,addresses,os,notes\nconsole-imp-01,10.77.0.5,debian,{payload}\nconsole-imp-02,{payload},debian,\n";
        await page.Locator("#inventory-kind").SelectOptionAsync("assets");
        await page.Locator("#inventory-file").SetInputFilesAsync(new FilePayload
        {
            Name = "assets.csv", MimeType = "text/csv", Buffer = System.Text.Encoding.UTF8.GetBytes(csv),
        });
        await page.ClickAsync("#inventory-submit");
        await Assertions.Expect(page.Locator("#inventory-status")).ToContainTextAsync("1 accepted, 1 rejected");
        await Assertions.Expect(page.Locator("#inventory-status")).ToContainTextAsync("\"assets.csv\"");
        var errors = page.Locator("#inventory-errors tbody tr");
        await Assertions.Expect(errors).ToHaveCountAsync(1);
        var cells = page.Locator("#inventory-errors tr[data-line='3'] td");
        await Assertions.Expect(cells.Nth(0)).ToHaveTextAsync("3");
        await Assertions.Expect(cells.Nth(1)).ToHaveTextAsync("bad_address");
        await Assertions.Expect(cells.Nth(2)).ToHaveTextAsync($"addresses: '{payload}' is not an IP address");
        // The good row is in the graph, with its address; the bad row's host is not.
        await site.App.WaitGraphCaughtUpAsync();
        var good = await site.GetAsync("/api/v1/graph/nodes?kind=Host&key=console-imp-01");
        Assert.Contains(good.GetProperty("out").EnumerateArray(), e => e.GetProperty("type").GetString() == "HAS_IP" && e.GetProperty("to").GetString() == "IpAddress:10.77.0.5");
        using (var bad = await site.App.Http.GetAsync("/api/v1/graph/nodes?kind=Host&key=console-imp-02"))
            Assert.Equal(System.Net.HttpStatusCode.NotFound, bad.StatusCode);
        await ShotAsync(page, "inventory-import");
        await guard.AssertInertAsync("inventory import");
    }

    [Fact]
    public async Task Sources_and_system_pages_show_the_listeners_and_stores_the_stats_report()
    {
        var page = await site.SignInAsync(browser);
        var guard = await PageGuard.WatchAsync(page);
        await page.GotoAsync(site.Url("/sources.html"));
        var stats = await site.GetAsync("/api/v1/stats");
        // Every listener with its state, bind and counters; the forward listener with what the agent sent and when.
        await Assertions.Expect(page.Locator("#listeners-table tbody tr")).ToHaveCountAsync(stats.GetProperty("listeners").GetArrayLength());
        var headers = (await page.Locator("#listeners-table thead th").AllTextContentsAsync()).ToList();
        foreach (var l in stats.GetProperty("listeners").EnumerateArray())
        {
            var cells = page.Locator($"#listeners-table tbody tr{Css.Attr("data-key", ListenerKey(l))} td");
            await Assertions.Expect(cells.Nth(headers.IndexOf("Bind"))).ToHaveTextAsync(l.GetProperty("bind").GetString()!);
            await Assertions.Expect(cells.Nth(headers.IndexOf("State"))).ToHaveTextAsync(l.GetProperty("status").GetString()!);
            await Assertions.Expect(cells.Nth(headers.IndexOf("Received"))).ToHaveTextAsync(N(l.GetProperty("received").GetInt64()));
            await Assertions.Expect(cells.Nth(headers.IndexOf("Connections"))).ToHaveTextAsync(N(l.GetProperty("connections").GetInt64()));
        }
        // The TLS listener's description (protocols, certificate fingerprint, client certificates) in full.
        foreach (var l in stats.GetProperty("listeners").EnumerateArray().Where(l => l.GetProperty("tls").ValueKind == JsonValueKind.String))
            await Assertions.Expect(page.Locator("#listeners-tls")).ToContainTextAsync(l.GetProperty("tls").GetString()!);
        var forward = Forward(stats);
        var forwardCells = page.Locator($"#listeners-table tbody tr{Css.Attr("data-key", ListenerKey(forward))} td");
        await Assertions.Expect(forwardCells.Nth(headers.IndexOf("Transport"))).ToHaveTextAsync("forward");
        await Assertions.Expect(forwardCells.Nth(headers.IndexOf("Received"))).Not.ToHaveTextAsync("0");
        await Assertions.Expect(forwardCells.Nth(headers.IndexOf("Last seen"))).ToHaveTextAsync(new Regex(" ago$"));
        // Every source with its count, state and the listener it last came through.
        foreach (var s in stats.GetProperty("sources").EnumerateArray())
        {
            var row = page.Locator($"#sources-table tr{Css.Attr("data-key", s.GetProperty("source").GetString()!)}");
            await Assertions.Expect(row).ToContainTextAsync(N(s.GetProperty("received").GetInt64()));
            await Assertions.Expect(row).ToContainTextAsync(s.GetProperty("quiet").GetBoolean() ? "quiet" : "sending");
        }
        var agent = stats.GetProperty("sources").EnumerateArray().Single(s => s.GetProperty("source").GetString() == LogInjection.ForwardHost);
        await Assertions.Expect(page.Locator($"#sources-table tr{Css.Attr("data-key", LogInjection.ForwardHost)}")).ToContainTextAsync(agent.GetProperty("lastListener").GetString()!);
        await ShotAsync(page, "sources");
        await guard.AssertInertAsync("sources");

        await page.GotoAsync(site.Url("/system.html"));
        await Assertions.Expect(page.Locator("#sys-appliance")).ToContainTextAsync("healthy");
        await Assertions.Expect(page.Locator("#sys-stores tbody tr")).Not.ToHaveCountAsync(0);
        // Retention as the stats report it (the oldest event still held, by id).
        var oldest = stats.GetProperty("retention").GetProperty("oldestEventId");
        await Assertions.Expect(page.Locator("#sys-retention")).ToContainTextAsync(oldest.ValueKind == JsonValueKind.Number ? $"(id {oldest.GetInt64()})" : "none");
        // An admin downloads an online backup of the event log: a tar whose manifest (it comes last) is there.
        var download = await page.RunAndWaitForDownloadAsync(() => page.ClickAsync("#sys-backup-download"));
        Assert.Equal("redoubt-backup.tar", download.SuggestedFilename);
        var entries = new List<string>();
        await using (var file = File.OpenRead((await download.PathAsync())!))
        await using (var tar = new System.Formats.Tar.TarReader(file))
            while (await tar.GetNextEntryAsync() is { } entry) entries.Add(entry.Name);
        Assert.True(entries.Count > 1, string.Join(", ", entries));
        Assert.Equal(Redoubt.Storage.Backup.BackupManifest.EntryName, entries[^1]);
        // The whole appliance: the event log, the state store and the graph store, nothing omitted.
        Redoubt.Storage.Backup.BackupManifest manifest;
        await using (var file = File.OpenRead((await download.PathAsync())!)) manifest = await Redoubt.Storage.Backup.Backup.VerifyAsync(file);
        Assert.Empty(manifest.Omitted);
        Assert.Subset(manifest.Stores.Select(st => st.Directory).ToHashSet(), new HashSet<string> { "events", "state", "graph" });
        await ShotAsync(page, "system");
        await guard.AssertInertAsync("system");
    }

    [Fact]
    public async Task Alert_triage_acknowledges_assigns_comments_and_closes_with_a_reason_beside_the_evidence_and_graph()
    {
        // An alert the real OpenSSH log raised on LabSZ (the break-in rule), not yet triaged.
        var open = await site.GetAsync("/api/v1/alerts?state=new&entity=" + Uri.EscapeDataString("host=LabSZ") + "&limit=1");
        var id = open.GetProperty("alerts")[0].GetProperty("id").GetString()!;
        var page = await site.SignInAsync(browser);
        var guard = await PageGuard.WatchAsync(page);
        await page.GotoAsync(site.Url("/alerts.html"));
        await page.FillAsync("#af-entity", "host=LabSZ");
        await page.ClickAsync("#af-submit");
        var row = page.Locator($"#alerts-table tr[data-alert-id='{id}']");
        await row.ClickAsync();
        var detail = page.Locator($"#alert-detail[data-alert-id='{id}']");
        await Assertions.Expect(detail.Locator("#alert-title")).ToHaveTextAsync("sshd reverse mapping failed, possible break-in attempt");

        // Evidence: the real log lines behind it; graph context: the alert, the host it raised, drawn.
        var full = await site.GetAsync($"/api/v1/alerts/{id}");
        var evidence = full.GetProperty("events");
        await Assertions.Expect(page.Locator("#alert-evidence tbody tr.event")).ToHaveCountAsync(evidence.GetArrayLength());
        await Assertions.Expect(page.Locator("#alert-evidence tbody tr.event").First.Locator(".msg")).ToContainTextAsync("POSSIBLE BREAK-IN ATTEMPT");
        await Assertions.Expect(page.Locator("#alert-graph svg.graph g.node.kind-alert")).ToHaveCountAsync(1);
        await Assertions.Expect(page.Locator("#alert-graph svg.graph g.node.kind-host text.node-label")).ToHaveTextAsync("labsz");

        await page.ClickAsync("#triage-ack");
        await Assertions.Expect(row.Locator("td.state-acknowledged")).ToHaveCountAsync(1);
        await Assertions.Expect(page.Locator("#alert-history li.history-state").Last).ToContainTextAsync("admin state: new → acknowledged");
        await page.FillAsync("#triage-assignee", "alice");
        await page.ClickAsync("#triage-assign");
        await Assertions.Expect(row).ToContainTextAsync("alice");
        await page.FillAsync("#triage-comment", "reverse DNS of a scanner; no logon followed");
        await page.ClickAsync("#triage-comment-submit");
        await Assertions.Expect(page.Locator("#alert-history li.history-comment")).ToContainTextAsync("reverse DNS of a scanner");
        await page.SelectOptionAsync("#triage-resolution", "false_positive");
        await page.ClickAsync("#triage-close");
        await Assertions.Expect(page.Locator("#alert-facts")).ToContainTextAsync("closed");
        await Assertions.Expect(page.Locator("#triage-reopen")).ToBeVisibleAsync();

        var after = (await site.GetAsync($"/api/v1/alerts/{id}")).GetProperty("alert");
        Assert.Equal("closed", after.GetProperty("state").GetString());
        Assert.Equal("false_positive", after.GetProperty("resolution").GetString());
        Assert.Equal("alice", after.GetProperty("assignee").GetString());
        Assert.Equal("reverse DNS of a scanner; no logon followed", after.GetProperty("comment").GetString());
        // Each change is recorded with who made it: the signed-in admin (detection made the alert).
        Assert.Equal(["admin", "admin", "admin", "admin", "admin"],
            after.GetProperty("history").EnumerateArray().Where(h => h.GetProperty("who").GetString() != "detection").Select(h => h.GetProperty("who").GetString()));
        await ShotAsync(page, "alerts");
        await guard.AssertInertAsync("alerts");
    }

    [Fact]
    public async Task A_viewer_reads_every_page_but_gets_no_triage_rule_import_or_admin_controls()
    {
        var page = await site.SignInAsync(browser, ConsoleSite.ViewerUser, ConsoleSite.ViewerPassword);
        var guard = await PageGuard.WatchAsync(page);
        await Assertions.Expect(page.Locator("#nav-user")).ToHaveTextAsync($"{ConsoleSite.ViewerUser} (viewer)");
        await page.GotoAsync(site.Url("/alerts.html"));
        await page.Locator("#alerts-table tbody tr.alert-row").First.ClickAsync();
        await Assertions.Expect(page.Locator("#alert-detail")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#triage")).ToBeHiddenAsync();
        await Assertions.Expect(page.Locator("#triage-note")).ToContainTextAsync("triage needs an analyst or admin");

        await page.GotoAsync(site.Url("/rules.html"));
        await Assertions.Expect(page.Locator("#rules-table tbody tr").First).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#rule-form")).ToBeHiddenAsync();
        await Assertions.Expect(page.Locator("#rules-table button.rule-toggle")).ToHaveCountAsync(0);
        await page.GotoAsync(site.Url("/imports.html"));
        await Assertions.Expect(page.Locator("#graph-import-form")).ToBeHiddenAsync();
        await Assertions.Expect(page.Locator("#inventory-form")).ToBeHiddenAsync();
        await Assertions.Expect(page.Locator("#inventory-status")).ToContainTextAsync("imports:write");
        await page.GotoAsync(site.Url("/access.html"));
        await Assertions.Expect(page.Locator("#tokens-section [data-note='admin-only']")).ToHaveTextAsync("Only an admin sees this.");
        await Assertions.Expect(page.Locator("#token-form")).ToBeHiddenAsync();
        await page.GotoAsync(site.Url("/system.html"));
        await Assertions.Expect(page.Locator("#sys-backup")).ToContainTextAsync("online backup");
        await Assertions.Expect(page.Locator("#sys-backup-download")).ToHaveCountAsync(0);
        await guard.AssertInertAsync("viewer pages");
    }
}

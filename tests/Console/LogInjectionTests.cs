using Microsoft.Playwright;

namespace Redoubt.Tests.Console;

/// <summary>
/// Issue 7 item 18 in the real browser: the hostile events of <see cref="LogInjection"/>, sent by
/// logger, raw syslog and an agent, are shown as text on every page that renders log content —
/// events list and detail, dashboard and sources, the alert queue, its detail and graph picture,
/// and the graph explorer — and nothing in them ran or became an element.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class LogInjectionTests(Browser browser, ConsoleSite site)
{
    [Fact]
    public async Task Html_and_script_in_messages_hosts_apps_and_fields_are_shown_as_text_on_every_page()
    {
        var page = await site.SignInAsync(browser);
        var guard = await PageGuard.WatchAsync(page);

        // Events list: each payload is on the page literally, in its column.
        await page.GotoAsync(site.Url("/events.html"));
        var table = page.Locator("#events tbody");
        await Assertions.Expect(table.Locator("tr.event").First).ToBeVisibleAsync();
        await Assertions.Expect(table.Locator("td.c-msg", new() { HasText = LogInjection.MessageImg })).Not.ToHaveCountAsync(0);
        await Assertions.Expect(table.Locator("td.c-msg", new() { HasText = LogInjection.JsUrl })).Not.ToHaveCountAsync(0);
        await Assertions.Expect(table.Locator("td.c-host", new() { HasText = LogInjection.HostSvg })).Not.ToHaveCountAsync(0);
        await Assertions.Expect(table.Locator("td.c-host", new() { HasText = LogInjection.AgentHost })).ToHaveCountAsync(1);
        await Assertions.Expect(table.Locator("td.c-app", new() { HasText = LogInjection.AgentApp })).ToHaveCountAsync(1);
        await Assertions.Expect(table.Locator("td.c-msg", new() { HasText = LogInjection.AgentMessage })).ToHaveCountAsync(1);
        await Assertions.Expect(table.Locator("td.c-msg", new() { HasText = LogInjection.StyleBreakout })).Not.ToHaveCountAsync(0);
        // The right-to-left override is shown as a marked code point, so the name reads as it is.
        await Assertions.Expect(table.Locator("td.c-msg", new() { HasText = "invoiceU+202Efdp.exe" })).ToHaveCountAsync(1);
        await Assertions.Expect(table.Locator("td.c-msg .ctl", new() { HasText = "U+202E" })).ToHaveCountAsync(1);
        await guard.AssertInertAsync("events list");

        // The logger event's tag is its app (what the parser kept of it is shown as it is).
        var loggerRow = table.Locator("tr.event", new() { Has = page.Locator("td.c-msg", new() { HasText = LogInjection.MessageImg + " " + LogInjection.JsUrl }) });
        var app = await loggerRow.Locator("td.c-app").TextContentAsync();
        Assert.StartsWith("<script>", app);

        // The agent event's detail: the field name and value are text too.
        await table.Locator("tr.event", new() { Has = page.Locator("td.c-host", new() { HasText = LogInjection.AgentHost }) }).ClickAsync();
        var detail = page.Locator("#detail");
        await Assertions.Expect(detail.Locator("#detail-json")).ToContainTextAsync(LogInjection.AgentFieldName);
        await Assertions.Expect(detail).ToContainTextAsync(LogInjection.AgentFieldValue.Split('"')[0]);
        await guard.AssertInertAsync("agent event detail");
        // The syslog event with structured data: its parameter name and value are text as well.
        await table.Locator("tr.event", new() { HasText = "Failed password for " + LogInjection.UserScript }).ClickAsync();
        await Assertions.Expect(detail.Locator(".detail-fields")).ToContainTextAsync(LogInjection.HostSvg);
        await Assertions.Expect(detail.Locator("#detail-sd")).ToContainTextAsync(LogInjection.SdValue);
        await Assertions.Expect(detail.Locator("#detail-fields")).ToContainTextAsync(LogInjection.SdName);
        await Assertions.Expect(detail.Locator("#detail-fields")).ToContainTextAsync(LogInjection.SdValue);
        await guard.AssertInertAsync("syslog event detail");
        // The forward-protocol agent: its tag is the app and a field; host, message and the field as text.
        var forwardRow = table.Locator("tr.event", new() { Has = page.Locator("td.c-host", new() { HasText = LogInjection.ForwardHost }) });
        await Assertions.Expect(forwardRow).ToHaveCountAsync(1);
        await Assertions.Expect(forwardRow.Locator("td.c-app")).ToHaveTextAsync(LogInjection.ForwardTag);
        await Assertions.Expect(forwardRow.Locator("td.c-msg")).ToContainTextAsync(LogInjection.ForwardMessage);
        await forwardRow.ClickAsync();
        await Assertions.Expect(detail.Locator("#detail-fields")).ToContainTextAsync(LogInjection.ForwardTag);
        await Assertions.Expect(detail.Locator("#detail-json")).ToContainTextAsync(LogInjection.ForwardFieldName);
        await Assertions.Expect(detail.Locator("#detail-json")).ToContainTextAsync(LogInjection.ForwardFieldValue.Replace("\"", "\\\""));
        await guard.AssertInertAsync("forward event detail");

        // Dashboard and sources: source names and counters.
        await page.GotoAsync(site.Url("/"));
        await Assertions.Expect(page.Locator("#dash-sources svg.chart")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#dash-sources g.bar title", new() { HasText = LogInjection.ForwardHost })).ToHaveCountAsync(1);
        await guard.AssertInertAsync("dashboard");
        await page.GotoAsync(site.Url("/sources.html"));
        await Assertions.Expect(page.Locator("#sources-table tbody tr").First).ToBeVisibleAsync();
        foreach (var host in (string[])[LogInjection.HostSvg, LogInjection.AgentHost, LogInjection.ForwardHost])
            await Assertions.Expect(page.Locator("#sources-table tbody td", new() { HasText = host })).ToHaveCountAsync(1);
        await guard.AssertInertAsync("sources");

        // The alert raised by the break-in line from the payload host: queue, detail, graph picture.
        await page.GotoAsync(site.Url("/alerts.html"));
        var alert = page.Locator("#alerts-table tbody tr.alert-row", new() { HasText = "host=" + LogInjection.HostSvg });
        await Assertions.Expect(alert).Not.ToHaveCountAsync(0);
        await alert.First.ClickAsync();
        await Assertions.Expect(page.Locator("#alert-facts")).ToContainTextAsync(LogInjection.HostSvg);
        await Assertions.Expect(page.Locator("#alert-evidence tbody td.c-msg").First).ToContainTextAsync(LogInjection.MessageImg);
        var hostNode = page.Locator("#alert-graph svg.graph g.node", new() { Has = page.Locator("title", new() { HasText = "Host:" + LogInjection.GraphHost }) });
        await Assertions.Expect(hostNode).ToHaveCountAsync(1);
        await Assertions.Expect(hostNode.Locator("text.node-label")).ToHaveTextAsync(LogInjection.GraphHost[..31] + "…");
        await ConsolePagesTests.ShotAsync(page, "injection-alert");
        await guard.AssertInertAsync("alert detail");

        // Graph explorer: the payload user is found, drawn and described as text.
        await page.GotoAsync(site.Url("/graph.html"));
        await page.SelectOptionAsync("#graph-kind", "User");
        await page.FillAsync("#graph-q", "<script>");
        await page.ClickAsync("#graph-find");
        await page.Locator("#graph-results button.graph-result", new() { HasText = LogInjection.UserScript }).ClickAsync();
        await Assertions.Expect(page.Locator("#graph-picture g.node.focus text.node-label")).ToHaveTextAsync(LogInjection.UserScript[..31] + "…");
        await Assertions.Expect(page.Locator("#graph-picture g.node text.node-label", new() { HasText = LogInjection.GraphHost[..13] })).ToHaveCountAsync(1);
        await Assertions.Expect(page.Locator("#graph-node .node-ref")).ToHaveTextAsync("User:" + LogInjection.UserScript + "@" + LogInjection.GraphHost); // Linux accounts are keyed user@host
        await ConsolePagesTests.ShotAsync(page, "injection-graph");
        await guard.AssertInertAsync("graph explorer");
    }
}

using Microsoft.Playwright;

namespace Redoubt.Tests.Console;

/// <summary>
/// Watches a page for what must never happen in the console: a script error, a dialog, a
/// Content-Security-Policy violation (an injected inline handler that tried to run is one), and —
/// whatever the CSP blocked — elements made from log content (event handlers, frames,
/// javascript: links, a stray &lt;img src=x&gt;, style elements in the body).
/// </summary>
public sealed class PageGuard
{
    private readonly IPage _page;
    private readonly List<string> _problems = [];
    private string? _confirm;

    /// <summary>Accept the next confirm() whose question starts with this (the console's own, e.g. before a revocation).</summary>
    public void AcceptConfirm(string startsWith) => _confirm = startsWith;

    // Elements and attributes the console never creates itself.
    private const string Injected =
        // (Playwright leaves an empty style attribute on inputs it typed into: only a non-empty one counts.)
        "[onerror], [onload], [onmouseover], [onclick], [onfocus], [ontoggle], iframe, object, embed, " +
        "a[href^='javascript:' i], [*|href^='javascript:' i], body meta, details, " +
        "img[src='x'], body style, body script, [style]:not([style='']), svg script, foreignObject";

    private PageGuard(IPage page)
    {
        _page = page;
        page.Dialog += async (_, d) =>
        {
            if (d.Type == "confirm" && _confirm is { } c && d.Message.StartsWith(c, StringComparison.Ordinal)) { _confirm = null; await d.AcceptAsync(); return; }
            lock (_problems) _problems.Add($"dialog: {d.Type} {d.Message}");
            await d.DismissAsync();
        };
        page.PageError += (_, e) => { lock (_problems) _problems.Add($"page error: {e}"); };
    }

    public static async Task<PageGuard> WatchAsync(IPage page)
    {
        // Before any page script: collect CSP violations the page reports.
        await page.Context.AddInitScriptAsync(
            "document.addEventListener('securitypolicyviolation', e => { (window.__cspViolations = window.__cspViolations || []).push(e.violatedDirective + ' ' + e.blockedURI); });");
        return new PageGuard(page);
    }

    /// <summary>Fails if anything hostile ran or was built on the current page, or if the page's own script failed.</summary>
    public async Task AssertInertAsync(string where)
    {
        var pwned = await _page.EvaluateAsync<string?>("() => window.__pwned === undefined ? null : String(window.__pwned)");
        Assert.True(pwned is null, $"{where}: a payload ran (window.__pwned = {pwned})");
        var violations = await _page.EvaluateAsync<string[]>("() => window.__cspViolations || []");
        Assert.True(violations.Length == 0, $"{where}: CSP violations (log content became markup): {string.Join("; ", violations)}");
        var built = await _page.EvaluateAsync<string[]>($"() => Array.from(document.querySelectorAll({System.Text.Json.JsonSerializer.Serialize(Injected)})).map(e => e.outerHTML.slice(0, 200))");
        Assert.True(built.Length == 0, $"{where}: elements made from log content: {string.Join(" | ", built)}");
        lock (_problems) Assert.True(_problems.Count == 0, $"{where}: {string.Join("; ", _problems)}");
    }
}

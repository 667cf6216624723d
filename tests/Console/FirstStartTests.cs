using Microsoft.Playwright;
using Redoubt.Tests.Support;

namespace Redoubt.Tests.Console;

/// <summary>A fresh appliance in a real browser: the setup code from its log, then sign-out and sign-in.</summary>
[Collection(BrowserCollection.Name)]
public sealed class FirstStartTests(Browser browser)
{
    [Fact]
    public async Task First_start_takes_the_setup_code_from_the_log_then_the_admin_signs_out_and_in()
    {
        await using var app = await ApplianceProcess.StartAsync();
        await using var context = await browser.NewContextAsync();
        var page = await context.NewPageAsync();
        var guard = await PageGuard.WatchAsync(page);
        string Url(string p) => new Uri(app.BaseAddress, p).ToString();

        // No session: the console sends the browser to the sign-in page, which asks for the setup code.
        await page.GotoAsync(Url("/"));
        await page.WaitForURLAsync(Url("/login.html"));
        await Assertions.Expect(page.Locator("#setup-section")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#login-section")).ToBeHiddenAsync();

        await page.FillAsync("#setup-code", "AAAA-BBBB-CCCC-DDDD");
        await page.FillAsync("#setup-user", "siteadmin");
        await page.FillAsync("#setup-password", "a long enough password");
        await page.FillAsync("#setup-password2", "a long enough password");
        await page.ClickAsync("#setup-submit");
        await Assertions.Expect(page.Locator("#setup-error")).ToBeVisibleAsync();

        await page.FillAsync("#setup-code", await ConsoleSession.ReadSetupCodeAsync(app));
        await page.ClickAsync("#setup-submit");
        await page.WaitForURLAsync(Url("/"));
        await Assertions.Expect(page.Locator("#nav-user")).ToHaveTextAsync("siteadmin (admin)");
        await Assertions.Expect(page.Locator("#nav-dashboard")).ToHaveAttributeAsync("aria-current", "page");
        await guard.AssertInertAsync("dashboard after setup");

        // Signed out, the console is closed again; a wrong password is refused, the right one lets in.
        await page.ClickAsync("#nav-signout");
        await page.WaitForURLAsync(Url("/login.html"));
        await Assertions.Expect(page.Locator("#login-section")).ToBeVisibleAsync();
        await page.GotoAsync(Url("/events.html"));
        await page.WaitForURLAsync(Url("/login.html"));
        await page.FillAsync("#login-user", "siteadmin");
        await page.FillAsync("#login-password", "not the password");
        await page.ClickAsync("#login-submit");
        await Assertions.Expect(page.Locator("#login-error")).ToBeVisibleAsync();
        await page.FillAsync("#login-password", "a long enough password");
        await page.ClickAsync("#login-submit");
        await page.WaitForURLAsync(Url("/"));
        await Assertions.Expect(page.Locator("#nav-user")).ToHaveTextAsync("siteadmin (admin)");
        await guard.AssertInertAsync("dashboard after sign-in");
    }
}

using Microsoft.Playwright;

namespace Redoubt.Tests.Console;

/// <summary>
/// Debian's Chromium (/usr/bin/chromium, installed by .ci/run) driven by Playwright's Node driver,
/// which ships in the Microsoft.Playwright package and is copied to the test output (.playwright/).
/// No browser is downloaded: `playwright install` is never run. One browser for the whole run;
/// each test gets its own context (cookies, storage), so tests share nothing but the process.
/// </summary>
public sealed class Browser : IAsyncLifetime
{
    public const string ChromiumPath = "/usr/bin/chromium";
    private IPlaywright? _playwright;

    public IBrowser Chromium { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var path = Environment.GetEnvironmentVariable("REDOUBT_CHROMIUM") is { Length: > 0 } p ? p : ChromiumPath;
        if (!File.Exists(path))
            throw new FileNotFoundException($"the browser tests drive Debian's Chromium at {path}: apt-get install chromium (.ci/run does)", path);
        _playwright = await Playwright.CreateAsync();
        Chromium = await _playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = path,
            Headless = true,
            Timeout = 60_000,
            // The box has no network beyond loopback: background fetches only make noise and delays.
            Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--no-first-run", "--no-default-browser-check"],
        });
    }

    /// <summary>A fresh context for the appliance's self-signed certificate, with generous timeouts for a loaded 2-core box.</summary>
    public async Task<IBrowserContext> NewContextAsync()
    {
        var context = await Chromium.NewContextAsync(new()
        {
            IgnoreHTTPSErrors = true, // the appliance's own self-signed certificate (the API tests pin it; the browser only needs to reach it)
            ViewportSize = new() { Width = 1400, Height = 1000 },
        });
        context.SetDefaultTimeout(30_000);
        context.SetDefaultNavigationTimeout(60_000);
        return context;
    }

    public async Task DisposeAsync()
    {
        if (Chromium is not null) await Chromium.DisposeAsync();
        _playwright?.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class BrowserCollection : ICollectionFixture<Browser>, ICollectionFixture<ConsoleSite>
{
    public const string Name = "browser";
}

using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Redoubt.Tests.Support;

/// <summary>
/// A browser's view of the console: a cookie jar, the CSRF token of its session, and the calls the
/// sign-in and setup pages make. Built on <see cref="ApplianceProcess.NewClient"/>, so it trusts only
/// the appliance's own certificate.
/// </summary>
public sealed partial class ConsoleSession : IDisposable
{
    public HttpClient Http { get; }
    public CookieContainer Cookies { get; } = new();
    public string? CsrfToken { get; private set; }

    /// <param name="from">The loopback address this browser connects from (default 127.0.0.1).</param>
    public ConsoleSession(ApplianceProcess app, IPAddress? from = null) => Http = app.NewClient(cookies: Cookies, from: from);

    [GeneratedRegex(@"setup code ([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})")]
    private static partial Regex SetupCodeLine();

    /// <summary>The setup code as the appliance printed it to its log (waits for the line).</summary>
    public static async Task<string> ReadSetupCodeAsync(ApplianceProcess app)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (SetupCodeLine().Matches(app.Output) is { Count: > 0 } m) return m[^1].Groups[1].Value;
            await Task.Delay(100);
        }
        throw new TimeoutException("no setup code in the appliance's log:\n" + app.Output);
    }

    /// <summary>First-start setup with the code from the log; the session is signed in as that admin.</summary>
    public static async Task<ConsoleSession> SetUpAdminAsync(ApplianceProcess app, string user, string password)
    {
        var s = new ConsoleSession(app);
        var code = await ReadSetupCodeAsync(app);
        using var r = await s.Http.PostAsJsonAsync("/api/v1/auth/setup", new { setupCode = code, user, password });
        await s.TakeSessionAsync(r);
        return s;
    }

    public static async Task<ConsoleSession> SignInAsync(ApplianceProcess app, string user, string password, IPAddress? from = null)
    {
        var s = new ConsoleSession(app, from);
        using var r = await s.LoginAsync(user, password);
        await s.TakeSessionAsync(r);
        return s;
    }

    public Task<HttpResponseMessage> LoginAsync(string user, string password) =>
        Http.PostAsJsonAsync("/api/v1/auth/login", new { user, password });

    private async Task TakeSessionAsync(HttpResponseMessage r)
    {
        var body = await r.Content.ReadAsStringAsync();
        if (!r.IsSuccessStatusCode) throw new HttpRequestException($"sign-in failed: {(int)r.StatusCode} {body}");
        CsrfToken = JsonDocument.Parse(body).RootElement.GetProperty("csrfToken").GetString();
    }

    /// <summary>A state-changing call as the console makes it: JSON body and the X-CSRF-Token header.</summary>
    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, object? body = null, string? csrf = "session")
    {
        var request = new HttpRequestMessage(method, path);
        if (body is not null) request.Content = JsonContent.Create(body);
        var token = csrf == "session" ? CsrfToken : csrf;
        if (token is not null) request.Headers.Add("X-CSRF-Token", token);
        return await Http.SendAsync(request);
    }

    public void Dispose() => Http.Dispose();
}

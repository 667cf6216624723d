using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Redoubt.Api.Access;
using Redoubt.Tests.Support;

namespace Redoubt.Tests.Api.Access;

/// <summary>One appliance started for the whole collection: fewer starts on a busy 2-core machine.</summary>
[CollectionDefinition(Name)]
public sealed class SecuredApplianceCollection : ICollectionFixture<SecuredAppliance>
{
    public const string Name = "secured appliance";
}

/// <summary>One appliance, set up with an admin, shared by the endpoint sweeps and the session tests.</summary>
public sealed class SecuredAppliance : IAsyncLifetime
{
    public const string AdminPassword = "admin password for tests";
    public ApplianceProcess App { get; private set; } = null!;
    public ConsoleSession Admin { get; private set; } = null!;
    public IReadOnlyList<AppEndpoints.Route> Routes { get; private set; } = [];
    private readonly Dictionary<string, string> _tokens = new(StringComparer.Ordinal);

    public async Task InitializeAsync()
    {
        App = await ApplianceProcess.StartAsync();
        Admin = await ConsoleSession.SetUpAdminAsync(App, "admin", AdminPassword);
        Routes = await AppEndpoints.AllAsync();
    }

    /// <summary>A token made through the API (as the console does), cached per scope set.</summary>
    public async Task<string> TokenAsync(params string[] scopes)
    {
        var key = string.Join(' ', scopes.Order(StringComparer.Ordinal));
        if (_tokens.TryGetValue(key, out var t)) return t;
        using var r = await App.Http.PostAsJsonAsync("/api/v1/tokens", new { name = "scopes " + key, scopes, expiresInDays = 1 });
        var body = await r.Content.ReadAsStringAsync();
        Assert.True(r.StatusCode == HttpStatusCode.Created, body);
        return _tokens[key] = JsonDocument.Parse(body).RootElement.GetProperty("token").GetString()!;
    }

    public async Task DisposeAsync()
    {
        Admin.Dispose();
        await App.DisposeAsync();
    }
}

/// <summary>
/// Issue 7 item 19: every endpoint, enumerated from the real host, is checked for authentication,
/// scope and CSRF, so endpoints added later are covered without being listed here.
/// </summary>
[Collection(SecuredApplianceCollection.Name)]
public sealed class ApiSecurityTests(SecuredAppliance fixture)
{
    private ApplianceProcess App => fixture.App;

    /// <summary>
    /// The only endpoints that answer without credentials. Adding one is a security decision:
    /// change this list only with a reason in docs/security.md.
    /// </summary>
    private static readonly string[] PublicRoutes =
    [
        "GET /api/v1/auth/state", "GET /app.css", "GET /healthz", "GET /login.html", "GET /login.js",
        "POST /api/v1/auth/login", "POST /api/v1/auth/setup",
    ];

    private static HttpRequestMessage Request(AppEndpoints.Route route)
    {
        var r = new HttpRequestMessage(new HttpMethod(route.Method), route.SamplePath);
        if (!AccessMiddleware.IsSafe(route.Method)) r.Content = new StringContent("{}", Encoding.UTF8, "application/json");
        return r;
    }

    private static async Task<(HttpStatusCode Status, string Body, HttpResponseMessage Response)> SendAsync(HttpClient client, HttpRequestMessage request)
    {
        var response = await client.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(), response);
    }

    private static string? ErrorCode(string body)
    {
        try { return JsonDocument.Parse(body).RootElement.GetProperty("error").GetString(); }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException) { return null; }
    }

    [Fact]
    public void The_endpoint_list_is_real_and_only_the_listed_endpoints_are_public()
    {
        Assert.True(fixture.Routes.Count > 20, string.Join("\n", fixture.Routes));
        Assert.True(fixture.Routes.Any(r => r.ToString() == "GET /api/v1/events"), string.Join("\n", fixture.Routes));
        Assert.Contains(fixture.Routes, r => r.ToString() == "POST /api/v1/tokens");
        var publicRoutes = fixture.Routes.Where(r => r.Metadata.GetMetadata<PublicEndpoint>() is not null).Select(r => r.ToString()).Order(StringComparer.Ordinal);
        Assert.Equal(PublicRoutes, publicRoutes);
    }

    [Fact]
    public async Task Every_endpoint_but_the_public_ones_refuses_a_caller_without_credentials()
    {
        using var anonymous = App.NewClient();
        var failures = new List<string>();
        foreach (var route in fixture.Routes.Where(r => !PublicRoutes.Contains(r.ToString())))
        {
            var (status, body, response) = await SendAsync(anonymous, Request(route));
            var page = route.Metadata.GetMetadata<ConsolePage>() is not null;
            if (page && !(status == HttpStatusCode.Redirect && response.Headers.Location?.ToString() == "/login.html"))
                failures.Add($"{route}: {(int)status} (a console page sends an anonymous browser to /login.html)");
            if (!page && !(status == HttpStatusCode.Unauthorized && ErrorCode(body) == "unauthenticated" && response.Headers.WwwAuthenticate.Count > 0))
                failures.Add($"{route}: {(int)status} {body}");
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));

        // Public ones answer (the sign-in page must load without a session); /healthz says ok.
        Assert.Equal("ok\n", await anonymous.GetStringAsync("/healthz"));
        using var unknown = await anonymous.GetAsync("/api/v1/no-such-thing");
        Assert.Equal(HttpStatusCode.Unauthorized, unknown.StatusCode); // probing learns nothing
    }

    [Fact]
    public async Task Every_scoped_endpoint_refuses_a_token_without_its_scope_and_admits_one_with_it()
    {
        var failures = new List<string>();
        foreach (var route in fixture.Routes.Where(r => !PublicRoutes.Contains(r.ToString())))
        {
            // The policy, stated here independently of the middleware: declared scope, else admin.
            if (route.Metadata.GetMetadata<SignedInEndpoint>() is not null) continue; // any signed-in caller: nothing to lack
            var scope = route.Metadata.GetMetadata<RequiredScope>()?.Scope ?? Scopes.Admin;

            var lacking = Scopes.All.Where(s => s != scope && s != Scopes.Admin).ToArray();
            using (var without = App.NewClient(bearer: await fixture.TokenAsync(lacking)))
            {
                var (status, body, _) = await SendAsync(without, Request(route));
                if (status != HttpStatusCode.Forbidden || ErrorCode(body) != "forbidden" || !body.Contains($"\"requiredScope\":\"{scope}\""))
                    failures.Add($"{route} without {scope}: {(int)status} {body}");
            }
            using (var with = App.NewClient(bearer: await fixture.TokenAsync(scope)))
            {
                var (status, body, _) = await SendAsync(with, Request(route));
                if (status is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
                    failures.Add($"{route} with only {scope}: {(int)status} {body}");
            }
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public async Task Every_state_change_with_a_session_cookie_fails_without_the_right_csrf_token()
    {
        var failures = new List<string>();
        var changes = fixture.Routes.Where(r => !AccessMiddleware.IsSafe(r.Method) && !PublicRoutes.Contains(r.ToString())).ToList();
        Assert.NotEmpty(changes);
        foreach (var route in changes)
        {
            foreach (var (csrf, code) in new[] { ((string?)null, "csrf_token_missing"), ("not-the-token", "csrf_token_invalid") })
            {
                var request = Request(route);
                if (csrf is not null) request.Headers.Add("X-CSRF-Token", csrf);
                var (status, body, _) = await SendAsync(fixture.Admin.Http, request);
                if (status != HttpStatusCode.Forbidden || ErrorCode(body) != code) failures.Add($"{route} ({code}): {(int)status} {body}");
            }
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));

        // The same session with its token goes through: the check is the token, not the cookie.
        using var ok = await fixture.Admin.SendAsync(HttpMethod.Post, "/api/v1/tokens", new { name = "csrf ok", scopes = new[] { Scopes.EventsRead } });
        Assert.Equal(HttpStatusCode.Created, ok.StatusCode);
    }

    [Fact]
    public void Endpoints_without_a_declaration_are_admin_only()
    {
        var undeclared = fixture.Routes.Where(r => r.Metadata.GetMetadata<RequiredScope>() is null
            && r.Metadata.GetMetadata<SignedInEndpoint>() is null && r.Metadata.GetMetadata<PublicEndpoint>() is null).ToList();
        Assert.Contains(undeclared, r => r.ToString() == "POST /api/v1/users"); // users endpoints rely on the default
        Assert.All(undeclared, r => Assert.Equal(Scopes.Admin, AccessMiddleware.RequiredScopeOf(r.Metadata)));
    }

    [Fact]
    public async Task Sign_in_calls_take_only_json_so_a_cross_site_form_cannot_post_them()
    {
        using var anonymous = App.NewClient();
        foreach (var path in new[] { "/api/v1/auth/login", "/api/v1/auth/setup" })
        {
            using var form = await anonymous.PostAsync(path, new FormUrlEncodedContent(new Dictionary<string, string> { ["user"] = "admin", ["password"] = "x" }));
            Assert.Equal(HttpStatusCode.UnsupportedMediaType, form.StatusCode);
            Assert.Equal("json_required", ErrorCode(await form.Content.ReadAsStringAsync()));
        }
    }

    [Fact]
    public async Task A_revoked_token_stops_working_on_the_very_next_request()
    {
        using var created = await App.Http.PostAsJsonAsync("/api/v1/tokens", new { name = "to be revoked", scopes = new[] { Scopes.EventsRead } });
        var body = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement;
        using var client = App.NewClient(bearer: body.GetProperty("token").GetString());
        using (var before = await client.GetAsync("/api/v1/events?limit=1")) Assert.Equal(HttpStatusCode.OK, before.StatusCode);

        using var revoked = await fixture.Admin.SendAsync(HttpMethod.Delete, "/api/v1/tokens/" + body.GetProperty("id").GetString());
        Assert.Equal(HttpStatusCode.OK, revoked.StatusCode);

        using var after = await client.GetAsync("/api/v1/events?limit=1");
        Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
        Assert.Equal("token_revoked", ErrorCode(await after.Content.ReadAsStringAsync()));
        var listed = (await App.GetJsonAsync("/api/v1/tokens")).GetProperty("tokens").EnumerateArray()
            .Single(t => t.GetProperty("id").GetString() == body.GetProperty("id").GetString());
        Assert.Equal("revoked", listed.GetProperty("state").GetString());
        Assert.Equal("user:admin", listed.GetProperty("revokedBy").GetString());
    }

    [Theory]
    [InlineData("Bearer rdt_0123456789ab_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "invalid_token")]
    [InlineData("Bearer not-a-token", "invalid_token")]
    [InlineData("Basic YWRtaW46YWRtaW4=", "unsupported_authorization")]
    public async Task A_bad_credential_is_refused_with_a_stable_code(string authorization, string code)
    {
        using var client = App.NewClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/events");
        request.Headers.TryAddWithoutValidation("Authorization", authorization);
        using var r = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
        Assert.Equal(code, ErrorCode(await r.Content.ReadAsStringAsync()));
    }

    [Fact]
    public async Task The_session_cookie_is_secure_httponly_samesite_strict_and_expires()
    {
        using var s = new ConsoleSession(App);
        using var r = await s.LoginAsync("admin", SecuredAppliance.AdminPassword);
        Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        var cookie = Assert.Single(r.Headers.GetValues("Set-Cookie"));
        Assert.StartsWith("__Host-redoubt-session=", cookie);
        foreach (var attribute in new[] { "secure", "httponly", "samesite=strict", "path=/", "expires=" })
            Assert.Contains(attribute, cookie.ToLowerInvariant());
        var session = JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement;
        var expires = DateTimeOffset.Parse(session.GetProperty("expiresAt").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(expires - DateTimeOffset.UtcNow, TimeSpan.FromHours(7), TimeSpan.FromHours(8.1));
    }

    [Fact]
    public async Task After_sign_out_a_replayed_session_cookie_is_worthless()
    {
        var s = await ConsoleSession.SignInAsync(App, "admin", SecuredAppliance.AdminPassword);
        var value = s.Cookies.GetAllCookies().Single().Value;
        using (var me = await s.Http.GetAsync("/api/v1/auth/session")) Assert.Equal(HttpStatusCode.OK, me.StatusCode);
        using (var bye = await s.SendAsync(HttpMethod.Post, "/api/v1/auth/logout")) Assert.Equal(HttpStatusCode.NoContent, bye.StatusCode);

        var jar = new CookieContainer();
        jar.Add(App.BaseAddress, new Cookie("__Host-redoubt-session", value));
        using var replay = App.NewClient(cookies: jar);
        using var r = await replay.GetAsync("/api/v1/auth/session");
        Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
        s.Dispose();
    }

    [Fact]
    public async Task Setup_works_only_once()
    {
        using var anonymous = App.NewClient();
        var state = JsonDocument.Parse(await anonymous.GetStringAsync("/api/v1/auth/state")).RootElement;
        Assert.False(state.GetProperty("setupRequired").GetBoolean());
        var code = await ConsoleSession.ReadSetupCodeAsync(App);
        using var again = await anonymous.PostAsJsonAsync("/api/v1/auth/setup", new { setupCode = code, user = "intruder", password = "intruder password" });
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Equal("setup_done", ErrorCode(await again.Content.ReadAsStringAsync()));
    }

    [Fact]
    public async Task Console_pages_and_the_api_carry_the_security_headers()
    {
        foreach (var path in new[] { "/", "/access.html", "/api/v1/auth/session" })
        {
            using var r = await fixture.Admin.Http.GetAsync(path);
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
            Assert.Equal("max-age=31536000", r.Headers.GetValues("Strict-Transport-Security").Single());
            Assert.Equal("DENY", r.Headers.GetValues("X-Frame-Options").Single());
            Assert.Contains("frame-ancestors 'none'", r.Headers.GetValues("Content-Security-Policy").Single());
            Assert.Contains("script-src 'self'", r.Headers.GetValues("Content-Security-Policy").Single());
            Assert.True(r.Headers.CacheControl?.NoStore, path);
        }
    }

    [Fact]
    public async Task There_is_no_plain_http()
    {
        using var plain = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{App.HttpPort}"), Timeout = TimeSpan.FromSeconds(30) };
        // Kestrel drops a plain-text request on its TLS port: nothing, not even /healthz, is served without TLS.
        await Assert.ThrowsAsync<HttpRequestException>(() => plain.GetAsync("/healthz"));
    }
}

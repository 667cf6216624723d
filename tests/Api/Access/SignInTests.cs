using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Redoubt.Api.Access;
using Redoubt.Tests.Support;

namespace Redoubt.Tests.Api.Access;

/// <summary>First start, sign-in, lockout, roles and the audit trail against the real process.</summary>
public sealed class SignInTests
{
    private const string AdminPassword = "the admin's long password";

    private static async Task<JsonElement> AuditAsync(ApplianceProcess app) =>
        (await app.GetJsonAsync("/api/v1/audit?limit=1000")).GetProperty("entries");

    [Fact]
    public async Task First_start_prints_a_setup_code_that_creates_the_admin_once_and_a_wrong_code_does_not()
    {
        await using var app = await ApplianceProcess.StartAsync();
        using var anonymous = app.NewClient();
        var state = JsonDocument.Parse(await anonymous.GetStringAsync("/api/v1/auth/state")).RootElement;
        Assert.True(state.GetProperty("setupRequired").GetBoolean());

        using (var wrong = await anonymous.PostAsJsonAsync("/api/v1/auth/setup", new { setupCode = "AAAA-AAAA-AAAA-AAAA", user = "admin", password = AdminPassword }))
            Assert.Equal(HttpStatusCode.Forbidden, wrong.StatusCode);
        using (var weak = await anonymous.PostAsJsonAsync("/api/v1/auth/setup", new { setupCode = await ConsoleSession.ReadSetupCodeAsync(app), user = "admin", password = "short" }))
        {
            Assert.Equal(HttpStatusCode.BadRequest, weak.StatusCode);
            Assert.Contains("weak_password", await weak.Content.ReadAsStringAsync());
        }

        using var admin = await ConsoleSession.SetUpAdminAsync(app, "admin", AdminPassword);
        var me = JsonDocument.Parse(await admin.Http.GetStringAsync("/api/v1/auth/session")).RootElement;
        Assert.Equal("admin", me.GetProperty("name").GetString());
        Assert.Equal("admin", me.GetProperty("role").GetString());
        state = JsonDocument.Parse(await anonymous.GetStringAsync("/api/v1/auth/state")).RootElement;
        Assert.False(state.GetProperty("setupRequired").GetBoolean());

        var audit = await AuditAsync(app);
        Assert.Contains(audit.EnumerateArray(), e => e.GetProperty("action").GetString() == "setup" && e.GetProperty("outcome").GetString() == "ok");
        Assert.Contains(audit.EnumerateArray(), e => e.GetProperty("action").GetString() == "setup" && e.GetProperty("detail").GetString() == "wrong setup code");

        // A restart after setup prints no code.
        Assert.Equal(0, await app.StopAsync());
        await using var again = await ApplianceProcess.StartAsync(app.DataDir);
        await again.GetJsonAsync("/api/v1/stats");
        Assert.DoesNotContain("setup code", again.Output);
        using var signedIn = await ConsoleSession.SignInAsync(again, "admin", AdminPassword);
    }

    [Fact]
    public async Task Failed_sign_ins_lock_the_user_out_with_a_growing_delay_even_for_the_right_password()
    {
        await using var app = await ApplianceProcess.StartAsync();
        using var admin = await ConsoleSession.SetUpAdminAsync(app, "admin", AdminPassword);
        using (var r = await admin.SendAsync(HttpMethod.Post, "/api/v1/users", new { name = "mallory", role = Roles.Viewer, password = "mallory's real password" }))
            Assert.Equal(HttpStatusCode.Created, r.StatusCode);

        using var browser = new ConsoleSession(app);
        for (var i = 1; i <= 5; i++)
        {
            using var r = await browser.LoginAsync("mallory", $"guess number {i}");
            Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
            Assert.Contains("bad_credentials", await r.Content.ReadAsStringAsync());
        }
        using (var locked = await browser.LoginAsync("mallory", "mallory's real password"))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, locked.StatusCode);
            var body = JsonDocument.Parse(await locked.Content.ReadAsStringAsync()).RootElement;
            Assert.Equal("locked_out", body.GetProperty("error").GetString());
            var retry = int.Parse(locked.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture);
            Assert.InRange(retry, 1, 30);
        }
        Assert.Empty(browser.Cookies.GetAllCookies());

        // Another user from the same address is not locked by mallory's count.
        using var stillAdmin = await ConsoleSession.SignInAsync(app, "admin", AdminPassword);

        var audit = await AuditAsync(app);
        Assert.Equal(5, audit.EnumerateArray().Count(e => e.GetProperty("action").GetString() == "login" && e.GetProperty("outcome").GetString() == "failed"
            && e.GetProperty("target").GetString() == "user:mallory"));
        Assert.Contains(audit.EnumerateArray(), e => e.GetProperty("action").GetString() == "login" && e.GetProperty("outcome").GetString() == "denied");
        Assert.DoesNotContain("guess number", (await app.Http.GetStringAsync("/api/v1/audit/export")) + app.Output);
    }

    [Fact]
    public async Task Roles_decide_what_a_signed_in_user_may_do_and_disabling_ends_their_session_at_once()
    {
        await using var app = await ApplianceProcess.StartAsync();
        using var admin = await ConsoleSession.SetUpAdminAsync(app, "admin", AdminPassword);
        foreach (var (name, role) in new[] { ("vera", Roles.Viewer), ("anna", Roles.Analyst) })
            using (var r = await admin.SendAsync(HttpMethod.Post, "/api/v1/users", new { name, role, password = name + " password 123" }))
                Assert.Equal(HttpStatusCode.Created, r.StatusCode);

        using var viewer = await ConsoleSession.SignInAsync(app, "vera", "vera password 123");
        using (var r = await viewer.Http.GetAsync("/api/v1/events")) Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        using (var r = await viewer.Http.GetAsync("/api/v1/users")) Assert.Equal(HttpStatusCode.Forbidden, r.StatusCode);
        using (var r = await viewer.SendAsync(HttpMethod.Post, "/api/v1/tokens", new { name = "mine", scopes = new[] { Scopes.EventsRead } }))
            Assert.Equal(HttpStatusCode.Forbidden, r.StatusCode);
        using (var r = await viewer.Http.GetAsync("/access.html")) Assert.Equal(HttpStatusCode.OK, r.StatusCode); // the page loads; its data does not

        using var analyst = await ConsoleSession.SignInAsync(app, "anna", "anna password 123");
        var scopes = JsonDocument.Parse(await analyst.Http.GetStringAsync("/api/v1/auth/session")).RootElement.GetProperty("scopes")
            .EnumerateArray().Select(s => s.GetString()).ToList();
        Assert.Contains(Scopes.AlertsWrite, scopes);
        Assert.DoesNotContain(Scopes.Admin, scopes);
        using (var r = await analyst.Http.GetAsync("/api/v1/audit")) Assert.Equal(HttpStatusCode.Forbidden, r.StatusCode);

        using (var r = await admin.SendAsync(HttpMethod.Patch, "/api/v1/users/vera", new { disabled = true })) Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        using (var r = await viewer.Http.GetAsync("/api/v1/events")) Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
        using (var r = await new ConsoleSession(app).LoginAsync("vera", "vera password 123"))
            Assert.Equal(HttpStatusCode.Forbidden, r.StatusCode); // account_disabled

        using (var r = await admin.SendAsync(HttpMethod.Patch, "/api/v1/users/admin", new { role = Roles.Viewer }))
        {
            Assert.Equal(HttpStatusCode.Conflict, r.StatusCode);
            Assert.Contains("last_admin", await r.Content.ReadAsStringAsync());
        }

        var actions = (await AuditAsync(app)).EnumerateArray().Select(e => e.GetProperty("action").GetString()).ToList();
        Assert.Contains("user.create", actions);
        Assert.Contains("user.change", actions);
    }

    [Fact]
    public async Task Changing_ones_password_signs_out_other_sessions_and_keeps_this_one()
    {
        await using var app = await ApplianceProcess.StartAsync();
        using var admin = await ConsoleSession.SetUpAdminAsync(app, "admin", AdminPassword);
        using var elsewhere = await ConsoleSession.SignInAsync(app, "admin", AdminPassword);

        using (var wrong = await admin.SendAsync(HttpMethod.Post, "/api/v1/auth/password", new { currentPassword = "not it at all", newPassword = "a brand new password" }))
            Assert.Equal(HttpStatusCode.Forbidden, wrong.StatusCode);
        using (var r = await admin.SendAsync(HttpMethod.Post, "/api/v1/auth/password", new { currentPassword = AdminPassword, newPassword = "a brand new password" }))
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        using (var r = await elsewhere.Http.GetAsync("/api/v1/auth/session")) Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
        using (var r = await admin.Http.GetAsync("/api/v1/auth/session")) Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        using (var old = await new ConsoleSession(app).LoginAsync("admin", AdminPassword)) Assert.Equal(HttpStatusCode.Unauthorized, old.StatusCode);
        using var fresh = await ConsoleSession.SignInAsync(app, "admin", "a brand new password");
    }

    [Fact]
    public async Task Tokens_and_passwords_never_appear_in_clear_in_the_log_the_audit_log_or_the_data_directory()
    {
        await using var app = await ApplianceProcess.StartAsync();
        using var admin = await ConsoleSession.SetUpAdminAsync(app, "admin", AdminPassword);
        var secrets = new List<string> { app.Token!, AdminPassword };
        foreach (var scope in new[] { Scopes.IngestWrite, Scopes.EventsRead })
        {
            using var r = await admin.SendAsync(HttpMethod.Post, "/api/v1/tokens", new { name = "agent " + scope, scopes = new[] { scope } });
            var token = JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.GetProperty("token").GetString()!;
            secrets.Add(token);
            using var client = app.NewClient(bearer: token);
            using var use = scope == Scopes.IngestWrite
                ? await client.PostAsync("/api/v1/ingest", new StringContent("{\"host\":\"h\",\"message\":\"m\"}\n"))
                : await client.GetAsync("/api/v1/events");
            Assert.True(use.IsSuccessStatusCode);
            using var wrongScope = await client.GetAsync("/api/v1/stats");
            Assert.Equal(HttpStatusCode.Forbidden, wrongScope.StatusCode);
        }
        // A bad token and a revoked one are logged and audited too: by id, never in full.
        using (var bad = app.NewClient(bearer: secrets[^1][..^4] + "AAAA")) { using var _ = await bad.GetAsync("/api/v1/events"); }
        var listed = (await app.GetJsonAsync("/api/v1/tokens")).GetProperty("tokens").EnumerateArray().ToList();
        Assert.All(listed, t => Assert.False(t.TryGetProperty("token", out _)));

        var audit = await app.Http.GetStringAsync("/api/v1/audit/export");
        Assert.Contains("\"action\":\"token.use\"", audit);
        Assert.Contains("\"action\":\"token.create\"", audit);
        Assert.Contains("\"action\":\"token.rejected\"", audit);
        Assert.Equal(0, await app.StopAsync());

        var disk = string.Concat(Directory.GetFiles(app.DataDir, "*", SearchOption.AllDirectories)
            .Where(f => !f.Contains(Path.Combine(app.DataDir, "events"), StringComparison.Ordinal))
            .Select(f => System.Text.Encoding.Latin1.GetString(File.ReadAllBytes(f))));
        foreach (var secret in secrets)
        {
            var hidden = secret.StartsWith("rdt_", StringComparison.Ordinal) ? secret[17..] : secret; // the id part is public
            Assert.DoesNotContain(hidden, app.Output);
            Assert.DoesNotContain(hidden, audit);
            Assert.DoesNotContain(hidden, disk);
        }
    }
}

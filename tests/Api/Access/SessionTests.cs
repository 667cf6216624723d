using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Redoubt.Api.Access;
using Redoubt.Tests.Support;

namespace Redoubt.Tests.Api.Access;

/// <summary>
/// Sign-in, lockout, roles and sessions on the shared secured appliance. Each test uses its own
/// users; the address-wide lockout (20 failures) stays far away: these tests fail 6 sign-ins in all.
/// </summary>
[Collection(SecuredApplianceCollection.Name)]
public sealed class SessionTests(SecuredAppliance fixture)
{
    private static async Task<JsonElement> AuditAsync(ApplianceProcess app) =>
        (await app.GetJsonAsync("/api/v1/audit?limit=1000")).GetProperty("entries");
    [Fact]
    public async Task Failed_sign_ins_lock_the_user_out_with_a_growing_delay_even_for_the_right_password()
    {
        var app = fixture.App;
        var admin = fixture.Admin;
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
        using var stillAdmin = await ConsoleSession.SignInAsync(app, "admin", SecuredAppliance.AdminPassword);

        var audit = await AuditAsync(app);
        Assert.Equal(5, audit.EnumerateArray().Count(e => e.GetProperty("action").GetString() == "login" && e.GetProperty("outcome").GetString() == "failed"
            && e.GetProperty("target").GetString() == "user:mallory"));
        Assert.Contains(audit.EnumerateArray(), e => e.GetProperty("action").GetString() == "login" && e.GetProperty("outcome").GetString() == "denied");
        Assert.DoesNotContain("guess number", (await app.Http.GetStringAsync("/api/v1/audit/export")) + app.Output);
    }

    [Fact]
    public async Task Roles_decide_what_a_signed_in_user_may_do_and_disabling_ends_their_session_at_once()
    {
        var app = fixture.App;
        var admin = fixture.Admin;
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
        var app = fixture.App;
        using (var r = await fixture.Admin.SendAsync(HttpMethod.Post, "/api/v1/users", new { name = "pat", role = Roles.Viewer, password = "pat's first password" }))
            Assert.Equal(HttpStatusCode.Created, r.StatusCode);
        using var pat = await ConsoleSession.SignInAsync(app, "pat", "pat's first password");
        using var elsewhere = await ConsoleSession.SignInAsync(app, "pat", "pat's first password");

        using (var wrong = await pat.SendAsync(HttpMethod.Post, "/api/v1/auth/password", new { currentPassword = "not it at all", newPassword = "a brand new password" }))
            Assert.Equal(HttpStatusCode.Forbidden, wrong.StatusCode);
        using (var r = await pat.SendAsync(HttpMethod.Post, "/api/v1/auth/password", new { currentPassword = "pat's first password", newPassword = "a brand new password" }))
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        using (var r = await elsewhere.Http.GetAsync("/api/v1/auth/session")) Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
        using (var r = await pat.Http.GetAsync("/api/v1/auth/session")) Assert.Equal(HttpStatusCode.OK, r.StatusCode); // on its new session
        using (var old = await new ConsoleSession(app).LoginAsync("pat", "pat's first password")) Assert.Equal(HttpStatusCode.Unauthorized, old.StatusCode);
        using var fresh = await ConsoleSession.SignInAsync(app, "pat", "a brand new password");
        var audit = (await app.GetJsonAsync("/api/v1/audit?action=password.change&actor=user:pat")).GetProperty("entries");
        Assert.Equal(["ok", "failed"], audit.EnumerateArray().Select(e => e.GetProperty("outcome").GetString()));
    }
}

using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Redoubt.Api.Access;
using Redoubt.Tests.Support;

namespace Redoubt.Tests.Api.Access;

/// <summary>
/// Sign-in, lockout, roles and sessions on the shared secured appliance. Each test uses its own
/// users; guessers sign in from their own loopback addresses, so the address-wide lockout (20 failures) never meets the others.
/// </summary>
[Collection(SecuredApplianceCollection.Name)]
public sealed class SessionTests(SecuredAppliance fixture)
{
    private static async Task<JsonElement> AuditAsync(ApplianceProcess app) =>
        (await app.GetJsonAsync("/api/v1/audit?limit=1000")).GetProperty("entries");
    // Guessers connect from their own loopback addresses (Linux routes all of 127/8 to lo), so the
    // other tests' sign-ins from 127.0.0.1 never meet their address-wide count.
    private static readonly IPAddress Guesser = IPAddress.Parse("127.0.0.2");

    [Fact]
    public async Task Failed_sign_ins_lock_the_user_out_from_that_address_even_for_the_right_password_but_not_from_another()
    {
        var app = fixture.App;
        var admin = fixture.Admin;
        using (var r = await admin.SendAsync(HttpMethod.Post, "/api/v1/users", new { name = "mallory", role = Roles.Viewer, password = "mallory's real password" }))
            Assert.Equal(HttpStatusCode.Created, r.StatusCode);

        using var guesser = new ConsoleSession(app, Guesser);
        for (var i = 1; i <= 5; i++)
        {
            using var r = await guesser.LoginAsync("mallory", $"guess number {i}");
            Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
            Assert.Contains("bad_credentials", await r.Content.ReadAsStringAsync());
        }
        using (var locked = await guesser.LoginAsync("mallory", "mallory's real password"))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, locked.StatusCode);
            var body = JsonDocument.Parse(await locked.Content.ReadAsStringAsync()).RootElement;
            Assert.Equal("locked_out", body.GetProperty("error").GetString());
            var retry = int.Parse(locked.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture);
            Assert.InRange(retry, 1, 30);
        }
        Assert.Empty(guesser.Cookies.GetAllCookies());

        // The review's denial of service: the guesser's failures locked the real user out everywhere.
        // From another address the right password still signs in.
        using (var real = await ConsoleSession.SignInAsync(app, "mallory", "mallory's real password"))
            Assert.Equal("mallory", JsonDocument.Parse(await real.Http.GetStringAsync("/api/v1/auth/session")).RootElement.GetProperty("name").GetString());
        // Another user from the guesser's address is not locked by mallory's count.
        using var otherUser = new ConsoleSession(app, Guesser);
        using (var r = await otherUser.LoginAsync("no-such-user-here", "some password or other")) Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);

        var audit = (await AuditAsync(app)).EnumerateArray().ToList();
        Assert.Equal(5, audit.Count(e => Is(e, "login", "failed", "user:mallory") && e.GetProperty("address").GetString() == "127.0.0.2"));
        Assert.Contains(audit, e => Is(e, "login", "denied", "user:mallory") && e.GetProperty("address").GetString() == "127.0.0.2");
        var lockEntry = Assert.Single(audit, e => Is(e, "login.throttle", "locked", "user:mallory"));
        Assert.Equal("too many failed attempts from 127.0.0.2: user:mallory may not sign in from it for 30 s (other addresses are not locked)",
            lockEntry.GetProperty("detail").GetString());
        Assert.Contains(audit, e => Is(e, "login", "ok", "user:mallory") && e.GetProperty("address").GetString() == "127.0.0.1");
        Assert.DoesNotContain("guess number", (await app.Http.GetStringAsync("/api/v1/audit/export")) + app.Output);
    }

    [Fact]
    public async Task Guesses_from_many_addresses_only_slow_the_user_down_and_the_real_user_still_signs_in()
    {
        var app = fixture.App;
        using (var r = await fixture.Admin.SendAsync(HttpMethod.Post, "/api/v1/users", new { name = "trent", role = Roles.Viewer, password = "trent's real password" }))
            Assert.Equal(HttpStatusCode.Created, r.StatusCode);

        // 12 addresses, one wrong guess each: no address reaches its own lock, the user-wide count does (10 free).
        for (var i = 0; i < 12; i++)
        {
            using var guesser = new ConsoleSession(app, IPAddress.Parse($"127.0.1.{10 + i}"));
            using var r = await guesser.LoginAsync("trent", $"distributed guess {i}");
            Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
        }
        using (var real = await ConsoleSession.SignInAsync(app, "trent", "trent's real password"))
            Assert.Equal("trent", JsonDocument.Parse(await real.Http.GetStringAsync("/api/v1/auth/session")).RootElement.GetProperty("name").GetString());

        var audit = (await AuditAsync(app)).EnumerateArray().ToList();
        Assert.DoesNotContain(audit, e => Is(e, "login.throttle", "locked", "user:trent"));
        Assert.DoesNotContain(audit, e => Is(e, "login", "denied", "user:trent"));
        var slowed = audit.Where(e => Is(e, "login.throttle", "slowed", "user:trent")).Select(e => e.GetProperty("detail").GetString()).Reverse().ToList();
        Assert.Equal([
            "11 failed attempts from all addresses: every attempt for user:trent is held 0.5 s (at most 4 s) before its password is checked",
            "12 failed attempts from all addresses: every attempt for user:trent is held 1 s (at most 4 s) before its password is checked",
        ], slowed);
        Assert.Equal("held 1 s by the user-wide backstop", Assert.Single(audit, e => Is(e, "login", "ok", "user:trent")).GetProperty("detail").GetString());
        Assert.Contains(audit, e => Is(e, "login", "failed", "user:trent") && e.GetProperty("detail").GetString() == "wrong password; held 0.5 s by the user-wide backstop");
    }

    private static bool Is(JsonElement e, string action, string outcome, string target) =>
        e.GetProperty("action").GetString() == action && e.GetProperty("outcome").GetString() == outcome && e.GetProperty("target").GetString() == target;

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

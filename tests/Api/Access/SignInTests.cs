using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Redoubt.Api.Access;
using Redoubt.Tests.Support;

namespace Redoubt.Tests.Api.Access;

/// <summary>First start and secrets at rest, each on a fresh appliance that the test stops.</summary>
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

using System.Net;
using System.Text.Json;
using Redoubt.Tests.Support;

namespace Redoubt.Tests.Cli;

/// <summary>`redoubt token …` and `redoubt admin reset-password`, run as real processes against a stopped appliance's data directory.</summary>
public sealed class AccessCommandsTests
{
    [Fact]
    public async Task Reset_password_on_the_box_replaces_a_lost_admin_password_and_ends_its_sessions()
    {
        var dir = Directory.CreateTempSubdirectory("redoubt-reset-").FullName;
        try
        {
            var (code, stdout, stderr) = await ApplianceProcess.RunCliWithInputAsync(dir, "whatever password\n", "admin", "reset-password", "--data", dir, "--password-stdin");
            Assert.Equal(1, code);
            Assert.Contains("no users yet", stderr);

            string oldCookie;
            await using (var app = await ApplianceProcess.StartAsync(dir))
            {
                using var admin = await ConsoleSession.SetUpAdminAsync(app, "root", "forgotten password 1");
                oldCookie = admin.Cookies.GetAllCookies().Single().Value;
                Assert.Equal(0, await app.StopAsync());
            }

            (code, _, stderr) = await ApplianceProcess.RunCliWithInputAsync(dir, "short\n", "admin", "reset-password", "--data", dir, "--password-stdin");
            Assert.Equal(1, code);
            Assert.Contains("at least 12", stderr);
            (code, _, stderr) = await ApplianceProcess.RunCliWithInputAsync(dir, "long enough password\n", "admin", "reset-password", "--data", dir, "--user", "nobody", "--password-stdin");
            Assert.Equal(1, code);
            Assert.Contains("no user named 'nobody'; users: root", stderr);

            (code, stdout, stderr) = await ApplianceProcess.RunCliWithInputAsync(dir, "remembered password 2\n", "admin", "reset-password", "--data", dir, "--password-stdin");
            Assert.True(code == 0, stdout + stderr);
            Assert.Contains("password of 'root' (admin) reset", stdout);
            Assert.Contains("1 session(s) ended", stdout);

            await using (var app = await ApplianceProcess.StartAsync(dir))
            {
                using (var old = await new ConsoleSession(app).LoginAsync("root", "forgotten password 1")) Assert.Equal(HttpStatusCode.Unauthorized, old.StatusCode);
                using var fresh = await ConsoleSession.SignInAsync(app, "root", "remembered password 2");

                var jar = new CookieContainer();
                jar.Add(app.BaseAddress, new Cookie("__Host-redoubt-session", oldCookie));
                using var replay = app.NewClient(cookies: jar);
                using (var r = await replay.GetAsync("/api/v1/auth/session")) Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);

                var audit = (await app.GetJsonAsync("/api/v1/audit?action=password.reset")).GetProperty("entries");
                var entry = Assert.Single(audit.EnumerateArray());
                Assert.StartsWith("cli:", entry.GetProperty("actor").GetString());
                Assert.Equal("user:root", entry.GetProperty("target").GetString());
            }
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public async Task A_token_made_on_the_box_works_for_its_scope_is_listed_live_and_stopped_and_once_revoked_fails_and_a_second_appliance_is_refused()
    {
        var dir = Directory.CreateTempSubdirectory("redoubt-tokens-").FullName;
        try
        {
            var agentToken = await ApplianceProcess.CreateTokenAsync(dir, "web1 agent", "ingest:write");
            var id = agentToken.Split('_')[1];
            await using (var app = await ApplianceProcess.StartAsync(dir))
            {
                using var agent = app.NewClient(bearer: agentToken);
                using (var r = await agent.PostAsync("/api/v1/ingest", new StringContent("{\"host\":\"web1\",\"message\":\"hello\"}\n")))
                    Assert.Equal(HttpStatusCode.OK, r.StatusCode);
                using (var r = await agent.GetAsync("/api/v1/events")) Assert.Equal(HttpStatusCode.Forbidden, r.StatusCode);

                // While it runs, admin commands go through its admin socket; a second appliance refuses the data directory.
                var (live, liveOut, liveErr) = await ApplianceProcess.RunCliAsync(dir, "token", "list", "--data", dir);
                Assert.True(live == 0, liveErr);
                Assert.Contains(id, liveOut);
                await using (var second = ApplianceProcess.Launch(dir, ApplianceProcess.FreePort(), ApplianceProcess.FreePort()))
                {
                    Assert.Equal(2, await second.WaitForExitAsync(TimeSpan.FromSeconds(60)));
                    Assert.Contains("is in use by another redoubt process", second.Output);
                }
                using (var r = await agent.PostAsync("/api/v1/ingest", new StringContent("{\"host\":\"web1\",\"message\":\"still here\"}\n")))
                    Assert.Equal(HttpStatusCode.OK, r.StatusCode);
                Assert.Equal(0, await app.StopAsync());
            }

            var (code, list, _) = await ApplianceProcess.RunCliAsync(dir, "token", "list", "--data", dir);
            Assert.Equal(0, code);
            var line = Assert.Single(list.Split('\n'), l => l.StartsWith(id, StringComparison.Ordinal));
            Assert.Contains("active", line);
            Assert.Contains("web1 agent", line);
            Assert.Contains("ingest:write", line);
            Assert.DoesNotContain("  -  ", line[..60]); // expiry and last use are filled in
            // The secret is everything after "rdt_ID_" (it is base64url, so it may hold '_' itself: Split('_')[2]
            // once gave "e", which the list contains).
            Assert.DoesNotContain(agentToken[(agentToken.IndexOf('_', 4) + 1)..], list);

            (code, var revoked, _) = await ApplianceProcess.RunCliAsync(dir, "token", "revoke", id, "--data", dir);
            Assert.Equal(0, code);
            Assert.Contains($"token {id} 'web1 agent' revoked", revoked);

            await using (var app = await ApplianceProcess.StartAsync(dir))
            {
                using var agent = app.NewClient(bearer: agentToken);
                using var r = await agent.PostAsync("/api/v1/ingest", new StringContent("{\"host\":\"web1\",\"message\":\"again\"}\n"));
                Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
                Assert.Equal("token_revoked", JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetString());
                var actions = (await app.GetJsonAsync("/api/v1/audit")).GetProperty("entries").EnumerateArray()
                    .Where(e => e.GetProperty("target").GetString() == "token:" + id).Select(e => e.GetProperty("action").GetString()).ToList();
                Assert.Equal(["token.rejected", "token.revoke", "token.use", "token.create"], actions);
            }
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Theory]
    [InlineData(2, "--scopes is required", "token", "create", "--name", "x")]
    [InlineData(1, "'events:write' is not a scope", "token", "create", "--name", "x", "--scopes", "events:write")]
    [InlineData(2, "--days must be 1 to 3650", "token", "create", "--name", "x", "--scopes", "admin", "--days", "0")]
    [InlineData(2, "unknown option --scope", "token", "create", "--name", "x", "--scope", "admin")]
    [InlineData(2, "unknown token command 'delete'", "token", "delete", "abc")]
    [InlineData(1, "no token with id 'abc'", "token", "revoke", "abc")]
    public async Task A_wrong_token_command_says_why_with_exit_code_1_or_2(int exit, string message, params string[] args)
    {
        var dir = Directory.CreateTempSubdirectory("redoubt-cli-").FullName;
        try
        {
            var (code, stdout, stderr) = await ApplianceProcess.RunCliAsync(dir, [.. args, "--data", dir]);
            Assert.True(code == exit, $"exit {code}: {stdout}{stderr}");
            Assert.Contains(message, stderr);
            Assert.Equal("", stdout);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}

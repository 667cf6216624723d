using System.Text.Json.Nodes;
using Redoubt.Hosting.Admin;

namespace Redoubt.Api.Access;

/// <summary>
/// Access administration as admin commands (see <see cref="AdminCommands"/>): the same code runs
/// inside the appliance (through the admin socket) and in the CLI against a stopped appliance's
/// data directory. Audited with the caller as actor ("cli:OSUSER").
/// </summary>
public static class AccessAdminCommands
{
    public static async Task<JsonNode?> CreateTokenAsync(AdminCall call)
    {
        var s = call.Services;
        var clock = s.GetRequiredService<TimeProvider>();
        var days = call.Int("days") ?? TokenEndpoints.DefaultDays;
        if (days is < 1 or > TokenEndpoints.MaxDays) throw new AdminException("invalid_expiry", $"days must be 1 to {TokenEndpoints.MaxDays}", 2);
        var (token, record) = await s.GetRequiredService<TokenStore>().CreateAsync(call.RequiredString("name"), call.Strings("scopes"),
            clock.GetUtcNow().AddDays(days), call.Actor, call.Cancellation);
        await s.GetRequiredService<AuditLog>().RecordAsync(call.Actor, "token.create", target: "token:" + record.Id,
            detail: $"'{record.Name}', scopes {string.Join(' ', record.Scopes)}, expires {AccessJson.Iso(record.ExpiresAtMs)}", ct: call.Cancellation);
        var json = Describe(record, clock);
        json["token"] = token;
        return json;
    }

    public static Task<JsonNode?> ListTokensAsync(AdminCall call)
    {
        var clock = call.Services.GetRequiredService<TimeProvider>();
        var list = new JsonArray();
        foreach (var t in call.Services.GetRequiredService<TokenStore>().List()) list.Add(Describe(t, clock));
        return Task.FromResult<JsonNode?>(new JsonObject { ["tokens"] = list });
    }

    public static async Task<JsonNode?> RevokeTokenAsync(AdminCall call)
    {
        var s = call.Services;
        var record = await s.GetRequiredService<TokenStore>().RevokeAsync(call.RequiredString("id"), call.Actor, call.Cancellation);
        await s.GetRequiredService<AuditLog>().RecordAsync(call.Actor, "token.revoke", target: "token:" + record.Id, detail: $"'{record.Name}'", ct: call.Cancellation);
        return Describe(record, s.GetRequiredService<TimeProvider>());
    }

    /// <summary>Sets the password (args: user or none for the only admin, password), enables the account, ends its sessions.</summary>
    public static async Task<JsonNode?> ResetPasswordAsync(AdminCall call)
    {
        var s = call.Services;
        var users = s.GetRequiredService<UserStore>();
        var user = PickUser(users, call.String("user"));
        var password = call.RequiredString("password");
        user = await users.SetPasswordAsync(user.Name, password, call.Cancellation);
        user = await users.UpdateAsync(user.Name, x => x.Disabled = false, call.Cancellation);
        var ended = await s.GetRequiredService<SessionStore>().DeleteAllOfAsync(user.Name, call.Cancellation);
        await s.GetRequiredService<AuditLog>().RecordAsync(call.Actor, "password.reset", target: "user:" + user.Name,
            detail: $"on the box; account enabled; {ended} session(s) ended", ct: call.Cancellation);
        return new JsonObject { ["user"] = user.Name, ["role"] = user.Role, ["sessionsEnded"] = ended };
    }

    /// <summary>The named user, or the only admin; refusals say what to do.</summary>
    public static UserRecord PickUser(UserStore users, string? name)
    {
        var all = users.List();
        if (all.Count == 0)
            throw new AdminException("no_users", "there are no users yet: start the appliance and create the admin with the setup code it prints");
        if (name is not null)
            return users.TryGet(name, out var u) ? u : throw new AdminException("no_such_user", $"no user named '{name}'; users: {string.Join(", ", all.Select(x => x.Name))}");
        var admins = all.Where(x => x.Role == Roles.Admin).ToList();
        return admins.Count == 1 ? admins[0]
            : throw new AdminException("which_user", $"name the user with --user (admins: {string.Join(", ", admins.Select(x => x.Name))})", 2);
    }

    private static JsonObject Describe(TokenRecord t, TimeProvider clock)
    {
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        var scopes = new JsonArray();
        foreach (var scope in t.Scopes) scopes.Add(scope);
        return new JsonObject
        {
            ["id"] = t.Id,
            ["name"] = t.Name,
            ["state"] = t.RevokedAtMs is not null ? "revoked" : t.ExpiresAtMs <= now ? "expired" : "active",
            ["scopes"] = scopes,
            ["expiresAt"] = AccessJson.Iso(t.ExpiresAtMs),
            ["lastUsedAt"] = AccessJson.Iso(t.LastUsedAtMs),
        };
    }
}

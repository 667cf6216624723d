using System.Text.Json.Nodes;

namespace Redoubt.Hosting.Admin;

/// <summary>
/// What an admin command gets: the services (the running appliance's, or the ones the CLI opened on
/// a stopped appliance's data directory), who asked (from the socket's peer credentials, or the
/// CLI's own user), and its arguments.
/// </summary>
public sealed record AdminCall(IServiceProvider Services, string Actor, JsonObject Args, CancellationToken Cancellation)
{
    public string? String(string name) => Args[name] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
    public string RequiredString(string name) => String(name) ?? throw new AdminException("bad_request", $"'{name}' is required", 2);
    public int? Int(string name) => Args[name] is JsonValue v && v.TryGetValue<int>(out var n) ? n : null;
    public IReadOnlyList<string> Strings(string name) =>
        Args[name] is JsonArray a ? a.Select(x => (string?)x ?? "").ToList() : [];
}

/// <summary>
/// One admin command. <see cref="Offline"/>: it can also run in the CLI's own process against a
/// stopped appliance's data directory (the services then come from <c>OfflineServices</c>); otherwise
/// it needs the running appliance (status, backup…).
/// </summary>
public sealed record AdminCommand(string Summary, bool Offline, Func<AdminCall, Task<JsonNode?>> Run);

/// <summary>
/// The command table of the admin socket: add a command as one entry. The CLI sends the same
/// names, so a command works through the socket and (when <see cref="AdminCommand.Offline"/>)
/// against the data directory with one implementation. Names are "area.verb".
/// </summary>
public static class AdminCommands
{
    public static readonly Dictionary<string, AdminCommand> Table = new(StringComparer.Ordinal)
    {
        ["status"] = new("what runs, its version, stores and listeners", Offline: false, StatusCommand.RunAsync),
        ["token.create"] = new("create an API token", Offline: true, Api.Access.AccessAdminCommands.CreateTokenAsync),
        ["token.list"] = new("list API tokens", Offline: true, Api.Access.AccessAdminCommands.ListTokensAsync),
        ["token.revoke"] = new("revoke an API token", Offline: true, Api.Access.AccessAdminCommands.RevokeTokenAsync),
        ["admin.reset-password"] = new("set a user's password, enable the account, end its sessions", Offline: true, Api.Access.AccessAdminCommands.ResetPasswordAsync),
        ["import.iocs"] = new("import an IOC list (CSV or STIX 2.1), replacing one of the same name", Offline: true, Detection.Iocs.IocAdminCommands.ImportAsync),
    };

    /// <summary>Runs a command; every refusal comes back as an <see cref="AdminException"/>.</summary>
    public static async Task<JsonNode?> RunAsync(string name, AdminCall call)
    {
        if (!Table.TryGetValue(name, out var command))
            throw new AdminException("unknown_command", $"no admin command '{name}' (known: {string.Join(", ", Table.Keys)})", 2);
        try
        {
            return await command.Run(call);
        }
        catch (Api.Access.AccessException e)
        {
            throw new AdminException(e.Code, e.Message);
        }
    }
}

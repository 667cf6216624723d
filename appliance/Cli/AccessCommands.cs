using System.Globalization;
using Redoubt.Api.Access;
using Redoubt.Configuration;
using Redoubt.Hosting;
using Redoubt.Storage;
using Redoubt.Storage.Checkpoints;
using Redoubt.Storage.State;

namespace Redoubt.Cli;

/// <summary>
/// `redoubt token …` and `redoubt admin …`: access administration on the box, against the data
/// directory of a STOPPED appliance (the state store is one process's at a time; the data
/// directory lock makes them refuse while it runs). What they do is audited with actor "cli:OSUSER".
/// </summary>
public static class AccessCommands
{
    public const string TokenUsage = """
        usage: redoubt token create --name NAME --scopes SCOPE[,SCOPE…] [--days N] [--data DIR]
               redoubt token list [--data DIR]
               redoubt token revoke ID [--data DIR]
        create prints the token on stdout (once: only its hash is kept) and what it is on stderr.
        scopes: summary:read alerts:read alerts:write events:read graph:read ingest:write imports:write admin (all of them)
        --days: lifetime, 1 to 3650 (default 90). Run these while the appliance is stopped.
        """;

    public const string AdminUsage = """
        usage: redoubt admin reset-password [--user NAME] [--password-stdin] [--data DIR]
        Sets a new password (asked twice on the terminal, or one line from stdin with --password-stdin),
        re-enables the account and ends its sessions. Without --user: the only admin.
        Run it while the appliance is stopped.
        """;

    public static Task<int> Token(string[] args) => Run(TokenUsage, async () =>
    {
        if (args.Length == 0) throw new UsageException("which token command?");
        var a = CliArgs.Parse(args[1..], ["--data", "--name", "--scopes", "--days"], []);
        // Only create may make the data directory: an installer makes the first agent token before the first start.
        await using var opened = Open(a.DataDir(), create: args[0] == "create");
        var state = opened.Store;
        var clock = TimeProvider.System;
        var tokens = new TokenStore(state, clock);
        var audit = new AuditLog(state, clock);
        switch (args[0])
        {
            case "create":
                {
                    var name = a["--name"] ?? throw new UsageException("--name is required (what or who will use the token)");
                    var scopes = (a["--scopes"] ?? throw new UsageException("--scopes is required"))
                        .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                    var days = a["--days"] is { } d
                        ? int.TryParse(d, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n is >= 1 and <= TokenEndpoints.MaxDays ? n
                            : throw new UsageException($"--days must be 1 to {TokenEndpoints.MaxDays}")
                        : TokenEndpoints.DefaultDays;
                    var (token, record) = await tokens.CreateAsync(name, scopes, clock.GetUtcNow().AddDays(days), Actor);
                    await audit.RecordAsync(Actor, "token.create", target: "token:" + record.Id,
                        detail: $"'{record.Name}', scopes {string.Join(' ', record.Scopes)}, expires {AccessJson.Iso(record.ExpiresAtMs)}");
                    System.Console.Out.WriteLine(token);
                    await System.Console.Error.WriteLineAsync(
                        $"token {record.Id} '{record.Name}' created: scopes {string.Join(' ', record.Scopes)}, expires {AccessJson.Iso(record.ExpiresAtMs)}. " +
                        "It is shown only now; send it as 'Authorization: Bearer TOKEN'.");
                    return 0;
                }
            case "list":
                {
                    var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
                    System.Console.Out.WriteLine($"{"ID",-12}  {"STATE",-7}  {"EXPIRES",-20}  {"LAST USED",-20}  {"NAME",-24}  SCOPES");
                    foreach (var t in tokens.List())
                    {
                        var stateText = t.RevokedAtMs is not null ? "revoked" : t.ExpiresAtMs <= now ? "expired" : "active";
                        System.Console.Out.WriteLine($"{t.Id,-12}  {stateText,-7}  {Short(t.ExpiresAtMs),-20}  {Short(t.LastUsedAtMs),-20}  {t.Name,-24}  {string.Join(',', t.Scopes)}");
                    }
                    return 0;
                }
            case "revoke":
                {
                    if (a.Positionals.Count != 1) throw new UsageException("name the token id to revoke (see `redoubt token list`)");
                    var record = await tokens.RevokeAsync(a.Positionals[0], Actor);
                    await audit.RecordAsync(Actor, "token.revoke", target: "token:" + record.Id, detail: $"'{record.Name}'");
                    System.Console.Out.WriteLine($"token {record.Id} '{record.Name}' revoked");
                    return 0;
                }
            default:
                throw new UsageException($"unknown token command '{args[0]}'");
        }
    });

    public static Task<int> Admin(string[] args) => Run(AdminUsage, async () =>
    {
        if (args.Length == 0 || args[0] != "reset-password") throw new UsageException(args.Length == 0 ? "which admin command?" : $"unknown admin command '{args[0]}'");
        var a = CliArgs.Parse(args[1..], ["--data", "--user"], ["--password-stdin"]);
        var dataDir = a.DataDir();
        await using var opened = Open(dataDir);
        var state = opened.Store;
        var clock = TimeProvider.System;
        var users = new UserStore(state, clock);
        var all = users.List();
        if (all.Count == 0)
            throw new AccessException(1, "no_users", "there are no users yet: start the appliance and create the admin with the setup code it prints");
        UserRecord user;
        if (a["--user"] is { } name)
            user = users.TryGet(name, out var u) ? u : throw new AccessException(1, "no_such_user", $"no user named '{name}'; users: {string.Join(", ", all.Select(x => x.Name))}");
        else
        {
            var admins = all.Where(x => x.Role == Roles.Admin).ToList();
            user = admins.Count == 1 ? admins[0]
                : throw new UsageException($"name the user with --user (admins: {string.Join(", ", admins.Select(x => x.Name))})");
        }

        var password = a.Has("--password-stdin") ? System.Console.In.ReadLine() ?? "" : Prompt(user.Name);
        user = await users.SetPasswordAsync(user.Name, password);
        user = await users.UpdateAsync(user.Name, x => x.Disabled = false);
        var ended = await new SessionStore(state, clock).DeleteAllOfAsync(user.Name);
        await new AuditLog(state, clock).RecordAsync(Actor, "password.reset", target: "user:" + user.Name, detail: $"on the box; account enabled; {ended} session(s) ended");
        System.Console.Out.WriteLine($"password of '{user.Name}' ({user.Role}) reset; the account is enabled; {ended} session(s) ended. Start the appliance and sign in.");
        return 0;
    });

    private static string Actor => "cli:" + Environment.UserName;

    /// <summary>The data directory's lock (refused while the appliance runs) and its state store; dispose both.</summary>
    private sealed class OpenedState(DataDirLock dataLock, StateStore store) : IAsyncDisposable
    {
        public StateStore Store => store;

        public async ValueTask DisposeAsync()
        {
            await store.DisposeAsync();
            dataLock.Dispose();
        }
    }

    private static OpenedState Open(string dataDir, bool create = false)
    {
        if (create) Directory.CreateDirectory(dataDir);
        if (!Directory.Exists(dataDir)) throw new AccessException(1, "no_data_dir", $"no data directory {dataDir} (use --data DIR)");
        DataDirLock dataLock;
        try
        {
            dataLock = DataDirLock.Acquire(dataDir, "admin command");
        }
        catch (StartupException e)
        {
            throw new AccessException(1, "appliance_running", e.Message);
        }
        try
        {
            return new OpenedState(dataLock, Program.OpenState(dataDir));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or StoreFormatException or StoreRecoveryException)
        {
            dataLock.Dispose();
            throw new AccessException(1, "state_unavailable", $"cannot open the state store in {dataDir}: {e.Message}");
        }
    }

    private static string Prompt(string user)
    {
        if (System.Console.IsInputRedirected) throw new UsageException("no terminal to ask for the password: use --password-stdin");
        var first = ReadHidden($"new password for {user}: ");
        if (PasswordHasher.Weakness(first) is { } weak) throw new AccessException(1, "weak_password", weak);
        if (ReadHidden("again: ") != first) throw new AccessException(1, "password_mismatch", "the two passwords differ; nothing changed");
        return first;
    }

    private static string ReadHidden(string prompt)
    {
        System.Console.Error.Write(prompt);
        var chars = new List<char>();
        while (true)
        {
            var key = System.Console.ReadKey(intercept: true);
            if (key.Key == ConsoleKey.Enter) break;
            if (key.Key == ConsoleKey.Backspace) { if (chars.Count > 0) chars.RemoveAt(chars.Count - 1); }
            else if (!char.IsControl(key.KeyChar)) chars.Add(key.KeyChar);
        }
        System.Console.Error.WriteLine();
        return new string(chars.ToArray());
    }

    private static string Short(long? ms) => ms is { } v ? DateTimeOffset.FromUnixTimeMilliseconds(v).ToString("yyyy-MM-dd HH:mm'Z'", CultureInfo.InvariantCulture) : "-";

    private static async Task<int> Run(string usage, Func<Task<int>> body)
    {
        try
        {
            return await body();
        }
        catch (UsageException e)
        {
            await System.Console.Error.WriteLineAsync($"redoubt: {e.Message}\n{usage}");
            return 2;
        }
        catch (AccessException e)
        {
            await System.Console.Error.WriteLineAsync("redoubt: " + e.Message);
            return 1;
        }
    }
}

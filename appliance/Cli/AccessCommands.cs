using System.Globalization;
using System.Text.Json.Nodes;
using Redoubt.Api.Access;
using Redoubt.Hosting.Admin;

namespace Redoubt.Cli;

/// <summary>
/// `redoubt token …` and `redoubt admin …`: access administration on the box. Through the admin
/// socket while the appliance runs, else on the stopped appliance's data directory (see
/// <see cref="AdminChannel"/>); the work itself is <see cref="AccessAdminCommands"/> either way.
/// Audited with actor "cli:OSUSER".
/// </summary>
public static class AccessCommands
{
    public const string TokenUsage = """
        usage: redoubt token create --name NAME --scopes SCOPE[,SCOPE…] [--days N] [--data DIR]
               redoubt token list [--data DIR]
               redoubt token revoke ID [--data DIR]
        create prints the token on stdout (once: only its hash is kept) and what it is on stderr.
        scopes: summary:read alerts:read alerts:write events:read graph:read ingest:write imports:write admin (all of them)
        --days: lifetime, 1 to 3650 (default 90).
        Works with the appliance running (through its admin socket, DATA/admin.sock: run as root or
        the service user) or stopped (on the data directory; create may make it, for an installer).
        """;

    public const string AdminUsage = """
        usage: redoubt admin reset-password [--user NAME] [--password-stdin] [--data DIR]
        Sets a new password (asked twice on the terminal, or one line from stdin with --password-stdin),
        re-enables the account and ends its sessions. Without --user: the only admin.
        Works with the appliance running (admin socket) or stopped (data directory).
        """;

    public static Task<int> Token(string[] args) => Run(TokenUsage, args, async () =>
    {
        if (args.Length == 0) throw new UsageException("which token command?");
        var a = CliArgs.Parse(args[1..], ["--data", "--name", "--scopes", "--days"], []);
        switch (args[0])
        {
            case "create":
                {
                    var name = a["--name"] ?? throw new UsageException("--name is required (what or who will use the token)");
                    var scopes = new JsonArray();
                    foreach (var s in (a["--scopes"] ?? throw new UsageException("--scopes is required"))
                        .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)) scopes.Add(s);
                    var request = new JsonObject { ["name"] = name, ["scopes"] = scopes };
                    if (a["--days"] is { } d)
                        request["days"] = int.TryParse(d, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n is >= 1 and <= TokenEndpoints.MaxDays ? n
                            : throw new UsageException($"--days must be 1 to {TokenEndpoints.MaxDays}");
                    // Only create may make the data directory: an installer makes the first agent token before the first start.
                    var t = Expect(await AdminChannel.RunAsync(a.Options(), "token.create", request, createDataDir: true));
                    System.Console.Out.WriteLine((string?)t["token"]);
                    await System.Console.Error.WriteLineAsync(
                        $"token {t["id"]} '{t["name"]}' created: scopes {Scopes(t)}, expires {t["expiresAt"]}. " +
                        "It is shown only now; send it as 'Authorization: Bearer TOKEN'.");
                    return 0;
                }
            case "list":
                {
                    var list = Expect(await AdminChannel.RunAsync(a.Options(), "token.list", []));
                    System.Console.Out.WriteLine($"{"ID",-12}  {"STATE",-7}  {"EXPIRES",-20}  {"LAST USED",-20}  {"NAME",-24}  SCOPES");
                    foreach (var t in list["tokens"]!.AsArray())
                        System.Console.Out.WriteLine($"{t!["id"],-12}  {t["state"],-7}  {Short(t["expiresAt"]),-20}  {Short(t["lastUsedAt"]),-20}  {t["name"],-24}  {Scopes(t).Replace(' ', ',')}");
                    return 0;
                }
            case "revoke":
                {
                    if (a.Positionals.Count != 1) throw new UsageException("name the token id to revoke (see `redoubt token list`)");
                    var t = Expect(await AdminChannel.RunAsync(a.Options(), "token.revoke", new JsonObject { ["id"] = a.Positionals[0] }));
                    System.Console.Out.WriteLine($"token {t["id"]} '{t["name"]}' revoked");
                    return 0;
                }
            default:
                throw new UsageException($"unknown token command '{args[0]}'");
        }
    });

    public static Task<int> Admin(string[] args) => Run(AdminUsage, args, async () =>
    {
        if (args.Length == 0 || args[0] != "reset-password") throw new UsageException(args.Length == 0 ? "which admin command?" : $"unknown admin command '{args[0]}'");
        var a = CliArgs.Parse(args[1..], ["--data", "--user"], ["--password-stdin"]);
        var password = a.Has("--password-stdin") ? System.Console.In.ReadLine() ?? "" : Prompt(a["--user"] ?? "the admin");
        var request = new JsonObject { ["password"] = password };
        if (a["--user"] is { } user) request["user"] = user;
        var r = Expect(await AdminChannel.RunAsync(a.Options(), "admin.reset-password", request));
        System.Console.Out.WriteLine($"password of '{r["user"]}' ({r["role"]}) reset; the account is enabled; {r["sessionsEnded"]} session(s) ended. Sign in with it.");
        return 0;
    });

    /// <summary>The reply's result, or the refusal as an exception carrying its exit code.</summary>
    internal static JsonNode Expect(AdminReply reply) =>
        reply.Ok ? reply.Result ?? new JsonObject() : throw new AdminException(reply.Error ?? "failed", reply.Message ?? "failed", reply.ExitCode);

    private static string Scopes(JsonNode t) => string.Join(' ', t["scopes"]!.AsArray().Select(s => (string?)s));

    private static string Prompt(string user)
    {
        if (System.Console.IsInputRedirected) throw new UsageException("no terminal to ask for the password: use --password-stdin");
        var first = ReadHidden($"new password for {user}: ");
        if (PasswordHasher.Weakness(first) is { } weak) throw new AdminException("weak_password", weak);
        if (ReadHidden("again: ") != first) throw new AdminException("password_mismatch", "the two passwords differ; nothing changed");
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

    private static string Short(JsonNode? iso) =>
        (string?)iso is { } s && DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t)
            ? t.UtcDateTime.ToString("yyyy-MM-dd HH:mm'Z'", CultureInfo.InvariantCulture) : "-";

    internal static async Task<int> Run(string usage, string[] args, Func<Task<int>> body)
    {
        if (args.Any(a => a is "-h" or "--help"))
        {
            System.Console.Out.WriteLine(usage);
            return 0;
        }
        try
        {
            return await body();
        }
        catch (UsageException e)
        {
            await System.Console.Error.WriteLineAsync($"redoubt: {e.Message}\n{usage}");
            return 2;
        }
        catch (AdminException e)
        {
            await System.Console.Error.WriteLineAsync("redoubt: " + e.Message + (e.ExitCode == 2 ? "\n" + usage : ""));
            return e.ExitCode;
        }
    }
}

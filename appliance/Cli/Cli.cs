using System.Reflection;

namespace Redoubt.Cli;

/// <summary>
/// `redoubt COMMAND [args]`: the same binary runs the appliance (`run`, the default) and the admin
/// commands. A command is one entry in <see cref="Commands"/>; each returns its exit code
/// (0 ok, 1 failed, 2 usage or start-up error, 3 the running appliance was needed and none answers).
/// Commands that act on a running appliance go through its admin socket: add the server side as one
/// entry of <see cref="Hosting.Admin.AdminCommands.Table"/> and call it with <see cref="AdminChannel"/>.
/// </summary>
public static class Cli
{
    public sealed record Command(string Summary, Func<string[], Task<int>> Run);

    public static readonly Dictionary<string, Command> Commands = new(StringComparer.Ordinal)
    {
        ["run"] = new("run the appliance (the default when no command is given)", Program.RunAsync),
        ["status"] = new("what the running appliance is doing (admin socket)", StatusCommands.Status),
        ["token"] = new("create, list or revoke API tokens", AccessCommands.Token),
        ["admin"] = new("admin reset-password: recover the console's admin account", AccessCommands.Admin),
        ["backup"] = new("online backup of every store, from the running appliance, into a file (HTTPS API, token)", StoreCommands.BackupAsync),
        ["restore"] = new("restore a backup file into an empty data directory (appliance stopped)", StoreCommands.RestoreAsync),
        ["export"] = new("export events of a time range as NDJSON, from the running appliance (HTTPS API, token)", StoreCommands.ExportAsync),
        // Inventories go to the running appliance over HTTPS; IOC lists also work on a stopped data dir.
        ["import"] = new("import KIND FILE: an inventory (assets, identities, vulnerabilities, reachability, datastores; CSV or JSON) "
                         + "to the running appliance, or import iocs FILE --list NAME: an IOC list (CSV or STIX 2.1)",
            args => args is ["iocs", ..] ? ImportCommands.Import(args) : ImportCommand.RunAsync(args)),
        ["version"] = new("print the version (and the VM image's)", StatusCommands.Version),
        ["logsources"] = new("print the shipped log-source map (copy it to /etc/redoubt/logsources.yaml to change it)",
            _ => { System.Console.Write(Detection.LogSources.LogSourceMap.EmbeddedText()); return Task.FromResult(0); }),
        ["extraction"] = new("extraction show [FILE] | check DIR: print the shipped graph extraction rules, or check a rules folder", ExtractionCommand.RunAsync),
        ["check-rules"] = new("check-rules DIR...: load Sigma rules as the appliance would and list every load error", Detection.RuleCheck.RunAsync),
    };

    public static string Version =>
        typeof(Cli).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";

    public static async Task<int> DispatchAsync(string[] args)
    {
        if (args.Length > 0 && args[0] is "-h" or "--help" or "help")
        {
            System.Console.WriteLine(Usage());
            return 0;
        }
        // No command, or flags first: run the appliance (keeps `redoubt --data DIR` working).
        if (args.Length == 0 || args[0].StartsWith('-')) return await Program.RunAsync(args);
        if (Commands.TryGetValue(args[0], out var command)) return await command.Run(args[1..]);
        await System.Console.Error.WriteLineAsync($"redoubt: unknown command '{args[0]}'\n{Usage()}");
        return 2;
    }

    public static string Usage() =>
        "usage: redoubt [COMMAND] [options]\ncommands:\n" +
        string.Join('\n', Commands.Select(c => $"  {c.Key,-10} {c.Value.Summary}")) +
        "\n\nredoubt run --help lists the appliance's options; redoubt COMMAND --help a command's." +
        "\nexit codes: 0 ok, 1 failed, 2 usage or start-up error, 3 the appliance is not running.";
}

using System.Reflection;

namespace Redoubt.Cli;

/// <summary>
/// `redoubt COMMAND [args]`: the same binary runs the appliance (`run`, the default) and the admin
/// commands. A command is one entry in <see cref="Commands"/>; each returns its exit code
/// (0 ok, 1 failed, 2 usage or start-up error).
/// </summary>
public static class Cli
{
    public sealed record Command(string Summary, Func<string[], Task<int>> Run);

    public static readonly Dictionary<string, Command> Commands = new(StringComparer.Ordinal)
    {
        ["run"] = new("run the appliance (the default when no command is given)", Program.RunAsync),
        ["backup"] = new("online backup of every store, from the running appliance, into a file", StoreCommands.BackupAsync),
        ["restore"] = new("restore a backup file into an empty data directory", StoreCommands.RestoreAsync),
        ["export"] = new("export events of a time range as NDJSON, from the running appliance", StoreCommands.ExportAsync),
        ["token"] = new("create, list or revoke API tokens (appliance stopped)", AccessCommands.Token),
        ["admin"] = new("admin reset-password: recover the console's admin account (appliance stopped)", AccessCommands.Admin),
        ["version"] = new("print the version", _ => { System.Console.WriteLine(Version); return Task.FromResult(0); }),
        ["logsources"] = new("print the shipped log-source map (copy it to /etc/redoubt/logsources.yaml to change it)",
            _ => { System.Console.Write(Detection.LogSources.LogSourceMap.EmbeddedText()); return Task.FromResult(0); }),
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
        "\n\nredoubt run --help lists the appliance's options.";
}

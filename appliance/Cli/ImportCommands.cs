using System.Text.Json.Nodes;
using Redoubt.Detection.Iocs;

namespace Redoubt.Cli;

/// <summary>
/// `redoubt import KIND FILE`: loads a file into the appliance, through its admin socket while it
/// runs, else on the stopped appliance's data directory (<see cref="AdminChannel"/>). Kinds today:
/// iocs. Events are not imported here: they enter through the listeners and POST /api/v1/ingest,
/// where each is acknowledged once durable.
/// </summary>
public static class ImportCommands
{
    public const string Usage = """
        usage: redoubt import iocs FILE --list NAME [--format csv|stix] [--data DIR]
        Imports an IOC list (CSV with columns type,value[,source,expiry], or a STIX 2.1 bundle), replacing
        a list of the same name; prints what was imported and every indicator that was not.
        --format: default from the file name (.json = stix, else csv).
        Works with the appliance running (admin socket: run as root or the service user) or stopped.
        Exit code 0: imported (some indicators may have been refused, listed), 1: nothing imported.
        """;

    public static Task<int> Import(string[] args) => AccessCommands.Run(Usage, args, async () =>
    {
        if (args.Length == 0) throw new UsageException("which kind of import?");
        if (args[0] != "iocs") throw new UsageException($"unknown import kind '{args[0]}' (known: iocs)");
        var a = CliArgs.Parse(args[1..], ["--data", "--list", "--format"], []);
        if (a.Positionals.Count != 1) throw new UsageException("name the one file to import");
        var file = a.Positionals[0];
        var list = a["--list"] ?? throw new UsageException("--list NAME is required (importing under an existing name replaces that list)");
        var format = a["--format"]?.ToLowerInvariant() ?? (file.EndsWith(".json", StringComparison.OrdinalIgnoreCase) ? "stix" : "csv");
        if (format is not ("csv" or "stix")) throw new UsageException("--format is csv or stix");
        byte[] bytes;
        try
        {
            if (new FileInfo(file).Length > IocEndpoints.MaxImportBytes)
                throw new Hosting.Admin.AdminException("too_large", $"{file}: an IOC import is at most {IocEndpoints.MaxImportBytes} bytes");
            bytes = await File.ReadAllBytesAsync(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new Hosting.Admin.AdminException("unreadable_file", $"cannot read {file}: {e.Message}");
        }
        var request = new JsonObject { ["list"] = list, ["format"] = format, ["content"] = Convert.ToBase64String(bytes) };
        var r = AccessCommands.Expect(await AdminChannel.RunAsync(a.Options(), "import.iocs", request));
        System.Console.Out.WriteLine($"list '{r["list"]}': {r["imported"]} indicators imported, {r["notImported"]} not imported");
        foreach (var e in r["errors"]!.AsArray())
            System.Console.Out.WriteLine($"  {e!["where"]}: {e["code"]}: {e["message"]}");
        return 0;
    });
}

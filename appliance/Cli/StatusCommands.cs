using System.Text.Json;
using System.Text.Json.Nodes;
using Redoubt.Hosting.Admin;

namespace Redoubt.Cli;

/// <summary>`redoubt status` (the running appliance, through its admin socket) and `redoubt version`.</summary>
public static class StatusCommands
{
    public const string StatusUsage = """
        usage: redoubt status [--data DIR] [--json]
        Asks the running appliance (admin socket DATA/admin.sock; root or the service user) what runs.
        Exit code 0: running and healthy, 1: running but its event log failed, 3: not running.
        """;

    public static Task<int> Status(string[] args) => AccessCommands.Run(StatusUsage, args, async () =>
    {
        var a = CliArgs.Parse(args, ["--data"], ["--json"]);
        if (a.Positionals.Count > 0) throw new UsageException($"unexpected '{a.Positionals[0]}'");
        var s = AccessCommands.Expect(await AdminChannel.RunAsync(a.Options(), "status", []));
        if (a.Has("--json"))
            System.Console.Out.WriteLine(s.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        else
            System.Console.Out.Write(Describe(s));
        return (bool?)s["healthy"] == true ? 0 : 1;
    });

    public static Task<int> Version(string[] args)
    {
        var info = SystemInfo.Current();
        System.Console.Out.WriteLine("redoubt " + info.Version);
        if (info.ImageVersion is { } image) System.Console.Out.WriteLine("image " + image);
        return Task.FromResult(0);
    }

    private static string Describe(JsonNode s)
    {
        var w = new StringWriter();
        w.WriteLine($"redoubt {s["version"]} running (pid {s["pid"]}, since {s["startedAt"]})");
        if ((string?)s["imageVersion"] is { } image) w.WriteLine($"image       {image}");
        w.WriteLine($"data        {s["dataDir"]}");
        w.WriteLine($"event log   {s["eventLog"]}, {s["events"]} events");
        w.WriteLine($"console     https://{s["http"]}/" + ((bool?)s["setupPending"] == true ? "  (setup pending: the setup code is in the log and on the VM console)" : ""));
        foreach (var l in s["listeners"]!.AsArray())
            w.WriteLine($"listener    {l!["name"]} {l["transport"]} {l["bind"]}: {l["status"]}, {l["received"]} received");
        w.WriteLine(s["watchdog"] is JsonObject wd
            ? $"watchdog    ping every {wd["intervalSeconds"]} s, last {wd["lastPing"] ?? "not yet"}"
            : "watchdog    off (not run by systemd with WatchdogSec)");
        return w.ToString();
    }
}

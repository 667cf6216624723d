using System.Globalization;
using Redoubt.Configuration;

namespace Redoubt.Demo;

/// <summary>Configuration section "Demo": set by `redoubt run --demo`, not by hand.</summary>
public sealed class DemoOptions
{
    /// <summary>Seed the demo site once the appliance is up (DemoSeeder).</summary>
    public bool Enabled { get; set; }
}

/// <summary>
/// `redoubt run --demo`: the appliance on a fresh data directory (a new one under the temp folder unless
/// --data names one, which must hold no events: the demo never mixes into a real site's data), with the
/// demo's Sigma rules unless --rules names others, and the demo site seeded once it is up.
/// </summary>
public static class DemoMode
{
    public const string Flag = "--demo";

    /// <summary>The appliance's arguments with --demo turned into settings; unchanged without --demo.</summary>
    public static string[] Prepare(string[] args, DateTimeOffset now)
    {
        if (!args.Contains(Flag)) return args;
        var rest = args.Where(a => a != Flag).ToList();
        var dataAt = rest.IndexOf("--data");
        string data;
        if (dataAt >= 0 && dataAt + 1 < rest.Count)
        {
            data = Path.GetFullPath(rest[dataAt + 1]);
            var events = Path.Combine(data, "events");
            if (Directory.Exists(events) && Directory.EnumerateFileSystemEntries(events).Any())
                throw new StartupException($"--demo seeds a fresh data directory, and {data} already holds events: name an empty one, or leave --data out for a new one");
        }
        else
        {
            data = Path.Combine(Path.GetTempPath(), "redoubt-demo-" + now.UtcDateTime.ToString("yyyyMMdd'T'HHmmss", CultureInfo.InvariantCulture));
            rest.AddRange(["--data", data]);
        }
        if (!rest.Contains("--rules") && !rest.Any(a => a.StartsWith("--Detection:Rules=", StringComparison.Ordinal)))
        {
            var rules = Path.Combine(data, "demo", "rules");
            Directory.CreateDirectory(rules);
            File.WriteAllText(Path.Combine(rules, "demo-ssh.yml"), DemoSite.Rules);
            rest.AddRange(["--rules", rules]);
        }
        rest.Add("--Demo:Enabled=true");
        return [.. rest];
    }
}

using Redoubt.Configuration;

namespace Redoubt.Cli;

/// <summary>
/// Arguments of an admin command: "--name value" options, "--flag" switches and positionals.
/// Unknown options are usage errors, so a typo never silently does something else.
/// </summary>
public sealed class CliArgs
{
    private readonly Dictionary<string, string> _options = new(StringComparer.Ordinal);
    private readonly HashSet<string> _flags = new(StringComparer.Ordinal);
    public List<string> Positionals { get; } = [];

    /// <summary>
    /// Why a --url is refused, or null: the appliance serves HTTPS only, and over http:// the bearer token
    /// and the data would cross the network in clear (to whatever answers there).
    /// </summary>
    public static string? NotHttps(string? url) =>
        url is null || url.StartsWith("https://", StringComparison.OrdinalIgnoreCase) ? null
            : $"--url {url}: only https:// URLs (the appliance serves HTTPS only; over http:// the token would be sent in clear)";

    public static CliArgs Parse(string[] args, string[] options, string[] flags)
    {
        var parsed = new CliArgs();
        for (var i = 0; i < args.Length; i++)
        {
            var a = args[i];
            if (a.StartsWith("--", StringComparison.Ordinal))
            {
                var (name, inline) = a.IndexOf('=') is var eq and > 0 ? (a[..eq], a[(eq + 1)..]) : (a, null);
                if (flags.Contains(name) && inline is null) parsed._flags.Add(name);
                else if (options.Contains(name))
                {
                    var value = inline ?? (i + 1 < args.Length ? args[++i] : throw new UsageException($"{name} needs a value"));
                    parsed._options[name] = value;
                }
                else throw new UsageException($"unknown option {name}");
            }
            else parsed.Positionals.Add(a);
        }
        return parsed;
    }

    public string? this[string option] => _options.GetValueOrDefault(option);
    public bool Has(string flag) => _flags.Contains(flag);

    /// <summary>--data, or the DataDir the appliance itself would use (appsettings, /etc/redoubt, REDOUBT__DATADIR).</summary>
    public string DataDir() => Options().DataDir;

    /// <summary>The settings the appliance itself would read (appsettings, /etc/redoubt, REDOUBT__…), with --data applied.</summary>
    public RedoubtOptions Options()
    {
        var options = ApplianceSettings();
        if (this["--data"] is { } dir) options.DataDir = dir;
        options.DataDir = Path.GetFullPath(options.DataDir);
        return options;
    }

    /// <summary>The settings the appliance itself would read (appsettings, /etc/redoubt, REDOUBT__…), nothing applied.</summary>
    public static RedoubtOptions ApplianceSettings()
    {
        var config = new ConfigurationManager();
        Program.LoadConfiguration(config, []);
        return config.Get<RedoubtOptions>() ?? new RedoubtOptions();
    }
}

public sealed class UsageException(string message) : Exception(message);

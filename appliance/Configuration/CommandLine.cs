namespace Redoubt.Configuration;

/// <summary>Command-line flags and the configuration keys they set.</summary>
public static class CommandLine
{
    public static readonly Dictionary<string, string> Switches = new(StringComparer.Ordinal)
    {
        ["--data"] = "DataDir",
        ["--http"] = "Http",
        ["--syslog"] = "Syslog:Bind",
        ["--syslog-tls"] = "SyslogTls:Bind",
        ["--relp"] = "Relp:Bind",
        ["--forward"] = "Forward:Bind",
        ["--tz"] = "Syslog:TimeZone",
        ["--rules"] = "Detection:Rules",
    };

    /// <summary>Configuration sections outside <see cref="RedoubtOptions"/> that a --Section:Key=value flag may set.</summary>
    private static readonly string[] OtherSections = ["Logging", "Detection"];

    /// <summary>
    /// Why <paramref name="args"/> are not the appliance's (null when they are): every flag is one of
    /// <see cref="Switches"/>, --demo, or a configuration key whose first segment is a known section, and
    /// every flag that takes a value has one. Without this check the configuration binder ignores
    /// `--bogus` and the appliance starts as if the operator had not typed it.
    /// </summary>
    public static string? Check(IReadOnlyList<string> args)
    {
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (arg == Demo.DemoMode.Flag) continue;
            if (!arg.StartsWith("--", StringComparison.Ordinal) || arg.Length == 2)
                return $"unexpected argument '{arg}' (options start with --; commands come first: redoubt --help)";
            var eq = arg.IndexOf('=');
            var name = eq > 0 ? arg[..eq] : arg;
            if (!Switches.ContainsKey(name))
            {
                var section = name[2..].Split(':')[0];
                if (!KnownSection(section))
                    return $"unknown option {name} (redoubt run --help lists the options; settings are --Section:Key=value)";
            }
            if (eq > 0) continue;
            if (i + 1 >= args.Count || args[i + 1].StartsWith("--", StringComparison.Ordinal))
                return $"{name} needs a value";
            i++;
        }
        return null;
    }

    private static bool KnownSection(string section) =>
        Array.Exists(OtherSections, s => s.Equals(section, StringComparison.OrdinalIgnoreCase))
        || typeof(RedoubtOptions).GetProperty(section,
            System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.IgnoreCase) is not null;

    public const string Usage = """
        usage: redoubt [--data DIR] [--http ADDR:PORT] [--syslog ADDR:PORT] [--syslog-tls ADDR:PORT] [--relp ADDR:PORT]
                       [--forward ADDR:PORT] [--tz ZONE] [--rules DIR] [--demo] [--Key:Sub=value ...]
          --data DIR              where events are stored (default ./var)
          --http ADDR:PORT        console and API over HTTPS (default 127.0.0.1:8443)
          --syslog ADDR:PORT      syslog over UDP and TCP, same port (default 127.0.0.1:5514)
          --syslog-tls ADDR:PORT  syslog over TLS, RFC 5425 (default 127.0.0.1:6514)
          --relp ADDR:PORT        RELP, as rsyslog's omrelp sends it (default 127.0.0.1:2514)
          --forward ADDR:PORT     Fluent forward protocol over TCP (default 127.0.0.1:24224)
          --tz ZONE               time zone of RFC 3164 timestamps (default UTC)
          --rules DIR             Sigma rules folder, read recursively (default /etc/redoubt/rules when it exists)
          --demo                  a fresh data directory (a new one in the temp folder unless --data names an empty one)
                                  seeded with the demo site: inventory, then an intrusion sent through the syslog listener
        A listener is switched off with --Syslog:Enabled=false, --SyslogTls:Enabled=false, --Relp:Enabled=false or --Forward:Enabled=false.
        Settings are read from appsettings.json, /etc/redoubt/*.json, REDOUBT__KEY environment variables, then flags.
        """;
}

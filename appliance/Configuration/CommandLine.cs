namespace Redoubt.Configuration;

/// <summary>Command-line flags and the configuration keys they set.</summary>
public static class CommandLine
{
    public static readonly Dictionary<string, string> Switches = new(StringComparer.Ordinal)
    {
        ["--data"] = "DataDir",
        ["--http"] = "Http",
        ["--syslog"] = "Syslog:Bind",
        ["--tz"] = "Syslog:TimeZone",
        ["--rules"] = "Detection:Rules",
    };

    public const string Usage = """
        usage: redoubt [--data DIR] [--http ADDR:PORT] [--syslog ADDR:PORT] [--tz ZONE] [--rules DIR] [--Key:Sub=value ...]
          --data DIR          where events are stored (default ./var)
          --http ADDR:PORT    console and API (default 127.0.0.1:8080)
          --syslog ADDR:PORT  syslog over UDP and TCP, same port (default 127.0.0.1:5514)
          --tz ZONE           time zone of RFC 3164 timestamps (default UTC)
          --rules DIR         Sigma rules folder, read recursively (default /etc/redoubt/rules when it exists)
        Settings are read from appsettings.json, /etc/redoubt/*.json, REDOUBT__KEY environment variables, then flags.
        """;
}

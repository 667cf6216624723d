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

    public const string Usage = """
        usage: redoubt [--data DIR] [--http ADDR:PORT] [--syslog ADDR:PORT] [--syslog-tls ADDR:PORT] [--relp ADDR:PORT]
                       [--forward ADDR:PORT] [--tz ZONE] [--rules DIR] [--Key:Sub=value ...]
          --data DIR              where events are stored (default ./var)
          --http ADDR:PORT        console and API over HTTPS (default 127.0.0.1:8443)
          --syslog ADDR:PORT      syslog over UDP and TCP, same port (default 127.0.0.1:5514)
          --syslog-tls ADDR:PORT  syslog over TLS, RFC 5425 (default 127.0.0.1:6514)
          --relp ADDR:PORT        RELP, as rsyslog's omrelp sends it (default 127.0.0.1:2514)
          --forward ADDR:PORT     Fluent forward protocol over TCP (default 127.0.0.1:24224)
          --tz ZONE               time zone of RFC 3164 timestamps (default UTC)
          --rules DIR             Sigma rules folder, read recursively (default /etc/redoubt/rules when it exists)
        A listener is switched off with --Syslog:Enabled=false, --SyslogTls:Enabled=false, --Relp:Enabled=false or --Forward:Enabled=false.
        Settings are read from appsettings.json, /etc/redoubt/*.json, REDOUBT__KEY environment variables, then flags.
        """;
}

using System.Net;

namespace Redoubt.Configuration;

/// <summary>
/// The appliance's settings. Read, in order, from appsettings.json, /etc/redoubt/*.json,
/// environment variables REDOUBT__KEY (REDOUBT__SYSLOG__BIND=…), and the command line.
/// Defaults are a safe dev run: data in ./var, loopback-only unprivileged ports.
/// </summary>
public sealed class RedoubtOptions
{
    public string DataDir { get; set; } = "var";
    /// <summary>Console and API listener, "ADDR:PORT". Always HTTPS (see <see cref="Tls"/>).</summary>
    public string Http { get; set; } = "127.0.0.1:8443";
    public TlsOptions Tls { get; set; } = new();
    public Redoubt.Api.Access.AccessOptions Access { get; set; } = new();
    public SyslogOptions Syslog { get; set; } = new();
    public SyslogTlsOptions SyslogTls { get; set; } = new();
    public RelpOptions Relp { get; set; } = new();
    /// <summary>Further listeners beyond the three above (another port, other tags or sender networks).</summary>
    public List<ListenerOptions> Listeners { get; set; } = [];
    public IngestOptions Ingest { get; set; } = new();
    public GraphOptions Graph { get; set; } = new();
}

public sealed class GraphOptions
{
    /// <summary>The graph store is checkpointed this long after the first event not yet covered (and at shutdown).</summary>
    public int CheckpointSeconds { get; set; } = 60;
    /// <summary>...or once this many events are applied since the last checkpoint: bounds the replay at start.</summary>
    public long CheckpointAfterEvents { get; set; } = 1_000_000;
    /// <summary>FasterKV memory for the graph; edges beyond it stay on disk and are read back when touched.</summary>
    public int MemoryMiB { get; set; } = 256;
    /// <summary>FasterKV hash index; 64 MiB suits about 2 million edges and nodes (32 bytes per record).</summary>
    public int IndexMiB { get; set; } = 64;
}

public sealed class TlsOptions
{
    /// <summary>PEM certificate (chain) of the console and API; unset = a self-signed one in DATA/tls/.</summary>
    public string? CertificateFile { get; set; }
    /// <summary>PEM private key (PKCS#8 or traditional) matching <see cref="CertificateFile"/>.</summary>
    public string? KeyFile { get; set; }
}

/// <summary>
/// Plain syslog, UDP and TCP on the same "ADDR:PORT". <see cref="MaxMessageBytes"/> and
/// <see cref="TimeZone"/> apply to every listener that carries syslog (TLS and RELP too).
/// </summary>
public sealed class SyslogOptions : ListenerCommonOptions
{
    public SyslogOptions() => Bind = "127.0.0.1:5514";
    /// <summary>Longer messages are cut to this and marked truncated (RFC 5425 asks for at least 2 KiB; 64 KiB default).</summary>
    public int MaxMessageBytes { get; set; } = 64 * 1024;
    /// <summary>Time zone of RFC 3164 timestamps, which carry none (IANA id, e.g. "Europe/Paris").</summary>
    public string TimeZone { get; set; } = "UTC";
    /// <summary>Kernel receive buffer asked for the UDP socket; bursts beyond it are lost by the kernel.</summary>
    public int UdpReceiveBufferBytes { get; set; } = 8 * 1024 * 1024;
}

public sealed class IngestOptions
{
    /// <summary>Longest NDJSON line accepted; longer lines are reported, not stored.</summary>
    public int MaxLineBytes { get; set; } = 1024 * 1024;
}

public static class Endpoints
{
    /// <summary>Parses "ADDR:PORT" (IPv6 as "[::1]:PORT"); "*" or "0.0.0.0" means every IPv4 address.</summary>
    public static IPEndPoint Parse(string value, string what)
    {
        var text = value.Trim();
        if (text.StartsWith("*:", StringComparison.Ordinal)) text = "0.0.0.0" + text[1..];
        if (IPEndPoint.TryParse(text, out var endpoint) && endpoint.Port != 0 && text.Contains(':'))
            return endpoint;
        throw new StartupException($"{what}: '{value}' is not ADDR:PORT (for example 127.0.0.1:5514 or [::1]:5514)");
    }
}

/// <summary>A start-up failure the admin can fix; printed as one line, then the process exits.</summary>
public sealed class StartupException(string message, Exception? inner = null) : Exception(message, inner);

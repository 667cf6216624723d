namespace Redoubt.Configuration;

/// <summary>
/// What every listener has: on or off, where it binds, who may send to it, and the tags stamped on
/// what arrives. Bound from the <c>Syslog</c>, <c>SyslogTls</c> and <c>Relp</c> sections and from each
/// entry of <c>Listeners</c>.
/// </summary>
public class ListenerCommonOptions
{
    public bool Enabled { get; set; } = true;
    /// <summary>"ADDR:PORT".</summary>
    public string Bind { get; set; } = "";
    /// <summary>Sender networks in CIDR form ("10.0.0.0/8", "2001:db8::/32", or one address); empty = anyone.</summary>
    public List<string> AllowedNetworks { get; set; } = [];
    /// <summary>Tags stamped on every event this listener takes (for example site=plant-1, zone=ot).</summary>
    public Dictionary<string, string> Tags { get; set; } = new(StringComparer.Ordinal);
    /// <summary>Extra tags by sender network; the most specific matching network wins and overrides <see cref="Tags"/>.</summary>
    public List<SourceTagOptions> Sources { get; set; } = [];
}

public sealed class SourceTagOptions
{
    public string Network { get; set; } = "";
    public Dictionary<string, string> Tags { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>A listener that can speak TLS: syslog over TLS always does, RELP when <see cref="Tls"/> is set.</summary>
public class TlsListenerOptions : ListenerCommonOptions
{
    /// <summary>RELP and generic listeners: wrap the connection in TLS. Syslog-TLS ignores it (always TLS).</summary>
    public bool Tls { get; set; }
    /// <summary>PEM server certificate (leaf first, then intermediates). Unset: a self-signed one kept in the data dir.</summary>
    public string? CertificateFile { get; set; }
    /// <summary>PEM private key of <see cref="CertificateFile"/> (PKCS#8, PKCS#1 or SEC1, unencrypted).</summary>
    public string? KeyFile { get; set; }
    /// <summary>PEM CA certificates that client certificates must chain to. Set: clients are asked for a certificate (mutual TLS).</summary>
    public string? ClientCaFile { get; set; }
    /// <summary>With <see cref="ClientCaFile"/>: refuse a client that presents no certificate (default). False: verify it only when offered.</summary>
    public bool RequireClientCertificate { get; set; } = true;
}

/// <summary>Syslog over TLS (RFC 5425). Appliance port 6514; the dev default stays on loopback.</summary>
public sealed class SyslogTlsOptions : TlsListenerOptions
{
    public SyslogTlsOptions() => Bind = "127.0.0.1:6514";
}

/// <summary>RELP, the reliable protocol of rsyslog's omrelp. Appliance port 2514.</summary>
public sealed class RelpOptions : TlsListenerOptions
{
    public RelpOptions() => Bind = "127.0.0.1:2514";
}

/// <summary>One more listener of any protocol, for sites that need several of a kind (other ports, tags or networks).</summary>
public sealed class ListenerOptions : TlsListenerOptions
{
    /// <summary>Shown in /api/v1/stats and stamped as each event's source; must be unique. Default "PROTOCOL-BIND".</summary>
    public string? Name { get; set; }
    /// <summary>"syslog" (UDP and TCP on one port), "syslog-tls" or "relp".</summary>
    public string Protocol { get; set; } = "";
}

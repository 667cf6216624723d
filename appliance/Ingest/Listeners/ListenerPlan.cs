using System.Net;
using Redoubt.Configuration;

namespace Redoubt.Ingest.Listeners;

/// <summary>One listener to start, resolved and checked from the configuration.</summary>
/// <param name="Tls">The TLS settings when the listener speaks TLS; null for plain TCP/UDP.</param>
public sealed record ListenerDefinition(string Name, string Protocol, IPEndPoint Bind, SenderPolicy Senders, TlsListenerOptions? Tls);

/// <summary>
/// Turns the <c>Syslog</c>, <c>SyslogTls</c>, <c>Relp</c> sections and the <c>Listeners</c> list into
/// the listeners to start. Every mistake is a start-up error that names the listener and the setting.
/// </summary>
public static class ListenerPlan
{
    public const string Syslog = "syslog";
    public const string SyslogTls = "syslog-tls";
    public const string Relp = "relp";
    public static readonly string[] Protocols = [Syslog, SyslogTls, Relp];

    public static IReadOnlyList<ListenerDefinition> From(RedoubtOptions options)
    {
        var plan = new List<ListenerDefinition>();
        if (options.Syslog.Enabled) plan.Add(Define(Syslog, Syslog, options.Syslog, null));
        if (options.SyslogTls.Enabled) plan.Add(Define(SyslogTls, SyslogTls, options.SyslogTls, options.SyslogTls));
        if (options.Relp.Enabled) plan.Add(Define(Relp, Relp, options.Relp, options.Relp.Tls ? options.Relp : null));

        for (var i = 0; i < options.Listeners.Count; i++)
        {
            var l = options.Listeners[i];
            if (!l.Enabled) continue;
            var protocol = l.Protocol.Trim().ToLowerInvariant();
            var what = string.IsNullOrWhiteSpace(l.Name) ? $"Listeners:{i}" : $"listener '{l.Name}'";
            if (!Protocols.Contains(protocol))
                throw new StartupException($"{what}: Protocol '{l.Protocol}' is not one of {string.Join(", ", Protocols)}");
            if (protocol == Syslog && HasTlsSettings(l))
                throw new StartupException($"{what}: TLS settings on a plain syslog listener; use Protocol syslog-tls");
            var name = string.IsNullOrWhiteSpace(l.Name) ? $"{protocol}-{l.Bind.Trim()}" : l.Name.Trim();
            var tls = protocol == SyslogTls || (protocol == Relp && l.Tls) ? l : null;
            plan.Add(Define(name, protocol, l, tls));
        }

        var duplicate = plan.GroupBy(d => d.Name, StringComparer.OrdinalIgnoreCase).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
            throw new StartupException($"two listeners are named '{duplicate.Key}'; give each entry of Listeners its own Name");
        return plan;
    }

    private static ListenerDefinition Define(string name, string protocol, ListenerCommonOptions options, TlsListenerOptions? tls)
    {
        var bind = Endpoints.Parse(options.Bind, $"{name} listener");
        if (tls is null && options is TlsListenerOptions t && HasCertificateSettings(t) && protocol == Relp)
            throw new StartupException($"{name}: certificate settings without Tls=true; set Tls=true to speak RELP over TLS");
        return new ListenerDefinition(name, protocol, bind, SenderPolicy.From(options, name), tls);
    }

    private static bool HasTlsSettings(TlsListenerOptions o) => o.Tls || HasCertificateSettings(o);

    private static bool HasCertificateSettings(TlsListenerOptions o) =>
        !string.IsNullOrWhiteSpace(o.CertificateFile) || !string.IsNullOrWhiteSpace(o.KeyFile) || !string.IsNullOrWhiteSpace(o.ClientCaFile);
}

using Microsoft.Extensions.Options;
using Redoubt.Configuration;
using Redoubt.Hosting;
using Redoubt.Ingest.Relp;
using Redoubt.Ingest.Syslog;
using Redoubt.Ingest.Tls;
using Redoubt.Storage.Events;

namespace Redoubt.Ingest.Listeners;

/// <summary>
/// Starts every configured listener (syslog UDP+TCP, syslog over TLS, RELP, and the extra ones in
/// <c>Listeners</c>) and stops them on shutdown, letting in-flight batches commit and be acknowledged.
/// </summary>
public sealed class ListenersService(IOptions<RedoubtOptions> options, EventLog log, IngestBudget budget, ListenerRegistry registry,
    TlsCertificate.Loaded applianceCertificate, TimeProvider clock, ILogger<ListenersService> logger) : IHostedService, IAsyncDisposable
{
    private readonly List<IAsyncDisposable> _running = [];

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var o = options.Value;
        var zone = SourceZone(o.Syslog.TimeZone);
        var max = o.Syslog.MaxMessageBytes;
        foreach (var def in ListenerPlan.From(o))
        {
            var events = new SyslogEvents(zone, clock, def.Name);
            var tls = def.Tls is null ? null : ServerTls.Create(def.Tls, def.Name, applianceCertificate, o.Tls);
            switch (def.Protocol)
            {
                case ListenerPlan.Syslog:
                    var udpState = Register(def, "syslog-udp", null);
                    var udp = new UdpSyslogListener(def.Bind, max, o.Syslog.UdpReceiveBufferBytes, events, log, def.Senders, udpState, logger);
                    udp.Start();
                    _running.Add(udp);
                    var tcpState = Register(def, "syslog-tcp", null);
                    Start(def, new SyslogStreamProtocol(max, events, log, Transport.SyslogTcp, tcpState, logger, budget, o.Syslog.IdleTimeout), null, tcpState);
                    break;
                case ListenerPlan.SyslogTls:
                    var tlsState = Register(def, "syslog-tls", tls);
                    Start(def, new SyslogStreamProtocol(max, events, log, Transport.SyslogTls, tlsState, logger, budget, o.Syslog.IdleTimeout), tls, tlsState);
                    break;
                case ListenerPlan.Relp:
                    var relpState = Register(def, tls is null ? "relp" : "relp-tls", tls);
                    Start(def, new RelpProtocol(max, events, log, Transport.Relp, relpState, logger), tls, relpState);
                    break;
            }
            logger.LogInformation("listener {Name} ({Protocol}) on {Bind}{Tls}{Networks}{Tags}", def.Name, def.Protocol, def.Bind,
                tls is null ? "" : "; " + tls.Description,
                def.Senders.AllowedNetworks.Count == 0 ? "" : "; senders from " + string.Join(", ", def.Senders.AllowedNetworks),
                def.Senders.ListenerTags is { } t ? "; tags " + string.Join(", ", t.Select(kv => $"{kv.Key}={kv.Value}")) : "");
        }
        logger.LogInformation("syslog time zone for RFC 3164 timestamps: {Zone}", zone.Id);
        return Task.CompletedTask;
    }

    private ListenerState Register(ListenerDefinition def, string transport, ServerTls? tls) =>
        registry.Add(new ListenerState(def.Name, transport, def.Bind.ToString())
        {
            Tls = tls?.Description,
            AllowedNetworks = def.Senders.AllowedNetworks,
            Tags = def.Senders.ListenerTags,
        });

    private void Start(ListenerDefinition def, IStreamProtocol protocol, ServerTls? tls, ListenerState state)
    {
        var listener = new StreamListener(def.Bind, protocol, def.Senders, tls, state, logger, options.Value.Syslog.MaxConnections);
        listener.Start();
        _running.Add(listener);
    }

    internal static TimeZoneInfo SourceZone(string id)
    {
        try { return TimeZoneInfo.FindSystemTimeZoneById(id); }
        catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            throw new StartupException($"syslog time zone '{id}' is not known on this system (use an IANA id such as UTC or Europe/Paris)", e);
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken) => await DisposeAsync();

    public async ValueTask DisposeAsync()
    {
        IAsyncDisposable[] running;
        lock (_running) { running = _running.ToArray(); _running.Clear(); }
        // All at once: each gets its grace period in parallel, not one after the other.
        await Task.WhenAll(running.Select(r => r.DisposeAsync().AsTask()));
    }
}

using Microsoft.Extensions.Options;
using Redoubt.Configuration;
using Redoubt.Storage.Events;

namespace Redoubt.Ingest.Syslog;

/// <summary>Hosts the syslog listeners: UDP and TCP on the same address and port.</summary>
public sealed class SyslogService(IOptions<RedoubtOptions> options, EventLog log, IngestBudget budget, ListenerRegistry registry,
    TimeProvider clock, ILogger<SyslogService> logger) : IHostedService, IAsyncDisposable
{
    private UdpSyslogListener? _udp;
    private TcpSyslogListener? _tcp;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var o = options.Value.Syslog;
        if (!o.Enabled) return Task.CompletedTask;
        var bind = Endpoints.Parse(o.Bind, "syslog listener");
        var zone = SourceZone(o.TimeZone);
        var events = new SyslogEvents(zone, clock);

        _udp = new UdpSyslogListener(bind, o.MaxMessageBytes, o.UdpReceiveBufferBytes, events, log,
            registry.Add(new ListenerState("syslog", "syslog-udp", bind.ToString())), logger);
        _tcp = new TcpSyslogListener(bind, o.MaxMessageBytes, o.MaxConnections, o.IdleTimeout, events, log, budget,
            registry.Add(new ListenerState("syslog", "syslog-tcp", bind.ToString())), logger);
        _udp.Start();
        _tcp.Start();
        logger.LogInformation("syslog listening on udp and tcp {Bind} (RFC 3164 time zone {Zone})", bind, zone.Id);
        return Task.CompletedTask;
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
        if (_udp is not null) { await _udp.DisposeAsync(); _udp = null; }
        if (_tcp is not null) { await _tcp.DisposeAsync(); _tcp = null; }
    }
}

namespace Redoubt.Hosting;

/// <summary>
/// READY=1 once the host has started (Kestrel and every listener bound), STOPPING=1 when it begins
/// to stop. Microsoft.Extensions.Hosting.Systemd does the same only when it sees systemd as its
/// parent through /proc/PPID/comm, which the unit's ProtectProc=invisible hides (PID 1 is root's):
/// under the hardened unit it would never report ready. NOTIFY_SOCKET is what systemd actually
/// passes to a Type=notify service, so that is the test here. A duplicate READY=1 is harmless.
/// </summary>
public sealed class SystemdNotifications(IHostApplicationLifetime lifetime, ILogger<SystemdNotifications> logger) : IHostedService
{
    private readonly SdNotify? _notify = SdNotify.FromEnvironment();

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (_notify is null) return Task.CompletedTask;
        lifetime.ApplicationStarted.Register(() => Send("READY=1"));
        lifetime.ApplicationStopping.Register(() => Send("STOPPING=1"));
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private void Send(string state)
    {
        try
        {
            _notify!.Send(state);
        }
        catch (System.Net.Sockets.SocketException e)
        {
            logger.LogWarning("systemd: cannot send {State} to {Socket}: {Error}", state, _notify!.SocketPath, e.Message);
        }
    }
}

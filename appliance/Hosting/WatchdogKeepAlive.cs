using System.Globalization;
using System.Net.Sockets;
using Redoubt.Storage.Events;

namespace Redoubt.Hosting;

/// <summary>
/// The systemd watchdog (WatchdogSec= in the unit): pings WATCHDOG=1 at half the interval systemd
/// passes in WATCHDOG_USEC, but only while the event log is healthy. A failed log, or a process so
/// stuck that this timer does not run (thread pool starved, deadlock), stops the pings, and
/// systemd kills and restarts the service (Restart=on-failure). Off when systemd asks for no watchdog.
/// </summary>
public sealed class WatchdogKeepAlive : BackgroundService
{
    private readonly SdNotify? _notify;
    private readonly Func<string?> _unhealthyReason;
    private readonly TimeProvider _clock;
    private readonly ILogger _logger;
    private long _lastPingMs;

    /// <summary>Half of what systemd asked for; null when there is no watchdog.</summary>
    public TimeSpan? Interval { get; }
    public DateTimeOffset? LastPing => Interlocked.Read(ref _lastPingMs) is > 0 and var ms ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null;

    public WatchdogKeepAlive(EventLog log, TimeProvider clock, ILogger<WatchdogKeepAlive> logger)
        : this(SdNotify.FromEnvironment(), ReadInterval(), () => log.Health is { State: StoreState.Failed } h ? "event log failed: " + h.Reason : null, clock, logger)
    {
    }

    public WatchdogKeepAlive(SdNotify? notify, TimeSpan? watchdogInterval, Func<string?> unhealthyReason, TimeProvider clock, ILogger logger)
    {
        _notify = notify;
        Interval = notify is null || watchdogInterval is null ? null : watchdogInterval / 2;
        _unhealthyReason = unhealthyReason;
        _clock = clock;
        _logger = logger;
    }

    /// <summary>WATCHDOG_USEC, when WATCHDOG_PID is unset or names this process (sd_watchdog_enabled(3)).</summary>
    public static TimeSpan? ReadInterval()
    {
        if (Environment.GetEnvironmentVariable("WATCHDOG_PID") is { Length: > 0 } pid
            && pid != Environment.ProcessId.ToString(CultureInfo.InvariantCulture)) return null;
        return long.TryParse(Environment.GetEnvironmentVariable("WATCHDOG_USEC"), NumberStyles.None, CultureInfo.InvariantCulture, out var usec) && usec > 0
            ? TimeSpan.FromMicroseconds(usec)
            : null;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_notify is null || Interval is not { } interval) return;
        _logger.LogInformation("systemd watchdog: pinging every {Seconds:0.#} s while the event log is healthy", interval.TotalSeconds);
        using var timer = new PeriodicTimer(interval, _clock);
        var silent = false;
        do
        {
            if (_unhealthyReason() is { } reason)
            {
                // Once: systemd restarts us within the interval anyway; repeating it would only fill the journal.
                if (!silent) _logger.LogCritical("systemd watchdog: no more pings ({Reason}); systemd will restart the service", reason);
                silent = true;
                continue;
            }
            silent = false;
            try
            {
                _notify.Send("WATCHDOG=1");
                Interlocked.Exchange(ref _lastPingMs, _clock.GetUtcNow().ToUnixTimeMilliseconds());
            }
            catch (SocketException e)
            {
                _logger.LogWarning("systemd watchdog: cannot notify {Socket}: {Error}", _notify.SocketPath, e.Message);
            }
        } while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }
}

using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Redoubt.Hosting;

namespace Redoubt.Tests.Hosting;

/// <summary>The sd_notify watchdog keep-alive against a real Unix datagram socket standing in for systemd's.</summary>
public sealed class WatchdogKeepAliveTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("redoubt-notify-").FullName;
    private readonly Socket _systemd = new(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
    private string SocketPath => Path.Combine(_dir, "notify.sock");

    public WatchdogKeepAliveTests()
    {
        _systemd.Bind(new UnixDomainSocketEndPoint(SocketPath));
        _systemd.ReceiveTimeout = 30_000;
    }

    [Fact]
    public async Task Pings_WATCHDOG_1_at_half_the_interval_only_while_healthy()
    {
        var clock = new FakeTimeProvider();
        string? failure = null;
        var checks = new SemaphoreSlim(0);
        var watchdog = new WatchdogKeepAlive(new SdNotify(SocketPath), TimeSpan.FromSeconds(60),
            () => { var f = failure; checks.Release(); return f; }, clock, NullLogger.Instance);
        Assert.Equal(TimeSpan.FromSeconds(30), watchdog.Interval);

        await watchdog.StartAsync(CancellationToken.None);
        Assert.Equal("WATCHDOG=1", Receive()); // at start
        Assert.True(await checks.WaitAsync(TimeSpan.FromSeconds(30)));

        failure = "event log failed: disk gone";
        for (var i = 0; i < 3; i++)
        {
            clock.Advance(TimeSpan.FromSeconds(30));
            Assert.True(await checks.WaitAsync(TimeSpan.FromSeconds(30)), "tick not checked");
        }
        Assert.Equal(0, _systemd.Available); // three ticks while unhealthy: no ping

        failure = null;
        clock.Advance(TimeSpan.FromSeconds(30));
        Assert.Equal("WATCHDOG=1", Receive());
        Assert.Equal(clock.GetUtcNow(), watchdog.LastPing);
        await watchdog.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task Is_off_without_a_watchdog_interval_or_notify_socket()
    {
        var off = new WatchdogKeepAlive(new SdNotify(SocketPath), null, () => null, TimeProvider.System, NullLogger.Instance);
        Assert.Null(off.Interval);
        await off.StartAsync(CancellationToken.None);
        await off.StopAsync(CancellationToken.None);
        Assert.Equal(0, _systemd.Available);
        Assert.Null(new WatchdogKeepAlive(null, TimeSpan.FromSeconds(10), () => null, TimeProvider.System, NullLogger.Instance).Interval);
    }

    [Fact]
    public void Reads_WATCHDOG_USEC_in_microseconds_like_sd_watchdog_enabled()
    {
        // Process-wide variables, restored below; no NOTIFY_SOCKET is set, so child processes started meanwhile never ping.
        var saved = (Environment.GetEnvironmentVariable("WATCHDOG_USEC"), Environment.GetEnvironmentVariable("WATCHDOG_PID"));
        try
        {
            Environment.SetEnvironmentVariable("WATCHDOG_USEC", "60000000");
            Environment.SetEnvironmentVariable("WATCHDOG_PID", Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Assert.Equal(TimeSpan.FromSeconds(60), WatchdogKeepAlive.ReadInterval());
            Environment.SetEnvironmentVariable("WATCHDOG_PID", "1"); // meant for another process
            Assert.Null(WatchdogKeepAlive.ReadInterval());
            Environment.SetEnvironmentVariable("WATCHDOG_PID", null);
            Environment.SetEnvironmentVariable("WATCHDOG_USEC", "soon");
            Assert.Null(WatchdogKeepAlive.ReadInterval());
        }
        finally
        {
            Environment.SetEnvironmentVariable("WATCHDOG_USEC", saved.Item1);
            Environment.SetEnvironmentVariable("WATCHDOG_PID", saved.Item2);
        }
    }

    private string Receive()
    {
        var buffer = new byte[256];
        var n = _systemd.Receive(buffer);
        return Encoding.UTF8.GetString(buffer, 0, n);
    }

    public void Dispose()
    {
        _systemd.Dispose();
        Directory.Delete(_dir, recursive: true);
    }
}

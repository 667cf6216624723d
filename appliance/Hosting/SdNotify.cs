using System.Net.Sockets;
using System.Text;

namespace Redoubt.Hosting;

/// <summary>
/// sd_notify(3) without libsystemd: one datagram to the socket systemd names in NOTIFY_SOCKET
/// (a path, or "@name" for the abstract namespace). Microsoft.Extensions.Hosting.Systemd sends
/// READY=1 and STOPPING=1 itself but has no watchdog keep-alive; <see cref="WatchdogKeepAlive"/>
/// uses this for WATCHDOG=1.
/// </summary>
public sealed class SdNotify(string socketPath)
{
    public string SocketPath { get; } = socketPath;

    /// <summary>The notifier systemd set up for this process, or null when not run as a notify service.</summary>
    public static SdNotify? FromEnvironment() =>
        Environment.GetEnvironmentVariable("NOTIFY_SOCKET") is { Length: > 0 } path ? new SdNotify(path) : null;

    public void Send(string state)
    {
        var path = SocketPath[0] == '@' ? "\0" + SocketPath[1..] : SocketPath;
        using var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        socket.Connect(new UnixDomainSocketEndPoint(path));
        socket.Send(Encoding.UTF8.GetBytes(state));
    }
}

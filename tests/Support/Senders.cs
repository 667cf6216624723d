using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Redoubt.Tests.Support;

/// <summary>Ways to put lines on the wire the way devices and relays do.</summary>
public static class Senders
{
    /// <summary>One TCP connection, one LF-terminated line each (RFC 6587 non-transparent framing).</summary>
    public static async Task SendTcpLinesAsync(int port, IEnumerable<string> lines)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port);
        await using var stream = client.GetStream();
        var sb = new StringBuilder();
        foreach (var line in lines) sb.Append(line).Append('\n');
        await stream.WriteAsync(Encoding.UTF8.GetBytes(sb.ToString()));
        client.Client.Shutdown(SocketShutdown.Send);
        // Wait for the server to close its side: every byte has been read by then.
        var buf = new byte[1];
        try { while (await stream.ReadAsync(buf) > 0) { } } catch (IOException) { }
    }

    public static async Task SendTcpBytesAsync(int port, byte[] bytes, bool closeGracefully = true)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port);
        var stream = client.GetStream();
        await stream.WriteAsync(bytes);
        if (closeGracefully) client.Client.Shutdown(SocketShutdown.Send);
        else client.Client.LingerState = new LingerOption(true, 0); // RST on close
        client.Close();
    }

    /// <summary>One datagram per line, paced so the test measures parsing, not the kernel's UDP buffer.</summary>
    public static async Task SendUdpLinesAsync(int port, IEnumerable<string> lines)
    {
        using var udp = new UdpClient();
        udp.Connect(IPAddress.Loopback, port);
        var n = 0;
        foreach (var line in lines)
        {
            await udp.SendAsync(Encoding.UTF8.GetBytes(line));
            if (++n % 50 == 0) await Task.Delay(5);
        }
    }

    /// <summary>Runs a command to completion, feeding stdin; fails with its output when it exits non-zero.</summary>
    public static async Task RunAsync(string file, IEnumerable<string> args, string? stdin = null)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (stdin is not null) await p.StandardInput.WriteAsync(stdin);
        p.StandardInput.Close();
        await p.WaitForExitAsync();
        if (p.ExitCode != 0)
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited {p.ExitCode}: {await stdout}{await stderr}");
    }
}

using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;

namespace Redoubt.Hosting.Admin;

/// <summary>The CLI's side of the admin socket: connect, send one request line, read one reply line.</summary>
public static class AdminClient
{
    /// <summary>
    /// A connected socket, or null when nothing listens at <paramref name="path"/> (no file, or a
    /// stale one: the appliance is not running). Other failures (permission) are thrown.
    /// </summary>
    public static async Task<Socket?> TryConnectAsync(string path, CancellationToken ct = default)
    {
        if (!File.Exists(path) && !Directory.Exists(System.IO.Path.GetDirectoryName(path))) return null;
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), ct);
            return socket;
        }
        // ENOENT (no socket file) or ECONNREFUSED (a stale file a killed appliance left): nothing listens.
        catch (SocketException e) when (e.SocketErrorCode is SocketError.AddressNotAvailable or SocketError.ConnectionRefused || !File.Exists(path))
        {
            socket.Dispose();
            return null;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public static async Task<AdminReply> SendAsync(Socket socket, string command, JsonObject? args, CancellationToken ct = default)
    {
        await using var stream = new NetworkStream(socket, ownsSocket: false);
        string? line;
        try
        {
            await stream.WriteAsync(Encoding.UTF8.GetBytes(AdminProtocol.Request(command, args) + "\n"), ct);
            await stream.FlushAsync(ct);
            line = await new LineReader(stream, AdminProtocol.MaxLineBytes).ReadLineAsync(ct);
        }
        catch (Exception e) when (e is IOException or SocketException or InvalidDataException)
        {
            return new AdminReply(false, null, "socket_error", "the admin socket connection failed: " + e.Message, 1);
        }
        return line is null
            ? new AdminReply(false, null, "no_reply", "the appliance closed the admin socket without answering", 1)
            : AdminProtocol.ParseReply(line);
    }
}

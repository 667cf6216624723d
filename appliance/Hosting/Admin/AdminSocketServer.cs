using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Options;
using Redoubt.Configuration;

namespace Redoubt.Hosting.Admin;

/// <summary>
/// The local admin socket (DATA/admin.sock unless Appliance:AdminSocket says otherwise): a Unix
/// stream socket, mode 0660, in a data directory only the service user can enter. On top of the
/// file modes every connection's peer credentials (SO_PEERCRED) are checked: only root and the
/// service's own user are served; anyone else gets one error line and is disconnected.
/// Bound before the host reports ready, so `redoubt status` answers as soon as systemd says started.
/// </summary>
public sealed class AdminSocketServer(IServiceProvider services, IOptions<RedoubtOptions> options, ILogger<AdminSocketServer> logger)
    : BackgroundService
{
    private static readonly TimeSpan IdleTimeout = TimeSpan.FromMinutes(2);
    private Socket? _listener;

    public string Path { get; } = AdminSocketPath.Resolve(options.Value);

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        // The data directory lock is ours, so a socket file left by a killed appliance is stale.
        if (File.Exists(Path)) File.Delete(Path);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            listener.Bind(new UnixDomainSocketEndPoint(Path));
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(Path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite);
            listener.Listen(16);
        }
        catch (Exception e) when (e is SocketException or IOException or UnauthorizedAccessException)
        {
            listener.Dispose();
            throw new StartupException($"cannot open the admin socket {Path}: {e.Message}", e);
        }
        _listener = listener;
        logger.LogInformation("admin socket {Path} (root and uid {Uid} only)", Path, PeerCredentials.OwnUid);
        return base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var listener = _listener!;
        using var stop = stoppingToken.Register(listener.Dispose);
        while (!stoppingToken.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener.AcceptAsync(stoppingToken);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException || stoppingToken.IsCancellationRequested)
            {
                break;
            }
            _ = Task.Run(() => ServeAsync(client, stoppingToken), CancellationToken.None);
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        try { File.Delete(Path); } catch (IOException) { }
    }

    private async Task ServeAsync(Socket client, CancellationToken stopping)
    {
        using var _ = client;
        await using var stream = new NetworkStream(client, ownsSocket: false);
        var peer = PeerCredentials.Of(client);
        if (!peer.MayAdminister)
        {
            var reader = new LineReader(stream, AdminProtocol.MaxLineBytes);
            logger.LogWarning("admin socket: refused uid {Uid} (pid {Pid}): only root and the service user may administer", peer.Uid, peer.Pid);
            // Take the request first (unread), so the client reads the refusal instead of a reset connection.
            using (var wait = CancellationTokenSource.CreateLinkedTokenSource(stopping))
            {
                wait.CancelAfter(TimeSpan.FromSeconds(5));
                try { await reader.ReadLineAsync(wait.Token); } catch (Exception e) when (e is OperationCanceledException or IOException or InvalidDataException) { }
            }
            try
            {
                await WriteLineAsync(stream, AdminProtocol.Error("forbidden", $"uid {peer.Uid} may not use the admin socket (root and the service user only)"), stopping);
            }
            catch (Exception e) when (e is IOException or OperationCanceledException) { }
            return;
        }
        var requests = new LineReader(stream, AdminProtocol.MaxRequestBytes);
        while (!stopping.IsCancellationRequested)
        {
            string? line;
            using (var idle = CancellationTokenSource.CreateLinkedTokenSource(stopping))
            {
                idle.CancelAfter(IdleTimeout);
                try
                {
                    line = await requests.ReadLineAsync(idle.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                catch (InvalidDataException e)
                {
                    await WriteLineAsync(stream, AdminProtocol.Error("bad_request", e.Message, 2), stopping);
                    return;
                }
                catch (IOException)
                {
                    return;
                }
            }
            if (line is null) return;
            var reply = await HandleAsync(line, peer, stopping);
            try
            {
                await WriteLineAsync(stream, reply, stopping);
            }
            catch (Exception e) when (e is IOException or OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task<string> HandleAsync(string line, PeerCredentials peer, CancellationToken stopping)
    {
        string command = "?";
        try
        {
            var (name, args) = AdminProtocol.ParseRequest(line);
            command = name;
            var result = await AdminCommands.RunAsync(name, new AdminCall(services, peer.Actor, args, stopping));
            logger.LogInformation("admin socket: {Command} by {Actor}", name, peer.Actor);
            return AdminProtocol.Ok(result);
        }
        catch (AdminException e)
        {
            logger.LogInformation("admin socket: {Command} by {Actor} refused: {Code}", command, peer.Actor, e.Code);
            return AdminProtocol.Error(e.Code, e.Message, e.ExitCode);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Details stay in the journal; the client gets a stable code.
            logger.LogError(e, "admin socket: {Command} by {Actor} failed", command, peer.Actor);
            return AdminProtocol.Error("internal_error", $"'{command}' failed inside the appliance; see its log (journalctl -u redoubt)");
        }
    }

    private static async Task WriteLineAsync(Stream stream, string json, CancellationToken ct)
    {
        await stream.WriteAsync(Encoding.UTF8.GetBytes(json + "\n"), ct);
        await stream.FlushAsync(ct);
    }
}

/// <summary>Where the admin socket is: Appliance:AdminSocket, or admin.sock in the data directory.</summary>
public static class AdminSocketPath
{
    public const string FileName = "admin.sock";

    public static string Resolve(RedoubtOptions options) =>
        options.Appliance.AdminSocket is { Length: > 0 } path
            ? System.IO.Path.GetFullPath(path)
            : System.IO.Path.Combine(System.IO.Path.GetFullPath(options.DataDir), FileName);
}

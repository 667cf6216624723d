using System.Net.Sockets;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Redoubt.Api.Access;
using Redoubt.Configuration;
using Redoubt.Hosting;
using Redoubt.Hosting.Admin;
using Redoubt.Storage;
using Redoubt.Storage.Checkpoints;
using Redoubt.Storage.State;

namespace Redoubt.Cli;

/// <summary>
/// How an admin command reaches the appliance: through its admin socket when it runs (DATA/admin.sock
/// answers), else, for commands that can, in this process on the stopped appliance's data directory
/// (under the same data directory lock, so the two can never write the stores at once).
/// </summary>
public static class AdminChannel
{
    /// <summary>Exit code of a command that needs the running appliance when none answers (as `systemctl status`).</summary>
    public const int NotRunning = 3;

    public static async Task<AdminReply> RunAsync(RedoubtOptions options, string command, JsonObject args, bool createDataDir = false)
    {
        var socketPath = AdminSocketPath.Resolve(options);
        Socket? socket;
        try
        {
            socket = await AdminClient.TryConnectAsync(socketPath);
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.AccessDenied)
        {
            return new AdminReply(false, null, "forbidden", $"cannot open {socketPath}: permission denied (run as root or as the service user, e.g. sudo redoubt …)", 1);
        }
        if (socket is not null)
        {
            using (socket) return await AdminClient.SendAsync(socket, command, args);
        }

        if (!AdminCommands.Table.TryGetValue(command, out var entry))
            return new AdminReply(false, null, "unknown_command", $"no admin command '{command}'", 2);
        if (!entry.Offline)
            return new AdminReply(false, null, "not_running", $"the appliance is not running (nothing answers on {socketPath})", NotRunning);
        try
        {
            await using var offline = OfflineServices.Open(Path.GetFullPath(options.DataDir), createDataDir);
            var result = await AdminCommands.RunAsync(command, new AdminCall(offline.Services, "cli:" + Environment.UserName, args, CancellationToken.None));
            return new AdminReply(true, result, null, null, 0);
        }
        catch (AdminException e)
        {
            return new AdminReply(false, null, e.Code, e.Message, e.ExitCode);
        }
    }
}

/// <summary>The services an offline admin command needs, opened on a stopped appliance's data directory.</summary>
public sealed class OfflineServices : IAsyncDisposable
{
    private readonly DataDirLock _lock;
    private readonly StateStore _state;
    private readonly ServiceProvider _provider;

    private OfflineServices(DataDirLock dataLock, StateStore state, ServiceProvider provider)
    {
        _lock = dataLock;
        _state = state;
        _provider = provider;
    }

    public IServiceProvider Services => _provider;

    public static OfflineServices Open(string dataDir, bool create)
    {
        if (create) Directory.CreateDirectory(dataDir);
        if (!Directory.Exists(dataDir)) throw new AdminException("no_data_dir", $"no data directory {dataDir} (use --data DIR)");
        DataDirLock dataLock;
        try
        {
            dataLock = DataDirLock.Acquire(dataDir, "admin command");
        }
        catch (StartupException e)
        {
            // The lock is held but the socket did not answer: an appliance still starting (it binds the socket before it is ready).
            throw new AdminException("appliance_starting", e.Message + "; its admin socket does not answer yet: if it is starting, try again in a moment");
        }
        StateStore state;
        try
        {
            state = Program.OpenState(dataDir);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or StoreFormatException or StoreRecoveryException)
        {
            dataLock.Dispose();
            throw new AdminException("state_unavailable", $"cannot open the state store in {dataDir}: {e.Message}");
        }
        var services = new ServiceCollection();
        services.AddSingleton(state);
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(Options.Create(new RedoubtOptions { DataDir = dataDir }));
        services.AddSingleton<UserStore>();
        services.AddSingleton<SessionStore>();
        services.AddSingleton<TokenStore>();
        services.AddSingleton<AuditLog>();
        services.AddLogging(); // no provider: offline, the CLI prints what matters itself
        services.AddSingleton<Detection.Iocs.IocService>();
        return new OfflineServices(dataLock, state, services.BuildServiceProvider());
    }

    public async ValueTask DisposeAsync()
    {
        await _provider.DisposeAsync();
        await _state.DisposeAsync();
        _lock.Dispose();
    }
}

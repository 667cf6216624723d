using Microsoft.Extensions.Options;
using Redoubt.Configuration;
using Redoubt.Storage.Events;

namespace Redoubt.Ingest.Forward;

/// <summary>Hosts the forward listener (Fluentd, Fluent Bit, fluent-logger, Docker's fluentd log driver).</summary>
public sealed class ForwardService(IOptions<RedoubtOptions> options, EventLog log, IngestBudget budget,
    ListenerRegistry registry, TimeProvider clock, ILogger<ForwardService> logger) : IHostedService, IAsyncDisposable
{
    private ForwardListener? _listener;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var o = options.Value.Forward;
        if (!o.Enabled) return Task.CompletedTask;
        var settings = Settings(o, options.Value.Ingest);
        _listener = new ForwardListener(settings, log, budget,
            registry.Add(new ListenerState("forward", "forward", settings.Bind.ToString())), clock, logger);
        _listener.Start();
        logger.LogInformation("forward listening on tcp {Bind}{Auth}", settings.Bind,
            settings.SharedKey is null ? " (no shared key: any client may send)" : " (shared-key handshake required)");
        return Task.CompletedTask;
    }

    /// <summary>Checks and resolves the forward settings; a mistake stops start-up with one line.</summary>
    public static ForwardListenerSettings Settings(ForwardOptions o, IngestOptions ingest)
    {
        var bind = Endpoints.Parse(o.Bind, "forward listener");
        if (o.MaxFrameBytes is < 1024 or > 1024 * 1024 * 1024)
            throw new StartupException($"Forward:MaxFrameBytes {o.MaxFrameBytes} is outside 1024..1073741824");
        if (o.MaxDecompressedBytes < 1024)
            throw new StartupException($"Forward:MaxDecompressedBytes {o.MaxDecompressedBytes} is below 1024");
        if (o.MaxConnections < 1) throw new StartupException("Forward:MaxConnections must be at least 1");
        return new ForwardListenerSettings("forward", bind, SharedKey(o), ServerHostname(o), o.MaxConnections,
            o.IdleTimeout, o.HandshakeTimeout, o.MaxFrameBytes, o.MaxDecompressedBytes, ingest.MaxLineBytes, o.BusyWait);
    }

    private static byte[]? SharedKey(ForwardOptions o)
    {
        if (o.SharedKey is not null && o.SharedKeyFile is not null)
            throw new StartupException("Forward: set SharedKey or SharedKeyFile, not both");
        var key = o.SharedKey;
        if (o.SharedKeyFile is { } file)
        {
            try { key = File.ReadLines(file).FirstOrDefault()?.Trim(); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new StartupException($"Forward:SharedKeyFile {file} cannot be read: {e.Message}", e);
            }
        }
        if (key is null) return null;
        if (key.Length == 0) throw new StartupException("Forward: the shared key is empty");
        return System.Text.Encoding.UTF8.GetBytes(key);
    }

    private static string ServerHostname(ForwardOptions o) =>
        string.IsNullOrWhiteSpace(o.ServerHostname) ? Environment.MachineName : o.ServerHostname.Trim();

    public async Task StopAsync(CancellationToken cancellationToken) => await DisposeAsync();

    public async ValueTask DisposeAsync()
    {
        if (_listener is not null) { await _listener.DisposeAsync(); _listener = null; }
    }
}

using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Redoubt.Configuration;
using Redoubt.Graph.Engine;
using Redoubt.Graph.Import;

namespace Redoubt.Demo;

/// <summary>
/// Where the demo's inventory goes in: one seam, so it can move to the inventory imports
/// (/api/v1/import/{kind}) when they land. Today: the graph import document (POST /api/v1/graph/import).
/// </summary>
public interface IInventorySeed
{
    /// <summary>Applies the inventory; returns what was taken, for the log.</summary>
    string Apply(string inventoryJson, DateTimeOffset now);
}

/// <summary>The inventory through <see cref="GraphImport"/>, exactly as the graph import endpoint applies it.</summary>
public sealed class GraphImportSeed(SecurityGraph graph) : IInventorySeed
{
    public string Apply(string inventoryJson, DateTimeOffset now)
    {
        using var doc = JsonDocument.Parse(inventoryJson);
        var report = GraphImport.Apply(graph, doc.RootElement, now.ToUnixTimeMilliseconds());
        if (report.Errors.Count + report.ErrorsNotListed > 0)
            throw new InvalidOperationException("the demo inventory was refused in part: " + string.Join("; ", report.Errors.Select(e => $"{e.At} {e.Code} {e.Message}")));
        return $"{report.Nodes} nodes, {report.Edges} edges (import {report.ImportId})";
    }
}

/// <summary>
/// Seeds the demo site once the appliance is up: the inventory through <see cref="IInventorySeed"/>, then
/// the intrusion sent as syslog over TCP to the appliance's own syslog listener, so it takes the same
/// path as any sender's events (framing, parsing, commit, detection, graph).
/// </summary>
public sealed class DemoSeeder(IInventorySeed inventory, IOptions<RedoubtOptions> options, IHostApplicationLifetime lifetime, TimeProvider clock,
    ILogger<DemoSeeder> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var started = new TaskCompletionSource();
        using (lifetime.ApplicationStarted.Register(() => started.TrySetResult()))
        using (stoppingToken.Register(() => started.TrySetCanceled()))
        {
            try { await started.Task; }
            catch (TaskCanceledException) { return; }
        }
        try
        {
            var now = clock.GetUtcNow();
            var taken = inventory.Apply(DemoSite.Inventory(now), now);
            logger.LogInformation("demo: inventory of the demo site imported: {Taken}", taken);
            var syslog = options.Value.Syslog;
            if (!syslog.Enabled) throw new InvalidOperationException("the syslog listener is switched off (Syslog:Enabled=false): the demo intrusion is sent through it");
            var target = Endpoints.Parse(syslog.Bind, "syslog listener");
            if (target.Address.Equals(IPAddress.Any)) target = new IPEndPoint(IPAddress.Loopback, target.Port);
            else if (target.Address.Equals(IPAddress.IPv6Any)) target = new IPEndPoint(IPAddress.IPv6Loopback, target.Port);
            var lines = DemoSite.Intrusion(now);
            using (var tcp = new TcpClient(target.AddressFamily))
            {
                await tcp.ConnectAsync(target, stoppingToken);
                var stream = tcp.GetStream();
                await stream.WriteAsync(Encoding.UTF8.GetBytes(string.Join("\n", lines) + "\n"), stoppingToken);
                await stream.FlushAsync(stoppingToken);
                tcp.Client.Shutdown(SocketShutdown.Send);
            }
            logger.LogInformation("demo: intrusion replayed, {Count} syslog events over TCP to {Target}: brute force on web01 from {Attacker}, logon as deploy, " +
                "lateral movement to app01 and db01. Sign in to the console: alerts, and the attack path to {Jewel}, appear within a minute",
                lines.Count, target, DemoSite.Attacker, DemoSite.CrownJewel);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { }
        catch (Exception e) when (e is InvalidOperationException or SocketException or IOException or JsonException)
        {
            logger.LogError("demo: seeding failed: {Reason}", e.Message);
        }
    }
}

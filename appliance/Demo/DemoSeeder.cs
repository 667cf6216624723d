using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Redoubt.Configuration;
using Redoubt.Graph.Store;
using Redoubt.Storage.Events;
using Redoubt.Graph.Import;

namespace Redoubt.Demo;

/// <summary>Where the demo's inventory goes in: one seam (tests may put it elsewhere).</summary>
public interface IInventorySeed
{
    /// <summary>Applies the inventory; returns what was taken, for the log.</summary>
    Task<string> ApplyAsync(string inventoryJson, DateTimeOffset now, CancellationToken cancellationToken);
}

/// <summary>
/// The inventory through the graph import, stored as events exactly as POST /api/v1/graph/import stores
/// them: durable, so the crown jewels and the attack path are still there after a restart. (The graph
/// import document rather than the inventory imports: the demo states host-to-host reachability, a
/// session and crown-jewel tags directly, which the inventories would spread over five files and
/// express through networks and services.)
/// </summary>
public sealed class GraphImportSeed(EventLog log, GraphStoreSink sink) : IInventorySeed
{
    public async Task<string> ApplyAsync(string inventoryJson, DateTimeOffset now, CancellationToken cancellationToken)
    {
        GraphDocument doc;
        using (var json = JsonDocument.Parse(inventoryJson)) doc = GraphImport.Read(json.RootElement);
        if (doc.Errors.Count + doc.ErrorsNotListed > 0)
            throw new InvalidOperationException("the demo inventory was refused in part: " + string.Join("; ", doc.Errors.Select(e => $"{e.At} {e.Code} {e.Message}")));
        var stored = await GraphImportEvents.StoreAsync(doc, log, sink, now.ToUnixTimeMilliseconds(), cancellationToken);
        return $"{doc.Nodes.Count} nodes, {doc.Edges.Count} edges (import {stored.ImportId}, events {stored.FirstEvent}..{stored.LastEvent}{(stored.Applied ? "" : ", not yet in the graph")})";
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
            var taken = await inventory.ApplyAsync(DemoSite.Inventory(now), now, stoppingToken);
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

using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Redoubt.Api.Access;
using Redoubt.Configuration;
using Redoubt.Ingest;
using Redoubt.Storage.Events;

namespace Redoubt.Hosting.Admin;

/// <summary>`redoubt status`: the running appliance in one reply (also what GET /api/v1/system shows, and more).</summary>
public static class StatusCommand
{
    public static Task<JsonNode?> RunAsync(AdminCall call)
    {
        var s = call.Services;
        var log = s.GetRequiredService<EventLog>();
        var options = s.GetRequiredService<IOptions<RedoubtOptions>>().Value;
        var watchdog = s.GetService<WatchdogKeepAlive>();
        var listeners = new JsonArray();
        foreach (var l in s.GetRequiredService<ListenerRegistry>().All)
            listeners.Add(new JsonObject { ["name"] = l.Name, ["transport"] = l.Transport, ["bind"] = l.Bind, ["status"] = l.Status, ["received"] = l.Received });
        var system = SystemInfo.Current();
        var result = new JsonObject
        {
            ["version"] = system.Version,
            ["imageVersion"] = system.ImageVersion,
            ["pid"] = Environment.ProcessId,
            ["startedAt"] = system.StartedAt.ToString("O"),
            ["dataDir"] = Path.GetFullPath(options.DataDir),
            ["healthy"] = log.Health.IsOk,
            ["eventLog"] = log.Health is { IsOk: false } h ? $"{(h.State == StoreState.DiskFull ? "disk full" : "failed")}: {h.Reason}" : "ok",
            ["events"] = log.Count,
            ["setupPending"] = s.GetService<SetupCode>()?.Pending ?? false,
            ["http"] = options.Http,
            ["listeners"] = listeners,
            ["watchdog"] = watchdog?.Interval is { } interval
                ? new JsonObject { ["intervalSeconds"] = interval.TotalSeconds, ["lastPing"] = watchdog.LastPing?.ToString("O") }
                : null,
        };
        return Task.FromResult<JsonNode?>(result);
    }
}

/// <summary>Version facts shown by `redoubt version`, `redoubt status` and GET /api/v1/system.</summary>
public sealed record SystemInfo(string Version, string? ImageVersion, DateTimeOffset StartedAt)
{
    private static readonly DateTimeOffset ProcessStart = new(System.Diagnostics.Process.GetCurrentProcess().StartTime.ToUniversalTime(), TimeSpan.Zero);

    public static SystemInfo Current() => new(Cli.Cli.Version, Hosting.ImageVersion.Read(Program.ConfigDir), ProcessStart);
}

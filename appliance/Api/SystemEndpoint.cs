using Redoubt.Api.Access;
using Redoubt.Hosting;
using Redoubt.Hosting.Admin;

namespace Redoubt.Api;

/// <summary>GET /api/v1/system: what is running, for the console's footer and a remote SOC's inventory.</summary>
public static class SystemEndpoint
{
    public static void Map(IEndpointRouteBuilder app) =>
        app.MapGet("/api/v1/system", (WatchdogKeepAlive watchdog) =>
        {
            var info = SystemInfo.Current();
            return Results.Json(new
            {
                version = info.Version,
                imageVersion = info.ImageVersion,
                startedAt = info.StartedAt,
                hostName = Environment.MachineName,
                // Null outside systemd; under it, proof the keep-alive runs (the boot test reads it).
                watchdog = watchdog.Interval is { } interval ? new { intervalSeconds = interval.TotalSeconds, lastPing = watchdog.LastPing } : null,
            });
        }).RequireScope(Scopes.SummaryRead);
}

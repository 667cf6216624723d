using Redoubt.Api.Access;
using Redoubt.Hosting.Admin;

namespace Redoubt.Api;

/// <summary>GET /api/v1/system: what is running, for the console's footer and a remote SOC's inventory.</summary>
public static class SystemEndpoint
{
    public static void Map(IEndpointRouteBuilder app) =>
        app.MapGet("/api/v1/system", () =>
        {
            var info = SystemInfo.Current();
            return Results.Json(new
            {
                version = info.Version,
                imageVersion = info.ImageVersion,
                startedAt = info.StartedAt,
                hostName = Environment.MachineName,
            });
        }).RequireScope(Scopes.SummaryRead);
}

using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Redoubt.Storage.Events;
using Redoubt.Storage.State;

namespace Redoubt.Tests.Support;

/// <summary>
/// Every endpoint the appliance maps, read from the EndpointDataSource of the real host
/// (<see cref="Program.Build"/>, built but not started), so an endpoint added anywhere is in the
/// security tests without anyone listing it.
/// </summary>
public static partial class AppEndpoints
{
    public sealed record Route(string Method, string Pattern, string SamplePath, EndpointMetadataCollection Metadata)
    {
        public override string ToString() => $"{Method} {Pattern}";
    }

    private static readonly Lazy<Task<IReadOnlyList<Route>>> Cached = new(LoadAsync);

    public static Task<IReadOnlyList<Route>> AllAsync() => Cached.Value;

    [GeneratedRegex(@"\{\*?([A-Za-z0-9_]+)((?::[^}=?]+)*)[^}]*\}")]
    private static partial Regex Parameter();

    private static async Task<IReadOnlyList<Route>> LoadAsync()
    {
        var dir = Directory.CreateTempSubdirectory("redoubt-endpoints-").FullName;
        try
        {
            Environment.SetEnvironmentVariable("REDOUBT_CONFIG_DIR", Path.Combine(dir, "no-etc"));
            await using var app = Program.Build(["--data", dir, "--http", $"127.0.0.1:{ApplianceProcess.FreePort()}", "--syslog", $"127.0.0.1:{ApplianceProcess.FreePort()}"]);
            var routes = ((IEndpointRouteBuilder)app).DataSources
                .SelectMany(d => d.Endpoints)
                .OfType<RouteEndpoint>()
                .SelectMany(e => (e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? ["GET"])
                    .Select(m => new Route(m, e.RoutePattern.RawText ?? "", Sample(e.RoutePattern.RawText ?? ""), e.Metadata)))
                .OrderBy(r => r.Pattern, StringComparer.Ordinal).ThenBy(r => r.Method, StringComparer.Ordinal)
                .ToList();
            await app.Services.GetRequiredService<EventLog>().DisposeAsync();
            await app.Services.GetRequiredService<StateStore>().DisposeAsync();
            return routes;
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }

    /// <summary>A path that matches the pattern: numbers for numeric parameters, a word for the rest.</summary>
    private static string Sample(string pattern) =>
        "/" + Parameter().Replace(pattern, m => m.Groups[2].Value is var c && (c.Contains(":long") || c.Contains(":int")) ? "1" : "x1").TrimStart('/');
}

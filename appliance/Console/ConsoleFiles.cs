using System.Reflection;

namespace Redoubt.Console;

/// <summary>
/// Serves the admin console from files embedded in the binary (web-ui/): nothing to install beside
/// it and nothing fetched from elsewhere, which an air-gapped site needs.
/// </summary>
public static class ConsoleFiles
{
    public const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
        "object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

    public static void Map(WebApplication app)
    {
        var assembly = typeof(ConsoleFiles).Assembly;
        foreach (var name in assembly.GetManifestResourceNames())
        {
            if (!name.StartsWith("web-ui/", StringComparison.Ordinal)) continue;
            var bytes = Read(assembly, name);
            var path = "/" + name["web-ui/".Length..].Replace('\\', '/');
            var type = ContentType(path);
            app.MapGet(path, () => Results.Bytes(bytes, type));
            if (path == "/index.html") app.MapGet("/", () => Results.Bytes(bytes, type));
        }
    }

    private static byte[] Read(Assembly assembly, string name)
    {
        using var s = assembly.GetManifestResourceStream(name)!;
        using var m = new MemoryStream();
        s.CopyTo(m);
        return m.ToArray();
    }

    private static string ContentType(string path) => Path.GetExtension(path) switch
    {
        ".html" => "text/html; charset=utf-8",
        ".js" => "text/javascript; charset=utf-8",
        ".css" => "text/css; charset=utf-8",
        ".svg" => "image/svg+xml",
        ".png" => "image/png",
        ".json" => "application/json",
        _ => "application/octet-stream",
    };

    /// <summary>Headers on every response: the page runs only its own script, is never framed, never cached.</summary>
    public static void UseSecurityHeaders(WebApplication app) => app.Use(async (context, next) =>
    {
        var h = context.Response.Headers;
        h.ContentSecurityPolicy = ContentSecurityPolicy;
        h.XContentTypeOptions = "nosniff";
        h.XFrameOptions = "DENY";
        h["Referrer-Policy"] = "no-referrer";
        h.CacheControl = "no-store";
        await next();
    });
}

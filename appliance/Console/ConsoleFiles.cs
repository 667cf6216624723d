using System.Reflection;
using Redoubt.Api.Access;

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

    /// <summary>
    /// The sign-in page and what it loads: the only console files served without a session. They hold
    /// no data; every other page needs a signed-in user, and an anonymous browser is sent here.
    /// </summary>
    public static readonly string[] SignInFiles = ["/login.html", "/login.js", "/app.css"];

    public static void Map(WebApplication app)
    {
        var assembly = typeof(ConsoleFiles).Assembly;
        foreach (var name in assembly.GetManifestResourceNames())
        {
            if (!name.StartsWith("web-ui/", StringComparison.Ordinal)) continue;
            var bytes = Read(assembly, name);
            var path = "/" + name["web-ui/".Length..].Replace('\\', '/');
            var type = ContentType(path);
            Protect(app.MapGet(path, () => Results.Bytes(bytes, type)), path);
            if (path == "/index.html") Protect(app.MapGet("/", () => Results.Bytes(bytes, type)), path);
        }
    }

    private static void Protect(RouteHandlerBuilder endpoint, string path)
    {
        if (SignInFiles.Contains(path)) endpoint.AllowPublic();
        else if (path.EndsWith(".html", StringComparison.Ordinal)) endpoint.RequireSignedIn().WithMetadata(new ConsolePage());
        else endpoint.RequireSignedIn();
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
        h.CacheControl = "no-store"; // authenticated pages and API replies never sit in a cache
        // Always HTTPS. Browsers ignore this over a certificate they do not trust (RFC 6797 8.1), so a
        // self-signed dev run does not pin localhost; with an installed certificate it holds.
        h.StrictTransportSecurity = "max-age=31536000";
        await next();
    });
}

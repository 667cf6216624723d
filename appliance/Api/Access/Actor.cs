using System.Security.Claims;

namespace Redoubt.Api.Access;

/// <summary>
/// Who is acting, for audit fields ("who changed what"): the signed-in user's name, else the API
/// token's id ("api-token:ID"), else "unknown".
/// </summary>
public static class Actor
{
    public static string Of(HttpContext http)
    {
        if (http.Principal() is { } principal)
            return principal.Kind == PrincipalKind.User ? principal.Name : "api-token:" + principal.Name;
        var user = http.User;
        if (user.Identity is { IsAuthenticated: true, Name: { Length: > 0 } name }) return name;
        if (user.FindFirst(ClaimTypes.Name)?.Value is { Length: > 0 } n) return n;
        if (user.FindFirst("name")?.Value is { Length: > 0 } n2) return n2;
        if ((user.FindFirst("token_id") ?? user.FindFirst("tokenId") ?? user.FindFirst("token"))?.Value is { Length: > 0 } token) return "api-token:" + token;
        return "unknown";
    }
}

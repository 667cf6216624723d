using Microsoft.AspNetCore.Routing;

namespace Redoubt.Api.Access;

/// <summary>
/// Authentication, authorization and CSRF for every endpoint, after routing: each request is
/// checked against its endpoint's metadata (<see cref="RequiredScope"/>, <see cref="SignedInEndpoint"/>,
/// <see cref="PublicEndpoint"/>; none = admin), so endpoints added anywhere are covered without
/// opting in. A request without an endpoint (404) still needs credentials, so probing learns nothing.
/// Credentials: "Authorization: Bearer rdt_…" (API token) or the session cookie of a console
/// sign-in; a cookie session must also send its CSRF token on every state-changing request.
/// </summary>
public sealed class AccessMiddleware(RequestDelegate next, TokenStore tokens, SessionStore sessions, UserStore users, AuditLog audit, ILogger<AccessMiddleware> log)
{
    /// <summary>__Host- prefix: the browser keeps it only if Secure, Path=/ and host-only.</summary>
    public const string SessionCookie = "__Host-redoubt-session";
    public const string CsrfHeader = "X-CSRF-Token";

    private readonly record struct Authentication(AccessPrincipal? Principal, string? ErrorCode = null, string? ErrorMessage = null);

    public async Task InvokeAsync(HttpContext http)
    {
        var metadata = http.GetEndpoint()?.Metadata;
        var auth = await AuthenticateAsync(http);

        if (metadata?.GetMetadata<PublicEndpoint>() is not null)
        {
            // Anyone may call it; a valid caller is still made known (e.g. "am I signed in?").
            if (auth.Principal is { } p) http.SetPrincipal(p);
            await next(http);
            return;
        }

        if (auth.ErrorCode is { } code)
        {
            await Deny(http, StatusCodes.Status401Unauthorized, code, auth.ErrorMessage!);
            return;
        }
        if (auth.Principal is not { } principal)
        {
            if (metadata?.GetMetadata<ConsolePage>() is not null && HttpMethods.IsGet(http.Request.Method))
            {
                http.Response.Redirect("/login.html");
                return;
            }
            await Deny(http, StatusCodes.Status401Unauthorized, "unauthenticated", "sign in, or send an API token as 'Authorization: Bearer rdt_…'");
            return;
        }

        var scope = RequiredScopeOf(metadata);
        if (scope is not null && !principal.Has(scope))
        {
            log.LogWarning("denied {Actor} {Method} {Path}: needs scope {Scope}", principal.Actor, http.Request.Method, http.Request.Path, scope);
            await Deny(http, StatusCodes.Status403Forbidden, "forbidden", $"this needs the '{scope}' scope", scope);
            return;
        }

        if (principal.Kind == PrincipalKind.User && !IsSafe(http.Request.Method))
        {
            var sent = http.Request.Headers[CsrfHeader].ToString();
            if (sent.Length == 0)
            {
                await Deny(http, StatusCodes.Status403Forbidden, "csrf_token_missing", $"a signed-in browser must send the {CsrfHeader} header on every change");
                return;
            }
            if (!Secrets.FixedTimeEquals(sent, principal.CsrfToken!))
            {
                await Deny(http, StatusCodes.Status403Forbidden, "csrf_token_invalid", $"the {CsrfHeader} header does not match this session");
                return;
            }
        }

        http.SetPrincipal(principal);
        await next(http);
        await AuditRequestAsync(http, metadata, principal);
    }

    /// <summary>The scope a caller needs; null when signing in is enough. No metadata at all = admin.</summary>
    public static string? RequiredScopeOf(EndpointMetadataCollection? metadata)
    {
        if (metadata is null || metadata.GetMetadata<SignedInEndpoint>() is not null) return null;
        return metadata.GetMetadata<RequiredScope>()?.Scope ?? Scopes.Admin;
    }

    private async Task<Authentication> AuthenticateAsync(HttpContext http)
    {
        var authorization = http.Request.Headers.Authorization.ToString();
        if (authorization.Length > 0)
        {
            if (!authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
                return new(null, "unsupported_authorization", "only 'Authorization: Bearer <API token>' is accepted");
            var token = authorization["Bearer ".Length..].Trim();
            var check = tokens.Check(token, out var record);
            var address = http.ClientAddress()?.ToString();
            if (check == TokenCheck.Valid)
            {
                await tokens.NoteUseAsync(record);
                await audit.RecordOncePerHourAsync($"use {record.Id} {address}", "token:" + record.Id, "token.use", "ok", "token:" + record.Id, address,
                    $"first use this hour: {http.Request.Method} {http.Request.Path}");
                return new(AccessPrincipal.ForToken(record));
            }
            // Never the token itself: its id when it has one, else only that it was malformed.
            var id = TokenStore.IdOf(token);
            log.LogWarning("rejected API token {TokenId} from {Address}: {Reason}", id ?? "(malformed)", address, check);
            await audit.RecordOncePerHourAsync($"reject {id} {check} {address}", "anonymous", "token.rejected", "denied", id is null ? null : "token:" + id, address, check.ToString().ToLowerInvariant());
            return check switch
            {
                TokenCheck.Revoked => new(null, "token_revoked", "this API token has been revoked"),
                TokenCheck.Expired => new(null, "token_expired", "this API token has expired"),
                _ => new(null, "invalid_token", "this API token is not known"),
            };
        }

        if (http.Request.Cookies[SessionCookie] is { Length: > 0 } cookie)
        {
            if (sessions.TryGet(cookie, out var session, out var key) && users.TryGet(session.User, out var user) && !user.Disabled)
                return new(AccessPrincipal.ForUser(user, key, session));
            ClearSessionCookie(http); // stale: let the browser forget it
        }
        return new(null);
    }

    private async Task AuditRequestAsync(HttpContext http, EndpointMetadataCollection? metadata, AccessPrincipal principal)
    {
        var declared = metadata?.GetMetadata<AuditedEndpoint>();
        string action;
        if (declared is not null)
        {
            if (declared.Action is null) return;
            action = declared.Action;
        }
        else if (!IsSafe(http.Request.Method))
            action = $"{http.Request.Method} {(http.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? http.Request.Path.Value}";
        else return;

        try
        {
            await audit.RecordAsync(principal.Actor, action, ((int)http.Response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture),
                target: http.Request.Path.Value, address: http.ClientAddress()?.ToString());
        }
        catch (Exception e)
        {
            log.LogError(e, "could not write the audit entry for {Actor} {Action}", principal.Actor, action);
        }
    }

    public static bool IsSafe(string method) =>
        HttpMethods.IsGet(method) || HttpMethods.IsHead(method) || HttpMethods.IsOptions(method) || HttpMethods.IsTrace(method);

    public static void SetSessionCookie(HttpContext http, string value, DateTimeOffset expires) =>
        http.Response.Cookies.Append(SessionCookie, value, new CookieOptions
        {
            Secure = true,
            HttpOnly = true,
            SameSite = SameSiteMode.Strict,
            Path = "/",
            Expires = expires,
            IsEssential = true,
        });

    public static void ClearSessionCookie(HttpContext http) =>
        http.Response.Cookies.Delete(SessionCookie, new CookieOptions { Secure = true, HttpOnly = true, SameSite = SameSiteMode.Strict, Path = "/" });

    private static Task Deny(HttpContext http, int status, string code, string message, string? scope = null)
    {
        if (status == StatusCodes.Status401Unauthorized) http.Response.Headers.WWWAuthenticate = "Bearer realm=\"redoubt\"";
        return Results.Json(scope is null ? new { error = code, message } : new { error = code, message, requiredScope = scope }, statusCode: status)
            .ExecuteAsync(http);
    }
}

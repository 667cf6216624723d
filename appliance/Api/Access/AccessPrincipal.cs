namespace Redoubt.Api.Access;

/// <summary>
/// Who is calling: a signed-in user (browser session) or an API token. Endpoints read it with
/// <see cref="AccessHttpContext.Principal"/> to name the actor of what they record.
/// </summary>
public sealed class AccessPrincipal
{
    public required PrincipalKind Kind { get; init; }
    /// <summary>The user name, or the token id.</summary>
    public required string Name { get; init; }
    /// <summary>The user's role; null for a token.</summary>
    public string? Role { get; init; }
    public required IReadOnlySet<string> Scopes { get; init; }
    /// <summary>Session only: store key of the session and the CSRF token it expects.</summary>
    public string? SessionKey { get; init; }
    public string? CsrfToken { get; init; }
    public long? ExpiresAtMs { get; init; }

    /// <summary>"user:NAME" or "token:ID", as the audit log writes it.</summary>
    public string Actor => (Kind == PrincipalKind.User ? "user:" : "token:") + Name;

    public bool Has(string scope) => Scopes.Contains(scope) || Scopes.Contains(Access.Scopes.Admin);

    public static AccessPrincipal ForUser(UserRecord user, string sessionKey, SessionRecord session) => new()
    {
        Kind = PrincipalKind.User,
        Name = user.Name,
        Role = user.Role,
        Scopes = new HashSet<string>(Roles.ScopesOf(user.Role), StringComparer.Ordinal),
        SessionKey = sessionKey,
        CsrfToken = session.CsrfToken,
        ExpiresAtMs = session.ExpiresAtMs,
    };

    public static AccessPrincipal ForToken(TokenRecord token) => new()
    {
        Kind = PrincipalKind.Token,
        Name = token.Id,
        Scopes = new HashSet<string>(token.Scopes, StringComparer.Ordinal),
        ExpiresAtMs = token.ExpiresAtMs,
    };
}

public enum PrincipalKind { User, Token }

public static class AccessHttpContext
{
    private static readonly object Key = new();

    /// <summary>The authenticated caller; null only on public endpoints called anonymously.</summary>
    public static AccessPrincipal? Principal(this HttpContext http) => http.Items.TryGetValue(Key, out var p) ? (AccessPrincipal?)p : null;

    internal static void SetPrincipal(this HttpContext http, AccessPrincipal principal) => http.Items[Key] = principal;

    /// <summary>The caller's address as the audit log and lockout see it (IPv4-mapped addresses unmapped).</summary>
    public static System.Net.IPAddress? ClientAddress(this HttpContext http) =>
        http.Connection.RemoteIpAddress is { IsIPv4MappedToIPv6: true } a ? a.MapToIPv4() : http.Connection.RemoteIpAddress;
}

/// <summary>Configuration keys Access:*.</summary>
public sealed class AccessOptions
{
    /// <summary>How long a console sign-in lasts (absolute, not sliding).</summary>
    public double SessionHours { get; set; } = 8;
    /// <summary>Audit entries older than this are deleted (export them first if a site keeps more).</summary>
    public int AuditRetentionDays { get; set; } = 400;
    public LockoutOptions Lockout { get; set; } = new();
}

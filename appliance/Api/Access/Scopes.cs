namespace Redoubt.Api.Access;

/// <summary>
/// What a caller may do. Every endpoint declares the scope it needs with
/// <see cref="AccessMetadata.RequireScope{TBuilder}"/>; an endpoint that declares nothing is
/// admin-only, so forgetting a declaration fails closed. <see cref="Admin"/> implies every other
/// scope. Names are part of the API (tokens carry them): never rename.
/// </summary>
public static class Scopes
{
    public const string SummaryRead = "summary:read";
    public const string AlertsRead = "alerts:read";
    public const string AlertsWrite = "alerts:write";
    public const string EventsRead = "events:read";
    public const string GraphRead = "graph:read";
    public const string IngestWrite = "ingest:write";
    /// <summary>Uploading inventories and other imports (analyst work, not configuration).</summary>
    public const string ImportsWrite = "imports:write";
    public const string Admin = "admin";

    public static readonly string[] All = [SummaryRead, AlertsRead, AlertsWrite, EventsRead, GraphRead, IngestWrite, ImportsWrite, Admin];

    public static bool IsKnown(string scope) => Array.IndexOf(All, scope) >= 0;
}

/// <summary>Endpoint metadata: the scope a caller needs.</summary>
public sealed record RequiredScope(string Scope);

/// <summary>
/// Endpoint metadata: no credentials needed. Only /healthz, the sign-in and first-start setup
/// calls and the files of the sign-in page; the API security tests hold the exact list.
/// </summary>
public sealed record PublicEndpoint;

/// <summary>Endpoint metadata: anyone signed in, whatever the role (console pages, own session, logout).</summary>
public sealed record SignedInEndpoint;

/// <summary>Endpoint metadata: a console page; an anonymous browser is sent to the sign-in page instead of a 401.</summary>
public sealed record ConsolePage;

/// <summary>
/// Endpoint metadata for the audit log. State-changing requests (POST, PUT, PATCH, DELETE) are
/// audited by default; <see cref="Action"/> names the entry, or a null action opts out (ingest, whose
/// use is audited as token use). A GET is audited only when it declares an action (exports).
/// </summary>
public sealed record AuditedEndpoint(string? Action);

public static class AccessMetadata
{
    public static TBuilder RequireScope<TBuilder>(this TBuilder builder, string scope) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new RequiredScope(scope));

    public static TBuilder AllowPublic<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new PublicEndpoint());

    public static TBuilder RequireSignedIn<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new SignedInEndpoint());

    /// <summary>Records an audit entry named <paramref name="action"/> for each call (use on exports).</summary>
    public static TBuilder Audited<TBuilder>(this TBuilder builder, string action) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new AuditedEndpoint(action));

    /// <summary>A state-changing endpoint whose calls are too many to audit one by one (ingest).</summary>
    public static TBuilder NotAudited<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new AuditedEndpoint(null));
}

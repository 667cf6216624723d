namespace Redoubt.Api.Access;

/// <summary>
/// What an API token may do. Every endpoint declares the scope it needs with
/// <see cref="AccessMetadata.RequireScope{TBuilder}"/>; an endpoint that declares nothing is
/// admin-only, so forgetting a declaration fails closed. Names are part of the API: never rename.
/// </summary>
public static class Scopes
{
    public const string SummaryRead = "summary:read";
    public const string AlertsRead = "alerts:read";
    public const string AlertsWrite = "alerts:write";
    public const string EventsRead = "events:read";
    public const string GraphRead = "graph:read";
    public const string IngestWrite = "ingest:write";
    public const string Admin = "admin";

    public static readonly string[] All = [SummaryRead, AlertsRead, AlertsWrite, EventsRead, GraphRead, IngestWrite, Admin];
}

/// <summary>Endpoint metadata: the scope a caller needs.</summary>
public sealed record RequiredScope(string Scope);

/// <summary>Endpoint metadata: no credentials needed (only /healthz).</summary>
public sealed record PublicEndpoint;

public static class AccessMetadata
{
    public static TBuilder RequireScope<TBuilder>(this TBuilder builder, string scope) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new RequiredScope(scope));

    public static TBuilder AllowPublic<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new PublicEndpoint());
}

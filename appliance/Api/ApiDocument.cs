using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Redoubt.Api.Access;

namespace Redoubt.Api;

/// <summary>
/// The OpenAPI document of the whole API (GET /api/v1/openapi.json, any signed-in caller; the copy kept in
/// the repo is docs/openapi.json, which a test holds equal to what the appliance serves). ASP.NET's
/// generator describes the endpoints it can see; every other mapped endpoint (handlers written as
/// RequestDelegates) is added from the EndpointDataSource, so nothing the appliance answers is left out.
/// Each operation says the scope it needs (x-redoubt-scope, and a bearer security requirement); console
/// pages and their files are not API and are left out.
/// </summary>
public static partial class ApiDocument
{
    /// <summary>Endpoint metadata: a query parameter the handler reads itself, which the generator cannot see.</summary>
    public sealed record QueryParameter(string Name, string Description);

    public static TBuilder WithQuery<TBuilder>(this TBuilder builder, string name, string description) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new QueryParameter(name, description));

    public const string Path = "/api/v1/openapi.json";
    private const string Bearer = "bearer";

    public static void AddServices(IServiceCollection services) => services.AddOpenApi("v1", o =>
    {
        o.ShouldInclude = d => IsApi("/" + d.RelativePath);
        o.AddDocumentTransformer((doc, context, _) =>
        {
            Complete(doc, context.ApplicationServices.GetRequiredService<EndpointDataSource>());
            return Task.CompletedTask;
        });
    });

    public static void Map(WebApplication app) =>
        app.MapOpenApi(Path).RequireSignedIn().WithSummary("This document: the OpenAPI description of the whole API");

    /// <summary>The API: /api/…, /healthz and /metrics; the rest are the console's pages and files.</summary>
    public static bool IsApi(string path) => path.StartsWith("/api/", StringComparison.Ordinal) || path is "/healthz" or "/metrics";

    [GeneratedRegex(@"\{\*?([A-Za-z0-9_]+)[^}]*\}")]
    private static partial Regex Parameter();

    /// <summary>The OpenAPI form of a route pattern: parameters without their constraints.</summary>
    public static string PathOf(string pattern) => "/" + Parameter().Replace(pattern, "{$1}").TrimStart('/');

    private static void Complete(OpenApiDocument doc, EndpointDataSource endpoints)
    {
        doc.Info = new OpenApiInfo
        {
            Title = "Redoubt appliance API",
            Version = "v1",
            Description = "Every call but GET /healthz and the sign-in calls needs credentials: an API token as 'Authorization: Bearer rdt_…' " +
                "(its scopes decide what it may call; x-redoubt-scope names each operation's), or a console session cookie with the X-CSRF-Token header on changes. " +
                "Errors are JSON {error, message} with a stable error code.",
        };
        doc.Servers = []; // the address is the site's, not the document's
        doc.Components ??= new OpenApiComponents();
        doc.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        doc.Components.SecuritySchemes[Bearer] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "bearer",
            Description = "An API token (rdt_…) created in the console or with `redoubt token create`; stored hashed, shown once.",
        };
        doc.Paths ??= new OpenApiPaths();
        foreach (var endpoint in endpoints.Endpoints.OfType<RouteEndpoint>().OrderBy(e => e.RoutePattern.RawText, StringComparer.Ordinal))
        {
            var path = PathOf(endpoint.RoutePattern.RawText ?? "");
            if (!IsApi(path)) continue;
            var methods = endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? ["GET"];
            if (!doc.Paths.TryGetValue(path, out var item))
            {
                item = new OpenApiPathItem();
                doc.Paths[path] = item;
            }
            foreach (var method in methods)
            {
                var http = new HttpMethod(method);
                if (item.Operations?.TryGetValue(http, out var existing) != true || existing is null)
                {
                    existing = new OpenApiOperation
                    {
                        Summary = endpoint.Metadata.GetMetadata<IEndpointSummaryMetadata>()?.Summary,
                        Parameters = endpoint.RoutePattern.Parameters.Select(p => (IOpenApiParameter)new OpenApiParameter
                        {
                            Name = p.Name, In = ParameterLocation.Path, Required = true, Schema = new OpenApiSchema { Type = JsonSchemaType.String },
                        }).ToList(),
                        Responses = new OpenApiResponses { ["200"] = new OpenApiResponse { Description = "OK" } },
                    };
                    ((OpenApiPathItem)item).AddOperation(http, existing);
                }
                Describe(doc, existing, endpoint.Metadata, path);
            }
        }
    }

    /// <summary>Tag by area, and who may call it: public, any signed-in caller, or a scope.</summary>
    private static void Describe(OpenApiDocument doc, OpenApiOperation op, EndpointMetadataCollection metadata, string path)
    {
        var parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var tag = parts is ["api", "v1", var area, ..] ? area : parts.FirstOrDefault() ?? "root";
        op.Tags = new HashSet<OpenApiTagReference> { new(tag, doc) };
        string access;
        if (metadata.GetMetadata<PublicEndpoint>() is not null)
        {
            access = "public";
            op.Security = [];
        }
        else
        {
            access = AccessMiddleware.RequiredScopeOf(metadata) ?? "signed-in";
            op.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(Bearer, doc)] = access == "signed-in" ? [] : [access] }];
        }
        foreach (var q in metadata.GetOrderedMetadata<QueryParameter>())
        {
            op.Parameters ??= new List<IOpenApiParameter>();
            if (op.Parameters.Any(p => p.Name == q.Name)) continue;
            op.Parameters.Add(new OpenApiParameter { Name = q.Name, In = ParameterLocation.Query, Description = q.Description, Schema = new OpenApiSchema { Type = JsonSchemaType.String } });
        }
        op.Extensions ??= new Dictionary<string, IOpenApiExtension>();
        op.Extensions["x-redoubt-scope"] = new JsonNodeExtension(JsonValue.Create(access));
    }
}

using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Redoubt.Api;
using Redoubt.Api.Access;
using Redoubt.Tests.Api.Access;
using Redoubt.Tests.Support;

namespace Redoubt.Tests.Api;

/// <summary>
/// Issue 7 item 15: the OpenAPI document the appliance serves covers every API endpoint it maps (read
/// from the real host's EndpointDataSource), states the access each needs exactly as the middleware
/// enforces it, and equals docs/openapi.json, the copy kept in the repository. After changing the API,
/// regenerate the copy with REDOUBT_UPDATE_OPENAPI=1 dotnet test --filter OpenApiDocumentTests.
/// </summary>
[Collection(SecuredApplianceCollection.Name)]
public sealed class OpenApiDocumentTests(SecuredAppliance fixture)
{
    private static string RepoCopy => Path.Combine(Repo.Root, "docs", "openapi.json");

    private async Task<JsonNode> ServedAsync()
    {
        var text = await fixture.App.Http.GetStringAsync(ApiDocument.Path);
        return JsonNode.Parse(text)!;
    }

    private static string Canonical(JsonNode doc) => doc.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";

    [Fact]
    public async Task Every_api_endpoint_is_in_the_document_with_the_access_it_needs()
    {
        var paths = (await ServedAsync())["paths"]!.AsObject();
        var failures = new List<string>();
        var api = fixture.Routes.Where(r => ApiDocument.IsApi(ApiDocument.PathOf(r.Pattern))).ToList();
        Assert.Contains(api, r => r.ToString() == "GET /api/v1/summary");
        foreach (var route in api)
        {
            var op = paths[ApiDocument.PathOf(route.Pattern)]?[route.Method.ToLowerInvariant()];
            if (op is null) { failures.Add($"{route}: not in the document"); continue; }
            var expected = route.Metadata.GetMetadata<PublicEndpoint>() is not null ? "public" : AccessMiddleware.RequiredScopeOf(route.Metadata) ?? "signed-in";
            var stated = op["x-redoubt-scope"]?.GetValue<string>();
            if (stated != expected) failures.Add($"{route}: document says {stated ?? "nothing"}, the middleware needs {expected}");
        }
        // Nothing described that the appliance does not answer, and no console page in the API.
        var mapped = api.Select(r => ApiDocument.PathOf(r.Pattern) + " " + r.Method.ToLowerInvariant()).ToHashSet();
        foreach (var (path, item) in paths)
            foreach (var (method, _) in item!.AsObject().Where(p => p.Key is "get" or "post" or "put" or "patch" or "delete"))
                if (!mapped.Contains(path + " " + method)) failures.Add($"{method.ToUpperInvariant()} {path}: described but not mapped");
        Assert.True(failures.Count == 0, string.Join("\n", failures));
        Assert.DoesNotContain(paths, p => p.Key.EndsWith(".html", StringComparison.Ordinal));
        // Query parameters the handlers read themselves are described too.
        var summaryParameters = paths["/api/v1/summary"]!["get"]!["parameters"]!.AsArray().Select(p => (p!["name"]!.GetValue<string>(), p["in"]!.GetValue<string>()));
        Assert.Equal([("since", "query"), ("until", "query")], summaryParameters);
        var alertParameters = paths["/api/v1/alerts"]!["get"]!["parameters"]!.AsArray().Select(p => p!["name"]!.GetValue<string>());
        Assert.Contains("updatedSince", alertParameters);
        Assert.Contains("cursor", alertParameters);
    }

    [Fact]
    public async Task The_document_needs_a_signed_in_caller_and_any_token_may_read_it()
    {
        using var anonymous = fixture.App.NewClient();
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync(ApiDocument.Path)).StatusCode);
        using var soc = fixture.App.NewClient(bearer: await fixture.TokenAsync(Scopes.SummaryRead));
        var doc = JsonNode.Parse(await soc.GetStringAsync(ApiDocument.Path))!;
        Assert.StartsWith("3.", doc["openapi"]!.GetValue<string>());
        Assert.Equal("bearer", doc["components"]!["securitySchemes"]!["bearer"]!["scheme"]!.GetValue<string>());
    }

    [Fact]
    public async Task The_copy_in_the_repository_is_the_served_document()
    {
        var served = Canonical(await ServedAsync());
        if (Environment.GetEnvironmentVariable("REDOUBT_UPDATE_OPENAPI") == "1") File.WriteAllText(RepoCopy, served);
        Assert.True(File.Exists(RepoCopy), $"{RepoCopy} is missing: run the tests with REDOUBT_UPDATE_OPENAPI=1 to write it");
        var kept = File.ReadAllText(RepoCopy).ReplaceLineEndings("\n");
        Assert.True(kept == served, "docs/openapi.json differs from what the appliance serves: the API changed. " +
            "Regenerate it with REDOUBT_UPDATE_OPENAPI=1 dotnet test Appliance.sln --filter OpenApiDocumentTests and commit it.");
    }
}

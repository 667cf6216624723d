using System.Text.Json;

namespace Redoubt.Api.Access;

/// <summary>API tokens (/api/v1/tokens, admin only). The token itself is in the creation reply and nowhere else, ever.</summary>
public static class TokenEndpoints
{
    public const int DefaultDays = 90;
    public const int MaxDays = 3650;
    private static readonly JsonSerializerOptions WebJson = new(JsonSerializerDefaults.Web);

    public sealed record NewToken(string? Name, string[]? Scopes, int? ExpiresInDays);

    public static void Map(IEndpointRouteBuilder app)
    {
        var tokens = app.MapGroup("/api/v1");
        tokens.MapGet("/tokens", List);
        tokens.MapPost("/tokens", Create).NotAudited();
        tokens.MapDelete("/tokens/{id}", Revoke).NotAudited();
    }

    internal static object Json(TokenRecord t, DateTimeOffset now) => new
    {
        id = t.Id,
        name = t.Name,
        scopes = t.Scopes,
        createdBy = t.CreatedBy,
        createdAt = AccessJson.Iso(t.CreatedAtMs),
        expiresAt = AccessJson.Iso(t.ExpiresAtMs),
        revokedAt = AccessJson.Iso(t.RevokedAtMs),
        revokedBy = t.RevokedBy,
        lastUsedAt = AccessJson.Iso(t.LastUsedAtMs),
        state = t.RevokedAtMs is not null ? "revoked" : t.ExpiresAtMs <= now.ToUnixTimeMilliseconds() ? "expired" : "active",
    };

    private static IResult List(TokenStore tokens, TimeProvider clock) =>
        Results.Json(new { tokens = tokens.List().Select(t => Json(t, clock.GetUtcNow())) });

    private static Task<IResult> Create(HttpContext http, TokenStore tokens, AuditLog audit, TimeProvider clock) => AccessJson.Guard(async () =>
    {
        var body = await AccessJson.ReadAsync<NewToken>(http.Request);
        var days = body.ExpiresInDays ?? DefaultDays;
        if (days is < 1 or > MaxDays) throw AccessException.BadRequest("invalid_expiry", $"expiresInDays must be 1 to {MaxDays}");
        var actor = http.Principal()!.Actor;
        var now = clock.GetUtcNow();
        var (token, record) = await tokens.CreateAsync(body.Name ?? "", body.Scopes ?? [], now.AddDays(days), actor);
        await audit.RecordAsync(actor, "token.create", target: "token:" + record.Id, address: http.ClientAddress()?.ToString(),
            detail: $"'{record.Name}', scopes {string.Join(' ', record.Scopes)}, expires {AccessJson.Iso(record.ExpiresAtMs)}");
        // The one and only time the token leaves the appliance: first in the reply, beside its description.
        var reply = JsonSerializer.SerializeToNode(Json(record, now), WebJson)!.AsObject();
        reply.Insert(0, "token", token);
        return Results.Json(reply, statusCode: 201);
    });

    private static Task<IResult> Revoke(string id, HttpContext http, TokenStore tokens, AuditLog audit, TimeProvider clock) => AccessJson.Guard(async () =>
    {
        var actor = http.Principal()!.Actor;
        var record = await tokens.RevokeAsync(id, actor);
        await audit.RecordAsync(actor, "token.revoke", target: "token:" + record.Id, address: http.ClientAddress()?.ToString(), detail: $"'{record.Name}'");
        return Results.Json(Json(record, clock.GetUtcNow()));
    });
}

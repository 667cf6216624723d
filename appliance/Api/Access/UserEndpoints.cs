namespace Redoubt.Api.Access;

/// <summary>Console users (/api/v1/users, admin only: these endpoints declare no scope on purpose).</summary>
public static class UserEndpoints
{
    public sealed record NewUser(string? Name, string? Role, string? Password);
    public sealed record UserChange(string? Role, bool? Disabled);
    public sealed record PasswordSet(string? Password);

    public static void Map(IEndpointRouteBuilder app)
    {
        var users = app.MapGroup("/api/v1"); // full tails below: a group route "" would end its pattern in a slash
        users.MapGet("/users", List);
        users.MapPost("/users", Create).NotAudited();
        users.MapPatch("/users/{name}", Change).NotAudited();
        users.MapPost("/users/{name}/password", SetPassword).NotAudited();
    }

    internal static object Json(UserRecord u) => new
    {
        name = u.Name,
        role = u.Role,
        disabled = u.Disabled,
        createdAt = AccessJson.Iso(u.CreatedAtMs),
        createdBy = u.CreatedBy,
        passwordChangedAt = AccessJson.Iso(u.PasswordChangedAtMs),
        lastLoginAt = AccessJson.Iso(u.LastLoginAtMs),
    };

    private static IResult List(UserStore users) => Results.Json(new { users = users.List().Select(Json) });

    private static Task<IResult> Create(HttpContext http, UserStore users, AuditLog audit) => AccessJson.Guard(async () =>
    {
        var body = await AccessJson.ReadAsync<NewUser>(http.Request);
        var actor = http.Principal()!.Actor;
        var user = await users.CreateAsync(body.Name ?? "", body.Role ?? "", body.Password ?? "", actor);
        await audit.RecordAsync(actor, "user.create", target: "user:" + user.Name, address: http.ClientAddress()?.ToString(), detail: "role " + user.Role);
        return Results.Json(Json(user), statusCode: 201);
    });

    private static Task<IResult> Change(string name, HttpContext http, UserStore users, SessionStore sessions, AuditLog audit) => AccessJson.Guard(async () =>
    {
        var body = await AccessJson.ReadAsync<UserChange>(http.Request);
        if (body.Role is null && body.Disabled is null) throw AccessException.BadRequest("nothing_to_change", "send 'role' and/or 'disabled'");
        var before = users.TryGet(name, out var b) ? $"role {b.Role}{(b.Disabled ? ", disabled" : "")}" : null;
        var user = await users.ChangeAsync(name, body.Role, body.Disabled);
        var ended = user.Disabled ? await sessions.DeleteAllOfAsync(user.Name) : 0;
        var after = $"role {user.Role}{(user.Disabled ? ", disabled" : "")}";
        await audit.RecordAsync(http.Principal()!.Actor, "user.change", target: "user:" + user.Name, address: http.ClientAddress()?.ToString(),
            detail: $"{before} -> {after}" + (ended > 0 ? $"; {ended} session(s) ended" : ""));
        return Results.Json(Json(user));
    });

    private static Task<IResult> SetPassword(string name, HttpContext http, UserStore users, SessionStore sessions, AuditLog audit) => AccessJson.Guard(async () =>
    {
        var body = await AccessJson.ReadAsync<PasswordSet>(http.Request);
        var user = await users.SetPasswordAsync(name, body.Password ?? "");
        var ended = await sessions.DeleteAllOfAsync(user.Name);
        await audit.RecordAsync(http.Principal()!.Actor, "user.password", target: "user:" + user.Name, address: http.ClientAddress()?.ToString(),
            detail: $"set by an admin; {ended} session(s) ended");
        return Results.Json(Json(user));
    });
}

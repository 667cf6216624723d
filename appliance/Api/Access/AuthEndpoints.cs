using Microsoft.Extensions.Options;

namespace Redoubt.Api.Access;

/// <summary>
/// First-start setup, sign-in and sign-out, the caller's own session and password
/// (/api/v1/auth/…). Each records its own audit entries, with reasons; the generic request audit is off here.
/// </summary>
public static class AuthEndpoints
{
    public sealed record SetupRequest(string? SetupCode, string? User, string? Password);
    public sealed record LoginRequest(string? User, string? Password);
    public sealed record PasswordChange(string? CurrentPassword, string? NewPassword);

    public static void Map(IEndpointRouteBuilder app)
    {
        var auth = app.MapGroup("/api/v1/auth");
        auth.MapGet("/state", State).AllowPublic();
        auth.MapPost("/setup", Setup).AllowPublic();
        auth.MapPost("/login", Login).AllowPublic();
        auth.MapPost("/logout", Logout).RequireSignedIn().NotAudited();
        auth.MapGet("/session", Session).RequireSignedIn();
        auth.MapPost("/password", ChangePassword).RequireSignedIn().NotAudited();
    }

    private static IResult State(HttpContext http, SetupCode setup, UserStore users) => Results.Json(new
    {
        setupRequired = setup.Pending && !users.AnyEnabledAdmin(),
        signedIn = http.Principal() is not null,
    });

    private static Task<IResult> Setup(HttpContext http, SetupCode setup, UserStore users, SessionStore sessions, LoginThrottle throttle,
        AuditLog audit, IOptions<AccessOptions> options, TimeProvider clock) => AccessJson.Guard(async () =>
    {
        var body = await AccessJson.ReadAsync<SetupRequest>(http.Request);
        var address = http.ClientAddress();
        if (!setup.Pending || users.AnyEnabledAdmin())
            throw AccessException.Conflict("setup_done", "this appliance already has an admin; sign in instead");
        // One name for the setup code: guesses from many addresses meet in its user-wide backstop.
        const string throttleKey = "(setup)";
        if (Locked(http, throttle, throttleKey, address) is { } locked) return locked;
        var held = await HoldAsync(http, throttle, throttleKey, clock);
        if (!setup.Matches(body.SetupCode))
        {
            var effect = throttle.Failed(throttleKey, address);
            await audit.RecordAsync("anonymous", "setup", "failed", address: address?.ToString(), detail: "wrong setup code" + Held(held));
            await AuditThrottleAsync(audit, effect, "setup code", address, options.Value.Lockout);
            throw new AccessException(403, "bad_setup_code", "that is not the setup code printed in the appliance's log");
        }
        var user = await users.CreateFirstAdminAsync(body.User ?? "", body.Password ?? "");
        setup.Consume();
        await audit.RecordAsync("user:" + user.Name, "setup", "ok", target: "user:" + user.Name, address: address?.ToString(), detail: "first admin created");
        return await SignInAsync(http, user, sessions, options.Value);
    });

    private static Task<IResult> Login(HttpContext http, UserStore users, SessionStore sessions, LoginThrottle throttle, AuditLog audit,
        IOptions<AccessOptions> options, TimeProvider clock) => AccessJson.Guard(async () =>
    {
        var body = await AccessJson.ReadAsync<LoginRequest>(http.Request);
        var name = (body.User ?? "").Trim();
        var password = body.Password ?? "";
        var address = http.ClientAddress();
        if (name.Length is 0 or > 64 || password.Length is 0 or > PasswordHasher.MaxLength)
            throw AccessException.BadRequest("invalid_login", "send a user name and a password");
        if (Locked(http, throttle, name, address) is { } locked)
        {
            await audit.RecordAsync("anonymous", "login", "denied", target: "user:" + name, address: address?.ToString(),
                detail: "locked out from this address after failed attempts");
            return locked;
        }
        var held = await HoldAsync(http, throttle, name, clock);

        if (!users.TryGet(name, out var user))
        {
            PasswordHasher.VerifyNothing(password); // same time as a real check: no user enumeration by timing
            return await FailedAsync("unknown user");
        }
        if (!PasswordHasher.Verify(password, user.PasswordHash)) return await FailedAsync("wrong password");
        if (user.Disabled)
        {
            await audit.RecordAsync("anonymous", "login", "failed", target: "user:" + user.Name, address: address?.ToString(), detail: "account disabled" + Held(held));
            throw new AccessException(403, "account_disabled", "this account is disabled; ask an admin");
        }

        throttle.Succeeded(name, address);
        var rehash = PasswordHasher.NeedsRehash(user.PasswordHash) ? PasswordHasher.Hash(password) : null;
        user = await users.UpdateAsync(user.Name, u =>
        {
            u.LastLoginAtMs = clock.GetUtcNow().ToUnixTimeMilliseconds();
            if (rehash is not null) u.PasswordHash = rehash;
        });
        await audit.RecordAsync("user:" + user.Name, "login", "ok", target: "user:" + user.Name, address: address?.ToString(),
            detail: held > TimeSpan.Zero ? Held(held)[2..] : null);
        return await SignInAsync(http, user, sessions, options.Value);

        async Task<IResult> FailedAsync(string why)
        {
            var effect = throttle.Failed(name, address);
            await audit.RecordAsync("anonymous", "login", "failed", target: "user:" + name, address: address?.ToString(), detail: why + Held(held));
            await AuditThrottleAsync(audit, effect, "user:" + name, address, options.Value.Lockout);
            return Results.Json(new { error = "bad_credentials", message = "the user name or the password is wrong" }, statusCode: 401);
        }
    });

    private static async Task<IResult> Logout(HttpContext http, SessionStore sessions, AuditLog audit)
    {
        var p = http.Principal()!;
        if (p.SessionKey is null) return Results.Json(new { error = "session_required", message = "an API token has no session to end; revoke it instead" }, statusCode: 400);
        await sessions.DeleteAsync(p.SessionKey);
        AccessMiddleware.ClearSessionCookie(http);
        await audit.RecordAsync(p.Actor, "logout", address: http.ClientAddress()?.ToString());
        return Results.NoContent();
    }

    private static IResult Session(HttpContext http)
    {
        var p = http.Principal()!;
        return Results.Json(new
        {
            kind = p.Kind == PrincipalKind.User ? "user" : "token",
            name = p.Name,
            role = p.Role,
            scopes = p.Scopes.Order(StringComparer.Ordinal),
            csrfToken = p.CsrfToken,
            expiresAt = AccessJson.Iso(p.ExpiresAtMs),
        });
    }

    private static Task<IResult> ChangePassword(HttpContext http, UserStore users, SessionStore sessions, LoginThrottle throttle, AuditLog audit,
        IOptions<AccessOptions> options, TimeProvider clock) => AccessJson.Guard(async () =>
    {
        var p = http.Principal()!;
        if (p.Kind != PrincipalKind.User) throw AccessException.BadRequest("session_required", "only a signed-in user changes their password");
        var body = await AccessJson.ReadAsync<PasswordChange>(http.Request);
        var address = http.ClientAddress();
        if (Locked(http, throttle, p.Name, address) is { } locked) return locked;
        var held = await HoldAsync(http, throttle, p.Name, clock);
        if (!users.TryGet(p.Name, out var user) || !PasswordHasher.Verify(body.CurrentPassword ?? "", user.PasswordHash))
        {
            var effect = throttle.Failed(p.Name, address);
            await audit.RecordAsync(p.Actor, "password.change", "failed", target: p.Actor, address: address?.ToString(), detail: "wrong current password" + Held(held));
            await AuditThrottleAsync(audit, effect, p.Actor, address, options.Value.Lockout);
            throw new AccessException(403, "bad_credentials", "the current password is wrong");
        }
        user = await users.SetPasswordAsync(user.Name, body.NewPassword ?? "");
        var ended = await sessions.DeleteAllOfAsync(user.Name);
        await audit.RecordAsync(p.Actor, "password.change", target: p.Actor, address: address?.ToString(), detail: $"{ended} session(s) ended");
        return await SignInAsync(http, user, sessions, options.Value); // this browser stays signed in, on a new session
    });

    private static async Task<IResult> SignInAsync(HttpContext http, UserRecord user, SessionStore sessions, AccessOptions options)
    {
        var (cookie, session) = await sessions.CreateAsync(user.Name, http.ClientAddress()?.ToString(), TimeSpan.FromHours(options.SessionHours));
        var expires = DateTimeOffset.FromUnixTimeMilliseconds(session.ExpiresAtMs);
        AccessMiddleware.SetSessionCookie(http, cookie, expires);
        return Results.Json(new
        {
            kind = "user",
            name = user.Name,
            role = user.Role,
            scopes = Roles.ScopesOf(user.Role),
            csrfToken = session.CsrfToken,
            expiresAt = AccessJson.Iso(session.ExpiresAtMs),
        });
    }

    /// <summary>The user-wide backstop: holds this attempt before its password is checked (every attempt, right or wrong, so the hold tells nothing).</summary>
    private static async Task<TimeSpan> HoldAsync(HttpContext http, LoginThrottle throttle, string user, TimeProvider clock)
    {
        var hold = throttle.SlowdownFor(user);
        if (hold > TimeSpan.Zero) await Task.Delay(hold, clock, http.RequestAborted);
        return hold;
    }

    private static string Held(TimeSpan held) => held > TimeSpan.Zero ? $"; held {Seconds(held.TotalSeconds)} s by the user-wide backstop" : "";

    private static string Seconds(double s) => s.ToString("0.#", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Audits a lock or a longer hold that a failure set off (outcome locked / slowed), so an admin sees the throttle at work.</summary>
    private static async Task AuditThrottleAsync(AuditLog audit, LoginThrottle.FailureEffect effect, string target, System.Net.IPAddress? address, LockoutOptions lockout)
    {
        var from = address?.ToString() ?? "an unknown address";
        if (effect.Locked > TimeSpan.Zero)
            await audit.RecordAsync("system", "login.throttle", "locked", target: target, address: address?.ToString(), detail: effect.AddressWide
                ? $"too many failed attempts from {from}: no sign-in from it for {Seconds(effect.Locked.TotalSeconds)} s"
                : $"too many failed attempts from {from}: {target} may not sign in from it for {Seconds(effect.Locked.TotalSeconds)} s (other addresses are not locked)");
        if (effect.SlowdownGrew)
            await audit.RecordAsync("system", "login.throttle", "slowed", target: target, address: address?.ToString(),
                detail: $"{effect.UserFailures} failed attempts from all addresses: every attempt for {target} is held " +
                        $"{Seconds(effect.Slowdown.TotalSeconds)} s (at most {Seconds(lockout.BackstopMaxDelaySeconds)} s) before its password is checked");
    }

    private static IResult? Locked(HttpContext http, LoginThrottle throttle, string user, System.Net.IPAddress? address)
    {
        var wait = throttle.LockedFor(user, address);
        if (wait <= TimeSpan.Zero) return null;
        var seconds = (int)Math.Ceiling(wait.TotalSeconds);
        http.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return Results.Json(new { error = "locked_out", message = $"too many failed attempts; try again in {seconds} s", retryAfterSeconds = seconds }, statusCode: 429);
    }
}

using Microsoft.Extensions.Options;

namespace Redoubt.Api.Access;

/// <summary>Wires the access layer into the host: services, endpoints, and the first-start check.</summary>
public static class AccessSetup
{
    public static void AddServices(IServiceCollection services, AccessOptions options)
    {
        services.AddSingleton(Options.Create(options));
        services.AddSingleton<UserStore>();
        services.AddSingleton<SessionStore>();
        services.AddSingleton<TokenStore>();
        services.AddSingleton<AuditLog>();
        services.AddSingleton<SetupCode>();
        services.AddSingleton(sp => new LoginThrottle(sp.GetRequiredService<TimeProvider>(), options.Lockout));
        services.AddHostedService<AccessMaintenance>();
    }

    public static void MapEndpoints(IEndpointRouteBuilder app)
    {
        AuthEndpoints.Map(app);
        UserEndpoints.Map(app);
        TokenEndpoints.Map(app);
        AuditEndpoints.Map(app);
    }

    /// <summary>Before listening: with no admin yet, make the setup code (printed once listening).</summary>
    public static void Prepare(WebApplication app, string consoleUrl)
    {
        var users = app.Services.GetRequiredService<UserStore>();
        if (users.AnyEnabledAdmin()) return;
        var code = app.Services.GetRequiredService<SetupCode>().Issue();
        // Whoever reads this log (journald, on the box) is trusted to create the first admin.
        app.Lifetime.ApplicationStarted.Register(() => app.Logger.LogWarning(
            "first start: there is no admin yet. Open {Console} and enter setup code {SetupCode} with the admin's user name and password. " +
            "The code works once and changes at every start until setup is done; `redoubt admin reset-password` recovers a lost admin password later.",
            consoleUrl, code));
    }
}

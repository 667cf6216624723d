namespace Redoubt.Api.Access;

/// <summary>
/// A console user's role and the scopes it grants. Viewer reads; analyst also triages, queries and
/// imports; admin does everything (sources, users, tokens, rules, settings). Names are stored with
/// each user: never rename.
/// </summary>
public static class Roles
{
    public const string Admin = "admin";
    public const string Analyst = "analyst";
    public const string Viewer = "viewer";

    public static readonly string[] All = [Admin, Analyst, Viewer];

    private static readonly string[] ViewerScopes = [Scopes.SummaryRead, Scopes.AlertsRead, Scopes.EventsRead, Scopes.GraphRead];
    private static readonly string[] AnalystScopes = [.. ViewerScopes, Scopes.AlertsWrite, Scopes.ImportsWrite];

    public static bool IsKnown(string role) => Array.IndexOf(All, role) >= 0;

    public static IReadOnlyList<string> ScopesOf(string role) => role switch
    {
        Admin => Scopes.All,
        Analyst => AnalystScopes,
        Viewer => ViewerScopes,
        _ => [], // an unknown role (a newer store?) grants nothing
    };
}

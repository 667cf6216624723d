using Redoubt.Api.Access;

namespace Redoubt.Tests.Api.Access;

public sealed class RolesTests
{
    [Fact]
    public void A_viewer_only_reads()
    {
        var scopes = Roles.ScopesOf(Roles.Viewer);
        Assert.Equal([Scopes.AlertsRead, Scopes.EventsRead, Scopes.GraphRead, Scopes.SummaryRead], scopes.Order(StringComparer.Ordinal));
        Assert.All(scopes, s => Assert.EndsWith(":read", s));
    }

    [Fact]
    public void An_analyst_also_triages_and_imports_but_administers_nothing()
    {
        var scopes = Roles.ScopesOf(Roles.Analyst);
        Assert.Contains(Scopes.AlertsWrite, scopes);
        Assert.Contains(Scopes.ImportsWrite, scopes);
        Assert.DoesNotContain(Scopes.Admin, scopes);
        Assert.DoesNotContain(Scopes.IngestWrite, scopes); // sending events is for agents' tokens
    }

    [Fact]
    public void An_admin_holds_every_scope_and_an_unknown_role_none()
    {
        Assert.Equal(Scopes.All, Roles.ScopesOf(Roles.Admin));
        Assert.Empty(Roles.ScopesOf("superuser"));
    }

    [Fact]
    public void The_admin_scope_implies_every_other_scope()
    {
        var admin = new AccessPrincipal { Kind = PrincipalKind.Token, Name = "t", Scopes = new HashSet<string> { Scopes.Admin } };
        Assert.All(Scopes.All, s => Assert.True(admin.Has(s)));
        var reader = new AccessPrincipal { Kind = PrincipalKind.Token, Name = "t", Scopes = new HashSet<string> { Scopes.EventsRead } };
        Assert.True(reader.Has(Scopes.EventsRead));
        Assert.False(reader.Has(Scopes.SummaryRead));
        Assert.False(reader.Has(Scopes.Admin));
    }
}

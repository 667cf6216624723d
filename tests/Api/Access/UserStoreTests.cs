using Microsoft.Extensions.Time.Testing;
using Redoubt.Api.Access;

namespace Redoubt.Tests.Api.Access;

public sealed class UserStoreTests
{
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.Parse("2026-03-01T12:00:00Z"));

    [Fact]
    public async Task The_first_admin_is_created_once_and_the_password_is_stored_only_as_a_hash()
    {
        await using var dir = new StateDir();
        var users = new UserStore(dir.Store, _clock);
        Assert.False(users.AnyEnabledAdmin());
        await users.CreateFirstAdminAsync("admin", "first admin password");
        Assert.True(users.AnyEnabledAdmin());
        var again = await Assert.ThrowsAsync<AccessException>(() => users.CreateFirstAdminAsync("other", "another long password"));
        Assert.Equal("setup_done", again.Code);

        await dir.ReopenAsync();
        users = new UserStore(dir.Store, _clock);
        Assert.True(users.TryGet("ADMIN", out var u));
        Assert.Equal(Roles.Admin, u.Role);
        Assert.True(PasswordHasher.Verify("first admin password", u.PasswordHash));
        Assert.DoesNotContain("first admin password", System.Text.Encoding.Latin1.GetString(dir.AllBytes()));
    }

    [Fact]
    public async Task Names_are_unique_regardless_of_case()
    {
        await using var dir = new StateDir();
        var users = new UserStore(dir.Store, _clock);
        await users.CreateAsync("Alice", Roles.Viewer, "alice password 1", "user:admin");
        var e = await Assert.ThrowsAsync<AccessException>(() => users.CreateAsync("alice", Roles.Analyst, "alice password 2", "user:admin"));
        Assert.Equal("user_exists", e.Code);
    }

    [Theory]
    [InlineData("", Roles.Viewer, "long enough password", "invalid_user_name")]
    [InlineData("<script>", Roles.Viewer, "long enough password", "invalid_user_name")]
    [InlineData("bob", "root", "long enough password", "invalid_role")]
    [InlineData("bob", Roles.Viewer, "short", "weak_password")]
    public async Task Bad_names_roles_and_passwords_are_refused_with_a_code(string name, string role, string password, string code)
    {
        await using var dir = new StateDir();
        var e = await Assert.ThrowsAsync<AccessException>(() => new UserStore(dir.Store, _clock).CreateAsync(name, role, password, "user:admin"));
        Assert.Equal(code, e.Code);
    }

    [Fact]
    public async Task The_last_enabled_admin_can_be_neither_disabled_nor_demoted()
    {
        await using var dir = new StateDir();
        var users = new UserStore(dir.Store, _clock);
        await users.CreateFirstAdminAsync("root", "root user password");
        Assert.Equal("last_admin", (await Assert.ThrowsAsync<AccessException>(() => users.ChangeAsync("root", null, true))).Code);
        Assert.Equal("last_admin", (await Assert.ThrowsAsync<AccessException>(() => users.ChangeAsync("root", Roles.Viewer, null))).Code);

        await users.CreateAsync("second", Roles.Admin, "second admin password", "user:root");
        var demoted = await users.ChangeAsync("root", Roles.Analyst, null);
        Assert.Equal(Roles.Analyst, demoted.Role);
        Assert.Equal("last_admin", (await Assert.ThrowsAsync<AccessException>(() => users.ChangeAsync("second", null, true))).Code);
    }
}

using System.Text;
using Microsoft.Extensions.Time.Testing;
using Redoubt.Api.Access;

namespace Redoubt.Tests.Api.Access;

public sealed class TokenStoreTests
{
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.Parse("2026-03-01T12:00:00Z"));

    [Fact]
    public async Task A_new_token_checks_valid_with_its_scopes_and_its_secret_is_nowhere_on_disk()
    {
        await using var dir = new StateDir();
        var tokens = new TokenStore(dir.Store, _clock);
        var (token, record) = await tokens.CreateAsync("soc pull", [Scopes.SummaryRead, Scopes.AlertsRead, Scopes.SummaryRead], _clock.GetUtcNow().AddDays(30), "user:admin");

        Assert.Matches("^rdt_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$", token);
        Assert.Equal(TokenStore.IdOf(token), record.Id);
        Assert.Equal([Scopes.AlertsRead, Scopes.SummaryRead], record.Scopes);
        Assert.Equal(TokenCheck.Valid, tokens.Check(token, out var found));
        Assert.Equal("soc pull", found.Name);

        await dir.ReopenAsync();
        tokens = new TokenStore(dir.Store, _clock);
        Assert.Equal(TokenCheck.Valid, tokens.Check(token, out _));
        var secret = token[(token.LastIndexOf('_') + 1)..];
        var disk = Encoding.Latin1.GetString(dir.AllBytes());
        Assert.DoesNotContain(secret, disk);
        Assert.Contains(record.Id, disk); // sanity: the record is there, by id
    }

    [Fact]
    public async Task A_token_with_a_changed_secret_or_unknown_id_is_unknown_and_junk_is_malformed()
    {
        await using var dir = new StateDir();
        var tokens = new TokenStore(dir.Store, _clock);
        var (token, _) = await tokens.CreateAsync("agent", [Scopes.IngestWrite], null, "cli:root");
        var flipped = token[..^1] + (token[^1] == 'A' ? 'B' : 'A');
        Assert.Equal(TokenCheck.Unknown, tokens.Check(flipped, out _));
        Assert.Equal(TokenCheck.Unknown, tokens.Check("rdt_000000000000_" + token[^43..], out _));
        foreach (var junk in new[] { "", "rdt_", "Bearer x", "rdt_ABCDEF012345_x", "rdt_0123456789ab", "xyz_0123456789ab_secret" })
            Assert.Equal(TokenCheck.Malformed, tokens.Check(junk, out _));
    }

    [Fact]
    public async Task A_revoked_token_fails_on_the_next_check_and_stays_listed_as_revoked()
    {
        await using var dir = new StateDir();
        var tokens = new TokenStore(dir.Store, _clock);
        var (token, record) = await tokens.CreateAsync("to revoke", [Scopes.EventsRead], null, "user:admin");
        await tokens.RevokeAsync(record.Id, "user:admin");
        Assert.Equal(TokenCheck.Revoked, tokens.Check(token, out _));
        var listed = Assert.Single(tokens.List());
        Assert.NotNull(listed.RevokedAtMs);
        Assert.Equal("user:admin", listed.RevokedBy);
    }

    [Fact]
    public async Task Noting_a_use_never_undoes_a_revocation()
    {
        await using var dir = new StateDir();
        var tokens = new TokenStore(dir.Store, _clock);
        var (token, _) = await tokens.CreateAsync("raced", [Scopes.EventsRead], null, "user:admin");
        Assert.Equal(TokenCheck.Valid, tokens.Check(token, out var seenByRequest));
        await tokens.RevokeAsync(seenByRequest.Id, "user:admin");
        await tokens.NoteUseAsync(seenByRequest); // the request that checked before the revocation finishes
        Assert.Equal(TokenCheck.Revoked, tokens.Check(token, out _));
    }

    [Fact]
    public async Task A_token_expires_at_its_expiry()
    {
        await using var dir = new StateDir();
        var tokens = new TokenStore(dir.Store, _clock);
        var (token, _) = await tokens.CreateAsync("short", [Scopes.EventsRead], _clock.GetUtcNow().AddHours(1), "user:admin");
        _clock.Advance(TimeSpan.FromMinutes(59));
        Assert.Equal(TokenCheck.Valid, tokens.Check(token, out _));
        _clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(TokenCheck.Expired, tokens.Check(token, out _));
    }

    [Theory]
    [InlineData("", new[] { "events:read" }, "invalid_token_name")]
    [InlineData("x", new string[0], "invalid_scopes")]
    [InlineData("x", new[] { "events:write" }, "invalid_scopes")]
    public async Task A_token_without_a_name_or_with_unknown_scopes_is_refused(string name, string[] scopes, string code)
    {
        await using var dir = new StateDir();
        var e = await Assert.ThrowsAsync<AccessException>(() => new TokenStore(dir.Store, _clock).CreateAsync(name, scopes, null, "user:admin"));
        Assert.Equal(code, e.Code);
    }
}

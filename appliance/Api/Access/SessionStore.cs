using Redoubt.Storage.State;

namespace Redoubt.Api.Access;

/// <summary>
/// Signed-in browsers (collection "sessions"). The cookie carries a 256-bit random id; the store
/// keeps only its SHA-256, so a copy of the data directory does not hold usable sessions.
/// </summary>
public sealed class SessionStore(StateStore store, TimeProvider clock)
{
    private const string Collection = "sessions";

    public async Task<(string CookieValue, SessionRecord Session)> CreateAsync(string user, string? address, TimeSpan lifetime, CancellationToken ct = default)
    {
        var id = Secrets.Random();
        var now = clock.GetUtcNow();
        var session = new SessionRecord
        {
            User = user,
            CreatedAtMs = now.ToUnixTimeMilliseconds(),
            ExpiresAtMs = (now + lifetime).ToUnixTimeMilliseconds(),
            CsrfToken = Secrets.Random(),
            Address = address,
        };
        await store.PutAsync(Collection, Secrets.Sha256Hex(id), session, ct);
        return (id, session);
    }

    /// <summary>The live session behind a cookie value; expired ones are removed on sight.</summary>
    public bool TryGet(string cookieValue, out SessionRecord session, out string key)
    {
        key = Secrets.Sha256Hex(cookieValue);
        if (!store.TryGet(Collection, key, out session!)) return false;
        if (session.ExpiresAtMs > clock.GetUtcNow().ToUnixTimeMilliseconds()) return true;
        _ = store.DeleteAsync(Collection, key).AsTask(); // best effort; the sweep at start removes stragglers
        return false;
    }

    public ValueTask<bool> DeleteAsync(string key, CancellationToken ct = default) => store.DeleteAsync(Collection, key, ct);

    /// <summary>Signs a user out everywhere (password change, reset, disabled account). Returns how many ended.</summary>
    public async Task<int> DeleteAllOfAsync(string user, CancellationToken ct = default)
    {
        var n = 0;
        foreach (var (key, s) in store.List<SessionRecord>(Collection))
            if (string.Equals(s.User, user, StringComparison.OrdinalIgnoreCase) && await store.DeleteAsync(Collection, key, ct)) n++;
        return n;
    }

    public async Task<int> DeleteExpiredAsync(CancellationToken ct = default)
    {
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        var n = 0;
        foreach (var (key, s) in store.List<SessionRecord>(Collection))
            if (s.ExpiresAtMs <= now && await store.DeleteAsync(Collection, key, ct)) n++;
        return n;
    }
}

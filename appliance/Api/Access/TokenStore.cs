using System.Security.Cryptography;
using Redoubt.Storage.State;

namespace Redoubt.Api.Access;

/// <summary>
/// API tokens (collection "tokens"). A token reads "rdt_ID_SECRET": the 12-hex-digit id finds the
/// record (and names the token in lists, logs and the audit log); the 256-bit secret is kept only as
/// its SHA-256. Every request looks the record up, so a revocation takes effect on the next request.
/// </summary>
public sealed class TokenStore(StateStore store, TimeProvider clock)
{
    private const string Collection = "tokens";
    public const string Prefix = "rdt_";
    private static readonly TimeSpan LastUsedResolution = TimeSpan.FromMinutes(5);
    // Serialises read-modify-writes so noting a use can never overwrite a revocation.
    private readonly SemaphoreSlim _write = new(1, 1);

    public async Task<(string Token, TokenRecord Record)> CreateAsync(string name, IReadOnlyCollection<string> scopes, DateTimeOffset? expiresAt, string createdBy, CancellationToken ct = default)
    {
        name = name.Trim();
        if (name.Length is 0 or > 100) throw AccessException.BadRequest("invalid_token_name", "a token needs a name of 1 to 100 characters (what or who uses it)");
        if (scopes.Count == 0) throw AccessException.BadRequest("invalid_scopes", $"a token needs at least one scope of {string.Join(", ", Scopes.All)}");
        if (scopes.FirstOrDefault(s => !Scopes.IsKnown(s)) is { } unknown)
            throw AccessException.BadRequest("invalid_scopes", $"'{unknown}' is not a scope; scopes are {string.Join(", ", Scopes.All)}");
        var now = clock.GetUtcNow();
        if (expiresAt is { } e && e <= now) throw AccessException.BadRequest("invalid_expiry", "the expiry is in the past");

        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));
        var token = $"{Prefix}{id}_{Secrets.Random()}";
        var record = new TokenRecord
        {
            Id = id,
            Name = name,
            SecretHash = Secrets.Sha256(token),
            Scopes = scopes.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray(),
            CreatedBy = createdBy,
            CreatedAtMs = now.ToUnixTimeMilliseconds(),
            ExpiresAtMs = expiresAt?.ToUnixTimeMilliseconds(),
        };
        await store.PutAsync(Collection, id, record, ct);
        return (token, record);
    }

    /// <summary>The token's id when it has the shape of one (safe to log), else null.</summary>
    public static string? IdOf(string token)
    {
        if (!token.StartsWith(Prefix, StringComparison.Ordinal) || token.Length < Prefix.Length + 14 || token[Prefix.Length + 12] != '_') return null;
        var id = token.AsSpan(Prefix.Length, 12);
        foreach (var c in id) if (!char.IsAsciiHexDigitLower(c)) return null;
        return id.ToString();
    }

    public TokenCheck Check(string token, out TokenRecord record)
    {
        record = null!;
        if (IdOf(token) is not { } id) return TokenCheck.Malformed;
        if (!store.TryGet(Collection, id, out record!)) return TokenCheck.Unknown;
        if (!CryptographicOperations.FixedTimeEquals(Secrets.Sha256(token), record.SecretHash)) return TokenCheck.Unknown;
        if (record.RevokedAtMs is not null) return TokenCheck.Revoked;
        if (record.ExpiresAtMs is { } e && e <= clock.GetUtcNow().ToUnixTimeMilliseconds()) return TokenCheck.Expired;
        return TokenCheck.Valid;
    }

    public bool TryGet(string id, out TokenRecord record) => store.TryGet(Collection, id, out record!);

    public IReadOnlyList<TokenRecord> List() =>
        store.List<TokenRecord>(Collection).Select(kv => kv.Value).OrderBy(t => t.CreatedAtMs).ThenBy(t => t.Id, StringComparer.Ordinal).ToList();

    /// <summary>Revokes for good (the record stays, so lists and the audit log still name it).</summary>
    public async Task<TokenRecord> RevokeAsync(string id, string by, CancellationToken ct = default)
    {
        await _write.WaitAsync(ct);
        try
        {
            if (!TryGet(id, out var record)) throw AccessException.NotFound("no_such_token", $"no token with id '{id}'");
            if (record.RevokedAtMs is not null) return record;
            record.RevokedAtMs = clock.GetUtcNow().ToUnixTimeMilliseconds();
            record.RevokedBy = by;
            await store.PutAsync(Collection, id, record, ct);
            return record;
        }
        finally { _write.Release(); }
    }

    /// <summary>Notes a use, at most every few minutes per token so an agent's stream of posts does not become a stream of writes.</summary>
    public async Task NoteUseAsync(TokenRecord record, CancellationToken ct = default)
    {
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        if (record.LastUsedAtMs is { } last && now - last < LastUsedResolution.TotalMilliseconds) return;
        await _write.WaitAsync(ct);
        try
        {
            if (TryGet(record.Id, out var current) && current.RevokedAtMs is null)
            {
                current.LastUsedAtMs = now;
                await store.PutAsync(Collection, record.Id, current, ct);
            }
        }
        finally { _write.Release(); }
    }
}

public enum TokenCheck { Valid, Malformed, Unknown, Revoked, Expired }

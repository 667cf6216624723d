using MessagePack;

namespace Redoubt.Api.Access;

// What the access layer keeps in the state store. MessagePack keys are frozen (AccessRecordFormatTests):
// append new [Key(n)], never renumber or reuse. Times are Unix milliseconds (UTC).

/// <summary>A console user. Stored under the lower-cased name in collection "users".</summary>
[MessagePackObject]
public sealed class UserRecord
{
    [Key(0)] public string Name { get; set; } = "";
    [Key(1)] public string Role { get; set; } = Roles.Viewer;
    /// <summary><see cref="PasswordHasher"/> format; never the password.</summary>
    [Key(2)] public string PasswordHash { get; set; } = "";
    [Key(3)] public bool Disabled { get; set; }
    [Key(4)] public long CreatedAtMs { get; set; }
    [Key(5)] public string CreatedBy { get; set; } = "";
    [Key(6)] public long PasswordChangedAtMs { get; set; }
    [Key(7)] public long? LastLoginAtMs { get; set; }
}

/// <summary>A signed-in browser. Stored under the SHA-256 of the cookie value (hex) in collection "sessions".</summary>
[MessagePackObject]
public sealed class SessionRecord
{
    [Key(0)] public string User { get; set; } = "";
    [Key(1)] public long CreatedAtMs { get; set; }
    [Key(2)] public long ExpiresAtMs { get; set; }
    /// <summary>Must come back in the X-CSRF-Token header of every state-changing request of this session.</summary>
    [Key(3)] public string CsrfToken { get; set; } = "";
    [Key(4)] public string? Address { get; set; }
}

/// <summary>An API token. Stored under its public id in collection "tokens"; only the SHA-256 of the secret is kept.</summary>
[MessagePackObject]
public sealed class TokenRecord
{
    [Key(0)] public string Id { get; set; } = "";
    [Key(1)] public string Name { get; set; } = "";
    [Key(2)] public byte[] SecretHash { get; set; } = [];
    [Key(3)] public string[] Scopes { get; set; } = [];
    [Key(4)] public string CreatedBy { get; set; } = "";
    [Key(5)] public long CreatedAtMs { get; set; }
    [Key(6)] public long? ExpiresAtMs { get; set; }
    [Key(7)] public long? RevokedAtMs { get; set; }
    [Key(8)] public string? RevokedBy { get; set; }
    [Key(9)] public long? LastUsedAtMs { get; set; }
}

/// <summary>One audit entry. Stored under its sequence number (20 digits, so keys sort) in collection "audit".</summary>
[MessagePackObject]
public sealed class AuditEntry
{
    [Key(0)] public long Seq { get; set; }
    [Key(1)] public long TimeMs { get; set; }
    /// <summary>"user:NAME", "token:ID", "cli", "anonymous" or "system".</summary>
    [Key(2)] public string Actor { get; set; } = "";
    /// <summary>A stable dotted name (login.ok, token.create…) or "METHOD /route/{pattern}" for a generic API change.</summary>
    [Key(3)] public string Action { get; set; } = "";
    [Key(4)] public string? Target { get; set; }
    [Key(5)] public string? Address { get; set; }
    /// <summary>"ok", "failed" or "denied"; for a generic API change, the HTTP status.</summary>
    [Key(6)] public string Outcome { get; set; } = "ok";
    [Key(7)] public string? Detail { get; set; }
}

using System.Reflection;
using MessagePack;
using Redoubt.Api.Access;

namespace Redoubt.Tests.Api.Access;

/// <summary>
/// The MessagePack keys of what the access layer stores are frozen: existing data directories hold
/// them. If this fails you renumbered or reused a key: put it back, and give a new member the next
/// free number instead.
/// </summary>
public sealed class AccessRecordFormatTests
{
    public static TheoryData<Type, string> Frozen => new()
    {
        { typeof(UserRecord), "0 Name, 1 Role, 2 PasswordHash, 3 Disabled, 4 CreatedAtMs, 5 CreatedBy, 6 PasswordChangedAtMs, 7 LastLoginAtMs" },
        { typeof(SessionRecord), "0 User, 1 CreatedAtMs, 2 ExpiresAtMs, 3 CsrfToken, 4 Address" },
        { typeof(TokenRecord), "0 Id, 1 Name, 2 SecretHash, 3 Scopes, 4 CreatedBy, 5 CreatedAtMs, 6 ExpiresAtMs, 7 RevokedAtMs, 8 RevokedBy, 9 LastUsedAtMs" },
        { typeof(AuditEntry), "0 Seq, 1 TimeMs, 2 Actor, 3 Action, 4 Target, 5 Address, 6 Outcome, 7 Detail" },
    };

    [Theory]
    [MemberData(nameof(Frozen))]
    public void Keys_are_frozen(Type type, string expected)
    {
        var keys = type.GetProperties()
            .Select(p => (Key: p.GetCustomAttribute<KeyAttribute>()?.IntKey, p.Name))
            .OrderBy(k => k.Key)
            .Select(k => $"{k.Key} {k.Name}");
        Assert.StartsWith(expected, string.Join(", ", keys)); // new keys may follow
    }

    [Fact]
    public void A_token_record_round_trips_as_an_array()
    {
        var t = new TokenRecord { Id = "0123456789ab", Name = "n", SecretHash = [1, 2], Scopes = ["admin"], CreatedBy = "cli:root", CreatedAtMs = 5, ExpiresAtMs = 6 };
        var bytes = MessagePackSerializer.Serialize(t);
        Assert.Equal(0x9a, bytes[0]); // fixarray of 10: integer keys, no field names on disk
        var back = MessagePackSerializer.Deserialize<TokenRecord>(bytes);
        Assert.Equal(t.Id, back.Id);
        Assert.Equal(t.SecretHash, back.SecretHash);
        Assert.Equal(t.ExpiresAtMs, back.ExpiresAtMs);
        Assert.Null(back.RevokedAtMs);
    }
}

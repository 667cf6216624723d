using Redoubt.Api.Access;

namespace Redoubt.Tests.Api.Access;

public sealed class PasswordHasherTests
{
    [Fact]
    public void A_hash_names_pbkdf2_sha256_with_600000_iterations_and_verifies_only_the_right_password()
    {
        var stored = PasswordHasher.Hash("correct horse battery staple");
        Assert.StartsWith("pbkdf2-sha256$600000$", stored);
        Assert.DoesNotContain("correct horse", stored);
        Assert.True(PasswordHasher.Verify("correct horse battery staple", stored));
        Assert.False(PasswordHasher.Verify("correct horse battery stapl", stored));
        Assert.False(PasswordHasher.NeedsRehash(stored));
    }

    [Fact]
    public void The_same_password_gets_a_new_salt_each_time()
    {
        var a = PasswordHasher.Hash("same password here", iterations: 1000);
        var b = PasswordHasher.Hash("same password here", iterations: 1000);
        Assert.NotEqual(a, b);
        Assert.True(PasswordHasher.Verify("same password here", a));
        Assert.True(PasswordHasher.Verify("same password here", b));
    }

    [Fact]
    public void A_hash_with_fewer_iterations_still_verifies_and_asks_to_be_rehashed()
    {
        var old = PasswordHasher.Hash("an older password", iterations: 10_000);
        Assert.True(PasswordHasher.Verify("an older password", old));
        Assert.True(PasswordHasher.NeedsRehash(old));
    }

    [Theory]
    [InlineData("")]
    [InlineData("plain")]
    [InlineData("md5$abc$def$ghi")]
    [InlineData("pbkdf2-sha256$x$AAAA$AAAA")]
    [InlineData("pbkdf2-sha256$0$AAAA$AAAA")]
    [InlineData("pbkdf2-sha256$1000$not base64!$AAAA")]
    [InlineData("pbkdf2-sha256$1000$AAAA$")]
    public void A_malformed_stored_hash_never_verifies(string stored)
    {
        Assert.False(PasswordHasher.Verify("anything at all", stored));
        Assert.True(PasswordHasher.NeedsRehash(stored));
    }

    [Fact]
    public void Short_and_huge_passwords_are_refused_with_a_reason()
    {
        Assert.Contains("at least 12", PasswordHasher.Weakness("elevenchars"));
        Assert.Null(PasswordHasher.Weakness("twelve chars"));
        Assert.Contains("at most", PasswordHasher.Weakness(new string('x', PasswordHasher.MaxLength + 1)));
    }
}

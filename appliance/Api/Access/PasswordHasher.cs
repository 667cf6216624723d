using System.Globalization;
using System.Security.Cryptography;

namespace Redoubt.Api.Access;

/// <summary>
/// PBKDF2-HMAC-SHA256 with 600 000 iterations (OWASP Password Storage Cheat Sheet, 2023) and a
/// 16-byte random salt. The stored form names the algorithm and count,
/// "pbkdf2-sha256$600000$salt$hash" (base64), so the count can be raised later and old hashes
/// still verify (and are re-hashed at the next sign-in: <see cref="NeedsRehash"/>).
/// </summary>
public static class PasswordHasher
{
    public const int Iterations = 600_000;
    private const string Scheme = "pbkdf2-sha256";
    private const int SaltBytes = 16;
    private const int HashBytes = 32;
    public const int MinLength = 12;
    public const int MaxLength = 1024; // bounds the KDF's work on hostile input

    /// <summary>Null when acceptable, else why not (shown to the user).</summary>
    public static string? Weakness(string password) => password.Length switch
    {
        < MinLength => $"a password needs at least {MinLength} characters",
        > MaxLength => $"a password may have at most {MaxLength} characters",
        _ => null,
    };

    public static string Hash(string password, int iterations = Iterations)
    {
        var salt = RandomNumberGenerator.GetBytes(SaltBytes);
        var hash = Rfc2898DeriveBytes.Pbkdf2(password, salt, iterations, HashAlgorithmName.SHA256, HashBytes);
        return string.Create(CultureInfo.InvariantCulture, $"{Scheme}${iterations}${Convert.ToBase64String(salt)}${Convert.ToBase64String(hash)}");
    }

    public static bool Verify(string password, string stored)
    {
        if (!TryParse(stored, out var iterations, out var salt, out var expected)) return false;
        var actual = Rfc2898DeriveBytes.Pbkdf2(password, salt, iterations, HashAlgorithmName.SHA256, expected.Length);
        return CryptographicOperations.FixedTimeEquals(actual, expected);
    }

    /// <summary>Spends the same time as a real check, so an unknown user name cannot be told from a wrong password.</summary>
    public static void VerifyNothing(string password) => Verify(password, DummyHash.Value);

    public static bool NeedsRehash(string stored) => !TryParse(stored, out var iterations, out _, out _) || iterations < Iterations;

    private static readonly Lazy<string> DummyHash = new(() => Hash("redoubt-dummy-password"));

    private static bool TryParse(string stored, out int iterations, out byte[] salt, out byte[] hash)
    {
        iterations = 0;
        salt = hash = [];
        var parts = stored.Split('$');
        if (parts.Length != 4 || parts[0] != Scheme) return false;
        if (!int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out iterations) || iterations < 1) return false;
        try
        {
            salt = Convert.FromBase64String(parts[2]);
            hash = Convert.FromBase64String(parts[3]);
        }
        catch (FormatException) { return false; }
        return hash.Length > 0;
    }
}

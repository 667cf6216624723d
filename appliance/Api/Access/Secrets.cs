using System.Security.Cryptography;
using System.Text;

namespace Redoubt.Api.Access;

/// <summary>Random secrets and their digests (what is stored instead of the secret).</summary>
public static class Secrets
{
    /// <summary><paramref name="bytes"/> random bytes as unpadded base64url (URL-, cookie- and header-safe).</summary>
    public static string Random(int bytes = 32) => Base64Url(RandomNumberGenerator.GetBytes(bytes));

    public static string Base64Url(ReadOnlySpan<byte> bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static byte[] Sha256(string secret) => SHA256.HashData(Encoding.UTF8.GetBytes(secret));

    public static string Sha256Hex(string secret) => Convert.ToHexStringLower(Sha256(secret));

    public static bool FixedTimeEquals(string a, string b) =>
        CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(a), Encoding.UTF8.GetBytes(b));
}

using System.Security.Cryptography;

namespace Redoubt.Api.Access;

/// <summary>
/// The one-time code that proves the first visitor of the console is whoever can read the
/// appliance's log (journald on the box). Made at start while there is no enabled admin, printed
/// once, kept only in memory, gone after setup; a restart makes a new one. 16 characters of
/// Crockford base32 (80 bits), grouped for reading aloud.
/// </summary>
public sealed class SetupCode
{
    private const string Alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    private string? _code;

    public bool Pending => Volatile.Read(ref _code) is not null;

    /// <summary>Makes a new code and returns it for the log.</summary>
    public string Issue()
    {
        Span<char> chars = stackalloc char[19];
        var n = 0;
        for (var i = 0; i < 16; i++)
        {
            if (i > 0 && i % 4 == 0) chars[n++] = '-';
            chars[n++] = Alphabet[RandomNumberGenerator.GetInt32(Alphabet.Length)];
        }
        var code = new string(chars[..n]);
        Volatile.Write(ref _code, code);
        return code;
    }

    public bool Matches(string? attempt)
    {
        var code = Volatile.Read(ref _code);
        if (code is null || attempt is null) return false;
        return Secrets.FixedTimeEquals(Normalize(attempt), Normalize(code));
    }

    public void Consume() => Volatile.Write(ref _code, null);

    // People retype codes: ignore case, spaces and dashes, and read O as 0 and I/L as 1 (Crockford).
    private static string Normalize(string s) =>
        new(s.ToUpperInvariant().Where(c => c is not ('-' or ' ')).Select(c => c switch { 'O' => '0', 'I' or 'L' => '1', _ => c }).ToArray());
}

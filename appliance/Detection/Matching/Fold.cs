namespace Redoubt.Detection.Matching;

/// <summary>
/// Sigma's default case-insensitive comparison. One fold function (invariant lower case of each
/// UTF-16 unit) is used for rule values, event values and the literal pre-filter alike, so a value
/// the matcher accepts is always one the pre-filter lets through.
/// </summary>
public static class Fold
{
    private static readonly char[] Table = Build();

    private static char[] Build()
    {
        var t = new char[65536];
        for (var i = 0; i < t.Length; i++) t[i] = char.ToLowerInvariant((char)i);
        return t;
    }

    public static char Char(char c) => Table[c];

    public static void Span(ReadOnlySpan<char> source, Span<char> destination)
    {
        // ASCII (nearly every value) folds vectorised; the invariant lower case of an ASCII letter is its ASCII lower case.
        System.Text.Ascii.ToLower(source, destination, out var done);
        var table = Table;
        for (var i = done; i < source.Length; i++) destination[i] = table[source[i]];
    }

    public static string String(string s)
    {
        return string.Create(s.Length, s, static (dst, src) => Span(src, dst));
    }
}

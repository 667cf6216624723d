namespace Redoubt.Detection.Matching;

/// <summary>
/// A Sigma string value after escapes are resolved: literal text with `*` (any run) and `?` (one
/// character) wildcards. Kept as segments so matching is IndexOf over spans, never a regex.
/// </summary>
public sealed class Glob
{
    /// <summary>Literal pieces between `*`; a `?` inside a piece is stored as <see cref="AnyOne"/>.</summary>
    public string[] Pieces { get; }
    public bool LeadingStar { get; }
    public bool TrailingStar { get; }
    public bool HasAnyOne { get; }

    /// <summary>Private-use character standing for an unescaped `?` inside a piece.</summary>
    public const char AnyOne = '\uF8FF';

    private Glob(string[] pieces, bool leading, bool trailing)
    {
        Pieces = pieces;
        LeadingStar = leading;
        TrailingStar = trailing;
        HasAnyOne = pieces.Any(p => p.Contains(AnyOne));
    }

    public bool IsPlain => Pieces.Length == 1 && !LeadingStar && !TrailingStar && !HasAnyOne;

    /// <summary>The text without wildcards (only meaningful when it has none).</summary>
    public string Literal => string.Concat(Pieces);

    /// <summary>Parses a Sigma value: `\*` `\?` `\\` are escapes; a backslash before anything else is literal.</summary>
    public static Glob Parse(string value) => FromTokens(Tokenize(value));

    /// <summary>Plain text taken literally (no wildcards), e.g. after base64 encoding.</summary>
    public static Glob Plain(string text) => new([text], false, false);

    public static Glob FromTokens(IReadOnlyList<GlobToken> all)
    {
        var tokens = all.Where(t => t.Kind != GlobTokenKind.Text || t.Text.Length > 0).ToList();
        var pieces = new List<string>();
        var current = new System.Text.StringBuilder();
        var leading = tokens.Count > 0 && tokens[0].Kind == GlobTokenKind.Star;
        var trailing = false;
        for (var i = 0; i < tokens.Count; i++)
        {
            var t = tokens[i];
            switch (t.Kind)
            {
                case GlobTokenKind.Star:
                    if (current.Length > 0) { pieces.Add(current.ToString()); current.Clear(); }
                    trailing = true;
                    break;
                case GlobTokenKind.One:
                    current.Append(AnyOne); trailing = false;
                    break;
                default:
                    current.Append(t.Text); trailing = false;
                    break;
            }
        }
        if (current.Length > 0) pieces.Add(current.ToString());
        if (pieces.Count == 0) pieces.Add("");
        return new Glob(pieces.ToArray(), leading, trailing && tokens.Count > 0);
    }

    public static List<GlobToken> Tokenize(string value)
    {
        var tokens = new List<GlobToken>();
        var text = new System.Text.StringBuilder();
        void Flush() { if (text.Length > 0) { tokens.Add(new GlobToken(GlobTokenKind.Text, text.ToString())); text.Clear(); } }
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (c == '\\' && i + 1 < value.Length && value[i + 1] is '*' or '?' or '\\')
            {
                text.Append(value[i + 1]);
                i++;
            }
            else if (c == '*') { Flush(); tokens.Add(new GlobToken(GlobTokenKind.Star, "*")); }
            else if (c == '?') { Flush(); tokens.Add(new GlobToken(GlobTokenKind.One, "?")); }
            else text.Append(c);
        }
        Flush();
        return tokens;
    }

    public Glob WithStars(bool leading, bool trailing) =>
        new(Pieces, LeadingStar || leading, TrailingStar || trailing);

    public Glob Map(Func<string, string> f) =>
        new(Pieces.Select(p => p.Contains(AnyOne) ? string.Join(AnyOne, p.Split(AnyOne).Select(f)) : f(p)).ToArray(), LeadingStar, TrailingStar);

    public override string ToString()
    {
        var body = string.Join("*", Pieces.Select(p => p.Replace(AnyOne, '?')));
        if (Pieces is [""] && (LeadingStar || TrailingStar)) return "*";
        return (LeadingStar ? "*" : "") + body + (TrailingStar ? "*" : "");
    }

    /// <summary>Does <paramref name="value"/> match? Both sides already folded when case-insensitive.</summary>
    public bool IsMatch(ReadOnlySpan<char> value)
    {
        var pieces = Pieces;
        var first = 0;
        var last = pieces.Length - 1;
        if (!LeadingStar)
        {
            if (!StartsWith(value, pieces[0])) return false;
            if (pieces.Length == 1 && !TrailingStar) return value.Length == pieces[0].Length;
            value = value[pieces[0].Length..];
            first = 1;
        }
        if (!TrailingStar && first <= last)
        {
            var p = pieces[last];
            if (value.Length < p.Length || !StartsWith(value[(value.Length - p.Length)..], p)) return false;
            value = value[..(value.Length - p.Length)];
            last--;
        }
        for (var i = first; i <= last; i++)
        {
            var at = IndexOf(value, pieces[i]);
            if (at < 0) return false;
            value = value[(at + pieces[i].Length)..];
        }
        return true;
    }

    private bool StartsWith(ReadOnlySpan<char> value, string piece)
    {
        if (!HasAnyOne) return value.StartsWith(piece, StringComparison.Ordinal);
        if (value.Length < piece.Length) return false;
        for (var i = 0; i < piece.Length; i++)
            if (piece[i] != AnyOne && piece[i] != value[i]) return false;
        return true;
    }

    private int IndexOf(ReadOnlySpan<char> value, string piece)
    {
        if (!HasAnyOne || !piece.Contains(AnyOne)) return value.IndexOf(piece, StringComparison.Ordinal);
        for (var start = 0; start + piece.Length <= value.Length; start++)
            if (StartsWith(value[start..], piece)) return start;
        return -1;
    }
}

public enum GlobTokenKind { Text, Star, One }

public readonly record struct GlobToken(GlobTokenKind Kind, string Text);

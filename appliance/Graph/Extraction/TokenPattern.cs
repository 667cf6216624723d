namespace Redoubt.Graph.Extraction;

/// <summary>
/// A token pattern for free-text messages, compiled once: literal text and <c>{name}</c> captures,
/// anchored at the start of the text, trailing text ignored. A capture followed by literal text takes
/// everything up to the first occurrence of that text (at least one character); a capture at the end
/// takes one word (up to a space), or the rest of the text when written <c>{name:rest}</c>.
/// <c>{_}</c> skips without capturing (a leading <c>{_}</c> finds the literal after it anywhere);
/// <c>{{</c> and <c>}}</c> are literal braces. Matching is ordinal span searches, no regex, no allocation.
/// </summary>
public sealed class TokenPattern
{
    private readonly record struct Segment(string? Literal, int Capture, bool Rest);

    private readonly Segment[] _segments;

    public string Text { get; }
    /// <summary>Capture names in order of appearance (without <c>_</c>).</summary>
    public IReadOnlyList<string> Captures { get; }

    private TokenPattern(string text, Segment[] segments, List<string> captures)
    {
        Text = text;
        _segments = segments;
        Captures = captures;
    }

    /// <summary>Compiles <paramref name="text"/>; a malformed pattern throws <see cref="FormatException"/> saying why.</summary>
    public static TokenPattern Compile(string text)
    {
        var segments = new List<Segment>();
        var captures = new List<string>();
        var literal = new System.Text.StringBuilder();
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '{' && i + 1 < text.Length && text[i + 1] == '{') { literal.Append('{'); i++; continue; }
            if (c == '}' && i + 1 < text.Length && text[i + 1] == '}') { literal.Append('}'); i++; continue; }
            if (c == '}') throw new FormatException($"'}}' at {i} closes nothing (write '}}}}' for a literal brace)");
            if (c != '{') { literal.Append(c); continue; }
            var close = text.IndexOf('}', i + 1);
            if (close < 0) throw new FormatException($"'{{' at {i} is not closed");
            var spec = text[(i + 1)..close].Trim();
            var rest = false;
            var colon = spec.IndexOf(':');
            if (colon >= 0)
            {
                var option = spec[(colon + 1)..].Trim();
                if (option != "rest") throw new FormatException($"'{{{spec}}}': the only capture option is ':rest'");
                rest = true;
                spec = spec[..colon].Trim();
            }
            if (spec.Length == 0) spec = "_";
            if (spec != "_" && !spec.All(ch => char.IsAsciiLetterOrDigit(ch) || ch is '_' or '.' or '-'))
                throw new FormatException($"'{{{spec}}}': a capture name is letters, digits, '_', '.' or '-'");
            if (spec != "_" && captures.Contains(spec)) throw new FormatException($"capture '{spec}' appears twice");
            if (literal.Length > 0) { segments.Add(new Segment(literal.ToString(), -1, false)); literal.Clear(); }
            else if (segments.Count > 0 && segments[^1].Literal is null)
                throw new FormatException($"captures at {i} follow each other without text between them: where would one end?");
            if (rest && close != text.Length - 1) throw new FormatException($"'{{{spec}:rest}}' takes the rest of the text, so it must come last");
            var index = -1;
            if (spec != "_") { index = captures.Count; captures.Add(spec); }
            segments.Add(new Segment(null, index, rest));
            i = close;
        }
        if (literal.Length > 0) segments.Add(new Segment(literal.ToString(), -1, false));
        if (segments.Count == 0) throw new FormatException("the pattern is empty");
        return new TokenPattern(text, segments.ToArray(), captures);
    }

    /// <summary>Matches <paramref name="input"/>; on success <paramref name="spans"/>[i] is capture i as (start, length).</summary>
    public bool Match(ReadOnlySpan<char> input, Span<(int Start, int Length)> spans)
    {
        var pos = 0;
        var segments = _segments;
        for (var s = 0; s < segments.Length; s++)
        {
            var seg = segments[s];
            if (seg.Literal is { } lit)
            {
                if (!input[pos..].StartsWith(lit, StringComparison.Ordinal)) return false;
                pos += lit.Length;
                continue;
            }
            int length;
            if (s + 1 < segments.Length)
            {
                length = input[pos..].IndexOf(segments[s + 1].Literal, StringComparison.Ordinal);
                if (length <= 0) return false;
            }
            else if (seg.Rest) length = input.Length - pos;
            else
            {
                length = input[pos..].IndexOf(' ');
                if (length < 0) length = input.Length - pos;
            }
            if (length == 0) return false;
            if (seg.Capture >= 0) spans[seg.Capture] = (pos, length);
            pos += length;
        }
        return true;
    }
}

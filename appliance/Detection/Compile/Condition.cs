namespace Redoubt.Detection.Compile;

/// <summary>A parsed Sigma condition, before the selections it names are compiled.</summary>
public abstract record Cond;
public sealed record CondAnd(Cond Left, Cond Right) : Cond;
public sealed record CondOr(Cond Left, Cond Right) : Cond;
public sealed record CondNot(Cond Inner) : Cond;
public sealed record CondRef(string Name) : Cond;
/// <summary>`1 of pattern`, `all of pattern`; Pattern "them" means every selection not starting with `_`.</summary>
public sealed record CondOf(bool All, string Pattern) : Cond;

/// <summary>
/// The Sigma condition grammar (rules specification v2, "Condition"): or &lt; and &lt; not &lt;
/// `x of` &lt; parentheses, keywords case-insensitive. Anything else (v1 aggregations `| count()`,
/// `near`) is rejected with the position of the offending token.
/// </summary>
public sealed class ConditionParser
{
    private readonly string _text;
    private readonly List<(string Token, int At)> _tokens;
    private int _next;

    private ConditionParser(string text)
    {
        _text = text;
        _tokens = Tokenize(text);
    }

    public static Cond Parse(string text)
    {
        var p = new ConditionParser(text);
        if (p._tokens.Count == 0) throw new RuleException(ErrorCodes.ConditionSyntax, "condition is empty");
        var result = p.Or();
        if (p._next < p._tokens.Count) throw p.Error($"unexpected '{p._tokens[p._next].Token}'");
        return result;
    }

    private static List<(string, int)> Tokenize(string text)
    {
        var tokens = new List<(string, int)>();
        var i = 0;
        while (i < text.Length)
        {
            var c = text[i];
            if (char.IsWhiteSpace(c)) { i++; continue; }
            if (c is '(' or ')')
            {
                tokens.Add((c.ToString(), i));
                i++;
                continue;
            }
            if (c == '|')
                throw new RuleException(ErrorCodes.Unsupported,
                    $"condition uses a Sigma v1 aggregation ('|' at column {i + 1}); aggregations are expressed as correlation rules in Sigma v2");
            var start = i;
            while (i < text.Length && !char.IsWhiteSpace(text[i]) && text[i] is not '(' and not ')' and not '|') i++;
            tokens.Add((text[start..i], start));
        }
        return tokens;
    }

    private RuleException Error(string what) =>
        new(ErrorCodes.ConditionSyntax, $"condition '{_text}': {what}" + (_next < _tokens.Count ? $" at column {_tokens[_next].At + 1}" : " at the end"));

    private string? Peek => _next < _tokens.Count ? _tokens[_next].Token : null;
    private bool IsKeyword(string? token, string keyword) => token is not null && token.Equals(keyword, StringComparison.OrdinalIgnoreCase);

    private Cond Or()
    {
        var left = And();
        while (IsKeyword(Peek, "or")) { _next++; left = new CondOr(left, And()); }
        return left;
    }

    private Cond And()
    {
        var left = Not();
        while (IsKeyword(Peek, "and")) { _next++; left = new CondAnd(left, Not()); }
        return left;
    }

    private Cond Not()
    {
        if (IsKeyword(Peek, "not")) { _next++; return new CondNot(Not()); }
        return Primary();
    }

    private Cond Primary()
    {
        var token = Peek ?? throw Error("expected a selection name, 'not', 'x of' or '('");
        if (token == "(")
        {
            _next++;
            var inner = Or();
            if (Peek != ")") throw Error("expected ')'");
            _next++;
            return inner;
        }
        if (token == ")" || IsKeyword(token, "and") || IsKeyword(token, "or") || IsKeyword(token, "of"))
            throw Error($"unexpected '{token}'");
        if (_next + 1 < _tokens.Count && IsKeyword(_tokens[_next + 1].Token, "of"))
        {
            bool all;
            if (IsKeyword(token, "all")) all = true;
            else if (token == "1") all = false;
            else throw new RuleException(ErrorCodes.Unsupported,
                $"condition '{_text}': '{token} of' is not Sigma; only '1 of' and 'all of' are defined");
            _next += 2;
            var target = Peek ?? throw Error("expected a selection pattern or 'them' after 'of'");
            if (target is "(" or ")") throw Error("expected a selection pattern or 'them' after 'of'");
            _next++;
            return new CondOf(all, IsKeyword(target, "them") ? "them" : target);
        }
        if (IsKeyword(token, "near"))
            throw new RuleException(ErrorCodes.Unsupported, $"condition '{_text}': 'near' is Sigma v1 and not supported");
        _next++;
        return new CondRef(token);
    }
}

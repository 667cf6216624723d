using System.Globalization;
using System.Text;

namespace Redoubt.Graph.Cypher;

public enum TokenKind { Identifier, QuotedIdentifier, Integer, Float, String, Parameter, Symbol, End }

/// <summary>
/// One token. Keywords are identifiers (the parser compares them case-insensitively, so a keyword can
/// still name a property or label where Cypher allows it). Integers keep their text: the parser
/// applies a leading minus before range-checking, so -9223372036854775808 is valid.
/// </summary>
public readonly record struct Token(TokenKind Kind, string Text, Pos At, int End)
{
    public bool Is(string symbol) => Kind == TokenKind.Symbol && Text == symbol;

    public bool IsKeyword(string keyword) => Kind == TokenKind.Identifier && string.Equals(Text, keyword, StringComparison.OrdinalIgnoreCase);
}

/// <summary>Splits query text into tokens with line and column; comments (// and /* */) are skipped.</summary>
public static class Lexer
{
    private static readonly string[] Symbols =
    [
        "..", "<>", "!=", "<=", ">=", "=~", "+=",
        "(", ")", "[", "]", "{", "}", ",", ".", ":", "|", ";", "=", "<", ">", "+", "-", "*", "/", "%", "^",
    ];

    public static List<Token> Tokenize(string text)
    {
        var tokens = new List<Token>();
        var i = 0;
        var line = 1;
        var lineStart = 0;
        Pos PosAt(int offset) => new(line, offset - lineStart + 1, offset);

        while (true)
        {
            // Whitespace and comments.
            while (i < text.Length)
            {
                var c = text[i];
                if (c == '\n') { i++; line++; lineStart = i; }
                else if (char.IsWhiteSpace(c)) i++;
                else if (c == '/' && i + 1 < text.Length && text[i + 1] == '/')
                {
                    while (i < text.Length && text[i] != '\n') i++;
                }
                else if (c == '/' && i + 1 < text.Length && text[i + 1] == '*')
                {
                    var start = PosAt(i);
                    i += 2;
                    while (i < text.Length && !(text[i] == '*' && i + 1 < text.Length && text[i + 1] == '/'))
                    {
                        if (text[i] == '\n') { line++; lineStart = i + 1; }
                        i++;
                    }
                    if (i >= text.Length) throw CypherException.Syntax("UnexpectedSyntax", "a /* comment is not closed", start);
                    i += 2;
                }
                else break;
            }
            if (i >= text.Length)
            {
                tokens.Add(new Token(TokenKind.End, "", PosAt(i), i));
                return tokens;
            }

            var at = PosAt(i);
            var ch = text[i];
            if (char.IsDigit(ch) || (ch == '.' && i + 1 < text.Length && char.IsDigit(text[i + 1]) && !PrecededByDot(tokens)))
            {
                tokens.Add(Number(text, ref i, at));
            }
            else if (ch is '\'' or '"')
            {
                var value = QuotedString(text, ref i, at, ref line, ref lineStart);
                tokens.Add(new Token(TokenKind.String, value, at, i));
            }
            else if (ch == '`')
            {
                var sb = new StringBuilder();
                i++;
                while (true)
                {
                    if (i >= text.Length) throw CypherException.Syntax("UnexpectedSyntax", "a `quoted name` is not closed", at);
                    if (text[i] == '`')
                    {
                        if (i + 1 < text.Length && text[i + 1] == '`') { sb.Append('`'); i += 2; continue; }
                        i++;
                        break;
                    }
                    sb.Append(text[i++]);
                }
                tokens.Add(new Token(TokenKind.QuotedIdentifier, sb.ToString(), at, i));
            }
            else if (ch == '$')
            {
                i++;
                var start = i;
                if (i < text.Length && text[i] == '`')
                {
                    var end = text.IndexOf('`', i + 1);
                    if (end < 0) throw CypherException.Syntax("UnexpectedSyntax", "a `quoted name` is not closed", at);
                    tokens.Add(new Token(TokenKind.Parameter, text[(i + 1)..end], at, end + 1));
                    i = end + 1;
                    continue;
                }
                while (i < text.Length && IsIdentifierPart(text[i])) i++;
                if (i == start) throw CypherException.Syntax("UnexpectedSyntax", "$ must be followed by a parameter name", at);
                tokens.Add(new Token(TokenKind.Parameter, text[start..i], at, i));
            }
            else if (IsIdentifierStart(ch))
            {
                var start = i;
                while (i < text.Length && IsIdentifierPart(text[i])) i++;
                tokens.Add(new Token(TokenKind.Identifier, text[start..i], at, i));
            }
            else
            {
                string? symbol = null;
                foreach (var s in Symbols)
                    if (string.CompareOrdinal(text, i, s, 0, s.Length) == 0) { symbol = s; break; }
                if (symbol is null)
                    throw CypherException.Syntax("UnexpectedSyntax", $"unexpected character '{Printable(ch)}'", at);
                i += symbol.Length;
                tokens.Add(new Token(TokenKind.Symbol, symbol, at, i));
            }
        }
    }

    // "n.0" is not a number after a dot: keeps `list[0..1]`-style text and property names sane.
    private static bool PrecededByDot(List<Token> tokens) => tokens.Count > 0 && tokens[^1].Is(".");

    private static string Printable(char c) => char.IsControl(c) ? $"\\u{(int)c:x4}" : c.ToString();

    public static bool IsIdentifierStart(char c) => char.IsLetter(c) || c == '_' || char.GetUnicodeCategory(c) == UnicodeCategory.LetterNumber;

    public static bool IsIdentifierPart(char c) => char.IsLetterOrDigit(c) || c == '_' || char.GetUnicodeCategory(c) is UnicodeCategory.LetterNumber or UnicodeCategory.ConnectorPunctuation or UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark;

    private static Token Number(string text, ref int i, Pos at)
    {
        var start = i;
        if (text[i] == '0' && i + 1 < text.Length && (text[i + 1] is 'x' or 'X' or 'o' or 'O'))
        {
            i += 2;
            while (i < text.Length && IsIdentifierPart(text[i])) i++;
            return new Token(TokenKind.Integer, text[start..i], at, i);
        }
        while (i < text.Length && char.IsDigit(text[i])) i++;
        var isFloat = false;
        if (i + 1 < text.Length && text[i] == '.' && char.IsDigit(text[i + 1]))
        {
            isFloat = true;
            i++;
            while (i < text.Length && char.IsDigit(text[i])) i++;
        }
        if (i < text.Length && text[i] is 'e' or 'E')
        {
            var j = i + 1;
            if (j < text.Length && text[j] is '+' or '-') j++;
            if (j < text.Length && char.IsDigit(text[j]))
            {
                isFloat = true;
                i = j;
                while (i < text.Length && char.IsDigit(text[i])) i++;
            }
        }
        // A number running into letters (123abc, 9223372h54775808) is one bad literal, not two tokens.
        if (i < text.Length && IsIdentifierStart(text[i]))
        {
            while (i < text.Length && IsIdentifierPart(text[i])) i++;
            throw CypherException.Syntax("InvalidNumberLiteral", $"'{text[start..i]}' is not a number", at);
        }
        return new Token(isFloat ? TokenKind.Float : TokenKind.Integer, text[start..i], at, i);
    }

    private static string QuotedString(string text, ref int i, Pos at, ref int line, ref int lineStart)
    {
        var quote = text[i++];
        var sb = new StringBuilder();
        while (true)
        {
            if (i >= text.Length) throw CypherException.Syntax("UnexpectedSyntax", "a string is not closed", at);
            var c = text[i];
            if (c == quote) { i++; return sb.ToString(); }
            if (c == '\n') { line++; lineStart = i + 1; }
            if (c != '\\') { sb.Append(c); i++; continue; }
            if (i + 1 >= text.Length) throw CypherException.Syntax("UnexpectedSyntax", "a string is not closed", at);
            var e = text[i + 1];
            i += 2;
            switch (e)
            {
                case '\\': sb.Append('\\'); break;
                case '\'': sb.Append('\''); break;
                case '"': sb.Append('"'); break;
                case 'b': case 'B': sb.Append('\b'); break;
                case 'f': case 'F': sb.Append('\f'); break;
                case 'n': case 'N': sb.Append('\n'); break;
                case 'r': case 'R': sb.Append('\r'); break;
                case 't': case 'T': sb.Append('\t'); break;
                case 'u': case 'U':
                    var digits = e == 'u' ? 4 : 8;
                    if (i + digits > text.Length || !int.TryParse(text.AsSpan(i, digits), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var code)
                        || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF))
                        throw CypherException.Syntax("InvalidUnicodeLiteral", $"\\{e} must be followed by {digits} hex digits of a Unicode code point", at);
                    sb.Append(char.ConvertFromUtf32(code));
                    i += digits;
                    break;
                default:
                    // openCypher keeps unknown escapes as written.
                    sb.Append('\\').Append(e);
                    break;
            }
        }
    }
}

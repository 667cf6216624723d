namespace Redoubt.Graph.Cypher;

/// <summary>
/// Hand-written recursive-descent parser for the openCypher subset (docs/graph.md, "Cypher"),
/// following the openCypher 9 grammar. Valid openCypher outside the subset is refused with
/// <see cref="CypherErrorKind.Unsupported"/>, write clauses with <see cref="CypherErrorKind.ReadOnly"/>,
/// both with the position; nothing is skipped or guessed.
/// </summary>
public sealed partial class Parser
{
    private readonly string _text;
    private readonly List<Token> _tokens;
    private readonly bool _allowCreate;
    private int _i;

    private Parser(string text, bool allowCreate)
    {
        _text = text;
        _tokens = Lexer.Tokenize(text);
        _allowCreate = allowCreate;
    }

    /// <summary>Parses a read-only query.</summary>
    public static Query Parse(string text) => new Parser(text, allowCreate: false).ParseQuery();

    /// <summary>Builder mode (test graphs): CREATE is accepted as well. Never reachable from the API.</summary>
    internal static Query ParseWithCreate(string text) => new Parser(text, allowCreate: true).ParseQuery();

    /// <summary>One expression on its own (the TCK runner reads parameter values with it).</summary>
    internal static Expr ParseExpression(string text)
    {
        var p = new Parser(text, false);
        var e = p.Expression();
        p.ExpectEnd();
        return e;
    }

    private Token Peek(int ahead = 0) => _tokens[Math.Min(_i + ahead, _tokens.Count - 1)];
    private Token Next() => _tokens[_i < _tokens.Count - 1 ? _i++ : _i];
    private int LastEnd => _i == 0 ? 0 : _tokens[_i - 1].End;

    private bool AtSymbol(string s) => Peek().Is(s);
    private bool AtKeyword(string k) => Peek().IsKeyword(k);
    private bool AtKeywords(string a, string b) => Peek().IsKeyword(a) && Peek(1).IsKeyword(b);

    private bool TrySymbol(string s)
    {
        if (!AtSymbol(s)) return false;
        _i++;
        return true;
    }

    private bool TryKeyword(string k)
    {
        if (!AtKeyword(k)) return false;
        _i++;
        return true;
    }

    private Token ExpectSymbol(string s, string context)
    {
        if (AtSymbol(s)) return Next();
        throw Unexpected($"expected '{s}' {context}");
    }

    private void ExpectKeyword(string k, string context)
    {
        if (!TryKeyword(k)) throw Unexpected($"expected {k} {context}");
    }

    private void ExpectEnd()
    {
        if (Peek().Kind != TokenKind.End) throw Unexpected("expected the end of the query");
    }

    private CypherException Unexpected(string expectation)
    {
        var t = Peek();
        var found = t.Kind switch
        {
            TokenKind.End => "the end of the query",
            TokenKind.String => "a string",
            TokenKind.Parameter => "$" + t.Text,
            _ => $"'{t.Text}'",
        };
        return CypherException.Syntax("UnexpectedSyntax", $"{expectation}, found {found}", t.At);
    }

    // ---- clauses ----

    private Query ParseQuery()
    {
        var parts = new List<SingleQuery> { SingleQueryPart() };
        var all = new List<bool>();
        while (AtKeyword("UNION"))
        {
            Next();
            all.Add(TryKeyword("ALL"));
            parts.Add(SingleQueryPart());
        }
        TrySymbol(";");
        ExpectEnd();
        return new Query(parts, all);
    }

    private SingleQuery SingleQueryPart()
    {
        var clauses = new List<Clause>();
        while (true)
        {
            var t = Peek();
            if (t.Kind == TokenKind.End || t.Is(";") || t.IsKeyword("UNION")) break;
            clauses.Add(ClauseAt());
        }
        if (clauses.Count == 0) throw Unexpected("expected a clause (MATCH, WITH, UNWIND, RETURN...)");
        return new SingleQuery(clauses);
    }

    private Clause ClauseAt()
    {
        var t = Peek();
        if (t.Kind != TokenKind.Identifier) throw Unexpected("expected a clause (MATCH, OPTIONAL MATCH, WITH, UNWIND, RETURN)");
        switch (t.Text.ToUpperInvariant())
        {
            case "MATCH":
                Next();
                return Match(t.At, optional: false);
            case "OPTIONAL":
                Next();
                ExpectKeyword("MATCH", "after OPTIONAL");
                return Match(t.At, optional: true);
            case "UNWIND":
            {
                Next();
                var list = Expression();
                ExpectKeyword("AS", "in UNWIND ... AS variable");
                var v = VariableName();
                return new UnwindClause(t.At, list, v);
            }
            case "WITH":
            {
                Next();
                var p = ProjectionBody();
                var where = TryKeyword("WHERE") ? Expression() : null;
                return new WithClause(t.At, p, where);
            }
            case "RETURN":
                Next();
                return new ReturnClause(t.At, ProjectionBody());
            case "CREATE" when _allowCreate:
            {
                Next();
                var patterns = new List<PatternPart> { PatternPartAt() };
                while (TrySymbol(",")) patterns.Add(PatternPartAt());
                return new CreateClause(t.At, patterns);
            }
            case "CREATE":
            case "MERGE":
            case "SET":
            case "DELETE":
            case "DETACH":
            case "REMOVE":
            case "FOREACH":
                throw new CypherException(CypherErrorKind.ReadOnly, "ReadOnly",
                    $"{t.Text.ToUpperInvariant()} is not allowed: the graph is read-only here (it is derived from events and imports)", t.At.Line, t.At.Column);
            case "CALL":
                throw CypherException.Unsupported("CALL (procedures and subqueries)", t.At);
            case "LOAD":
                throw CypherException.Unsupported("LOAD CSV", t.At);
            case "USE":
                throw CypherException.Unsupported("USE", t.At);
            default:
                throw Unexpected("expected a clause (MATCH, OPTIONAL MATCH, WITH, UNWIND, RETURN)");
        }
    }

    private MatchClause Match(Pos at, bool optional)
    {
        var patterns = new List<PatternPart> { PatternPartAt() };
        while (TrySymbol(",")) patterns.Add(PatternPartAt());
        if (AtKeyword("USING")) throw CypherException.Unsupported("USING (planner hints)", Peek().At);
        var where = TryKeyword("WHERE") ? Expression() : null;
        return new MatchClause(at, optional, patterns, where);
    }

    private Projection ProjectionBody()
    {
        var distinct = TryKeyword("DISTINCT");
        var star = false;
        var items = new List<ProjectionItem>();
        if (TrySymbol("*"))
        {
            star = true;
            while (TrySymbol(",")) items.Add(ProjectionItemAt());
        }
        else
        {
            items.Add(ProjectionItemAt());
            while (TrySymbol(",")) items.Add(ProjectionItemAt());
        }
        var order = new List<SortItem>();
        if (AtKeywords("ORDER", "BY"))
        {
            _i += 2;
            do
            {
                var e = Expression();
                var desc = false;
                if (TryKeyword("DESC") || TryKeyword("DESCENDING")) desc = true;
                else if (TryKeyword("ASC") || TryKeyword("ASCENDING")) desc = false;
                order.Add(new SortItem(e, desc));
            } while (TrySymbol(","));
        }
        var skip = TryKeyword("SKIP") ? Expression() : null;
        var limit = TryKeyword("LIMIT") ? Expression() : null;
        return new Projection(distinct, star, items, order, skip, limit);
    }

    private ProjectionItem ProjectionItemAt()
    {
        var start = Peek().At.Offset;
        var e = Expression();
        var text = _text[start..LastEnd].Trim();
        string? alias = null;
        if (TryKeyword("AS")) alias = VariableName();
        return new ProjectionItem(e, alias, text);
    }

    // ---- patterns ----

    private PatternPart PatternPartAt()
    {
        var at = Peek().At;
        string? pathVar = null;
        if (IsName(Peek()) && Peek(1).Is("="))
        {
            pathVar = VariableName();
            Next();
        }
        var fn = PathFunction.None;
        if (Peek().Kind == TokenKind.Identifier && Peek(1).Is("("))
        {
            if (Peek().IsKeyword("shortestPath")) fn = PathFunction.ShortestPath;
            else if (Peek().IsKeyword("allShortestPaths")) fn = PathFunction.AllShortestPaths;
            else throw Unexpected("expected a node pattern '('");
            Next();
            ExpectSymbol("(", "after " + (fn == PathFunction.ShortestPath ? "shortestPath" : "allShortestPaths"));
            var (first, chain) = PatternElement();
            ExpectSymbol(")", "closing the shortest path pattern");
            return new PatternPart(at, pathVar, fn, first, chain);
        }
        var (f, c) = PatternElement();
        return new PatternPart(at, pathVar, fn, f, c);
    }

    private (NodePattern First, List<(RelPattern, NodePattern)> Chain) PatternElement()
    {
        // ( (a)-->(b) ) : a parenthesised pattern element.
        if (AtSymbol("(") && Peek(1).Is("("))
        {
            Next();
            Deeper();
            try
            {
                var inner = PatternElement();
                ExpectSymbol(")", "closing the parenthesised pattern");
                return inner;
            }
            finally { _depth--; }
        }
        var first = NodePatternAt();
        var chain = new List<(RelPattern, NodePattern)>();
        while (AtSymbol("-") || (AtSymbol("<") && Peek(1).Is("-")))
        {
            var rel = RelPatternAt();
            chain.Add((rel, NodePatternAt()));
        }
        return (first, chain);
    }

    private NodePattern NodePatternAt()
    {
        var open = ExpectSymbol("(", "to start a node pattern");
        string? v = null;
        if (IsName(Peek())) v = VariableName();
        var labels = new List<string>();
        while (TrySymbol(":"))
        {
            labels.Add(SymbolicName("a label"));
            if (AtSymbol("|")) throw CypherException.Unsupported("label expressions (:A|B)", Peek().At);
        }
        var props = PatternProperties();
        if (AtKeyword("WHERE")) throw CypherException.Unsupported("WHERE inside a node pattern", Peek().At);
        ExpectSymbol(")", "closing the node pattern");
        return new NodePattern(open.At, v, labels, props);
    }

    private Expr? PatternProperties()
    {
        if (AtSymbol("{")) return MapLiteral();
        if (Peek().Kind == TokenKind.Parameter)
        {
            var t = Next();
            return new ParameterExpr(t.At, t.Text);
        }
        return null;
    }

    private RelPattern RelPatternAt()
    {
        var at = Peek().At;
        var left = false;
        if (AtSymbol("<")) { Next(); left = true; }
        ExpectSymbol("-", "in a relationship pattern");
        string? v = null;
        var types = new List<string>();
        VarLength? length = null;
        Expr? props = null;
        if (TrySymbol("["))
        {
            if (IsName(Peek())) v = VariableName();
            if (TrySymbol(":"))
            {
                types.Add(SymbolicName("a relationship type"));
                while (TrySymbol("|"))
                {
                    TrySymbol(":");
                    types.Add(SymbolicName("a relationship type"));
                }
            }
            if (TrySymbol("*")) length = Range();
            props = PatternProperties();
            if (AtKeyword("WHERE")) throw CypherException.Unsupported("WHERE inside a relationship pattern", Peek().At);
            ExpectSymbol("]", "closing the relationship pattern");
        }
        ExpectSymbol("-", "in a relationship pattern");
        var right = TrySymbol(">");
        var dir = left && right ? RelDirection.Both : left ? RelDirection.Left : right ? RelDirection.Right : RelDirection.Both;
        return new RelPattern(at, v, types, dir, length, props);
    }

    private VarLength Range()
    {
        int? min = null, max = null;
        if (Peek().Kind == TokenKind.Integer) min = RangeBound();
        if (TrySymbol(".."))
        {
            if (Peek().Kind == TokenKind.Integer) max = RangeBound();
        }
        else if (min is not null) max = min; // *3 is exactly 3
        return new VarLength(min, max);
    }

    private int RangeBound()
    {
        var t = Next();
        if (!long.TryParse(t.Text, out var n) || n > int.MaxValue) throw CypherException.Syntax("InvalidNumberLiteral", $"'{t.Text}' is not a valid length", t.At);
        return (int)n;
    }

    // ---- names ----

    private static readonly HashSet<string> Reserved = new(StringComparer.OrdinalIgnoreCase)
    {
        "MATCH", "OPTIONAL", "WHERE", "WITH", "RETURN", "UNWIND", "AS", "ORDER", "BY", "SKIP", "LIMIT", "DISTINCT",
        "AND", "OR", "XOR", "NOT", "IN", "STARTS", "ENDS", "CONTAINS", "IS", "NULL", "TRUE", "FALSE", "CASE", "WHEN",
        "THEN", "ELSE", "END", "CREATE", "MERGE", "SET", "DELETE", "DETACH", "REMOVE", "UNION", "ALL", "CALL", "YIELD",
        "ASC", "ASCENDING", "DESC", "DESCENDING", "FOREACH", "ON",
    };

    private static bool IsName(Token t) => t.Kind == TokenKind.QuotedIdentifier || (t.Kind == TokenKind.Identifier && !Reserved.Contains(t.Text));

    private string VariableName()
    {
        var t = Peek();
        if (!IsName(t)) throw Unexpected("expected a variable name");
        Next();
        return t.Text;
    }

    /// <summary>Labels, types, property keys, map keys: keywords are allowed here.</summary>
    private string SymbolicName(string what)
    {
        var t = Peek();
        if (t.Kind is not (TokenKind.Identifier or TokenKind.QuotedIdentifier)) throw Unexpected($"expected {what}");
        Next();
        return t.Text;
    }
}

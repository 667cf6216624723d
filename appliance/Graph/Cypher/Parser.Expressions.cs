using System.Globalization;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace Redoubt.Graph.Cypher;

// Expressions, by openCypher 9 precedence (loosest first): OR, XOR, AND, NOT, comparisons,
// string/list/null predicates, + -, * / %, ^, unary + -, postfix (property, index, slice, labels), atoms.
public sealed partial class Parser
{
    /// <summary>
    /// How deep expressions may nest: parentheses, lists, maps, function calls, comprehensions,
    /// operators (a chain of 100 ORs is 100 levels), property and index accesses, and expressions in
    /// patterns. The parser, the planner and the evaluator recurse once per level, so this bounds
    /// their stack; deeper input is a syntax error at the place it goes too deep (docs/cypher.md, Limits).
    /// </summary>
    public const int MaxNesting = 100;

    private int _depth;

    /// <summary>
    /// Expressions parsed, counting re-parses: a parenthesis or a bracket may start a pattern or an
    /// expression, and the parser tries one then the other, so nesting both ([({k: [({k: ...})]})])
    /// doubles the work at each level. Bounded by the length of the query, so parsing stays linear.
    /// </summary>
    private int _parsed;
    private const int ParsesPerToken = 64;

    private Expr Expression()
    {
        if (++_parsed > ParsesPerToken * _tokens.Count + 1024)
            throw CypherException.Syntax("TooComplexToParse", "the query nests patterns and expressions in each other too intricately to parse; simplify it", Peek().At);
        Deeper();
        try
        {
            var e = Or();
            if (_depth == 1) CheckDepth(e);
            return e;
        }
        finally { _depth--; }
    }

    /// <summary>One more level of recursion in the parser; refused past <see cref="MaxNesting"/> (the caller undoes it).</summary>
    private void Deeper()
    {
        if (++_depth > MaxNesting || !RuntimeHelpers.TryEnsureSufficientExecutionStack())
            throw TooDeep(Peek().At);
    }

    /// <summary>Limits end the parse: trying the other reading of a '(' or '[' would only hit them again.</summary>
    private static bool IsLimit(CypherException e) => e.Code is "NestingTooDeep" or "TooComplexToParse";

    private static CypherException TooDeep(Pos at) =>
        CypherException.Syntax("NestingTooDeep", $"the expression nests more than {MaxNesting} levels deep (parentheses, lists, maps, operators, patterns); simplify it", at);

    /// <summary>
    /// The depth of the tree just parsed, without recursion: an operator chain (1+1+...+1) is parsed by
    /// a loop but is as deep as it is long, and the planner and evaluator recurse along it.
    /// </summary>
    private static void CheckDepth(Expr root)
    {
        var stack = new Stack<(Expr E, int Depth)>();
        stack.Push((root, 1));
        while (stack.Count > 0)
        {
            var (e, d) = stack.Pop();
            if (d > MaxNesting) throw TooDeep(e.At);
            foreach (var c in Children(e)) stack.Push((c, d + 1));
        }
    }

    private static IEnumerable<Expr> Children(Expr e)
    {
        switch (e)
        {
            case PropertyExpr x: yield return x.Target; break;
            case IndexExpr x: yield return x.Target; yield return x.Index; break;
            case SliceExpr x:
                yield return x.Target;
                if (x.From is not null) yield return x.From;
                if (x.To is not null) yield return x.To;
                break;
            case BinaryExpr x: yield return x.Left; yield return x.Right; break;
            case CompareExpr x: foreach (var o in x.Operands) yield return o; break;
            case NotExpr x: yield return x.Operand; break;
            case NegateExpr x: yield return x.Operand; break;
            case IsNullExpr x: yield return x.Operand; break;
            case HasLabelsExpr x: yield return x.Target; break;
            case FunctionExpr x: foreach (var a in x.Args) yield return a; break;
            case ListExpr x: foreach (var i in x.Items) yield return i; break;
            case MapExpr x: foreach (var (_, v) in x.Entries) yield return v; break;
            case CaseExpr x:
                if (x.Test is not null) yield return x.Test;
                foreach (var (w, t) in x.Whens) { yield return w; yield return t; }
                if (x.Else is not null) yield return x.Else;
                break;
            case ListComprehensionExpr x:
                yield return x.List;
                if (x.Where is not null) yield return x.Where;
                if (x.Projection is not null) yield return x.Projection;
                break;
            case QuantifierExpr x: yield return x.List; yield return x.Where; break;
            case PatternExpr x: foreach (var p in PatternChildren(x.Pattern)) yield return p; break;
            case PatternComprehensionExpr x:
                foreach (var p in PatternChildren(x.Pattern)) yield return p;
                if (x.Where is not null) yield return x.Where;
                yield return x.Projection;
                break;
        }
    }

    private static IEnumerable<Expr> PatternChildren(PatternPart p)
    {
        if (p.First.Properties is not null) yield return p.First.Properties;
        foreach (var (rel, node) in p.Chain)
        {
            if (rel.Properties is not null) yield return rel.Properties;
            if (node.Properties is not null) yield return node.Properties;
        }
    }

    private Expr Or()
    {
        var left = Xor();
        while (AtKeyword("OR")) { var at = Next().At; left = new BinaryExpr(at, BinaryOp.Or, left, Xor()); }
        return left;
    }

    private Expr Xor()
    {
        var left = And();
        while (AtKeyword("XOR")) { var at = Next().At; left = new BinaryExpr(at, BinaryOp.Xor, left, And()); }
        return left;
    }

    private Expr And()
    {
        var left = Not();
        while (AtKeyword("AND")) { var at = Next().At; left = new BinaryExpr(at, BinaryOp.And, left, Not()); }
        return left;
    }

    private Expr Not()
    {
        if (AtKeyword("NOT"))
        {
            var at = Next().At;
            Deeper();
            try { return new NotExpr(at, Not()); }
            finally { _depth--; }
        }
        return Comparison();
    }

    private Expr Comparison()
    {
        var first = Predicates();
        var operands = new List<Expr> { first };
        var ops = new List<CompareOp>();
        while (true)
        {
            CompareOp? op = Peek() switch
            {
                var t when t.Is("=") => CompareOp.Eq,
                var t when t.Is("<>") || t.Is("!=") => CompareOp.Ne,
                var t when t.Is("<") => CompareOp.Lt,
                var t when t.Is("<=") => CompareOp.Le,
                var t when t.Is(">") => CompareOp.Gt,
                var t when t.Is(">=") => CompareOp.Ge,
                _ => null,
            };
            if (op is null) break;
            Next();
            ops.Add(op.Value);
            operands.Add(Predicates());
        }
        return ops.Count == 0 ? first : new CompareExpr(first.At, operands, ops);
    }

    private Expr Predicates()
    {
        var left = AddSub();
        while (true)
        {
            var at = Peek().At;
            if (AtKeywords("STARTS", "WITH")) { _i += 2; left = new BinaryExpr(at, BinaryOp.StartsWith, left, AddSub()); }
            else if (AtKeywords("ENDS", "WITH")) { _i += 2; left = new BinaryExpr(at, BinaryOp.EndsWith, left, AddSub()); }
            else if (AtKeyword("CONTAINS")) { Next(); left = new BinaryExpr(at, BinaryOp.Contains, left, AddSub()); }
            else if (AtKeyword("IN")) { Next(); left = new BinaryExpr(at, BinaryOp.In, left, AddSub()); }
            else if (AtSymbol("=~")) { Next(); left = new BinaryExpr(at, BinaryOp.Regex, left, AddSub()); }
            else if (AtKeyword("IS"))
            {
                Next();
                var negated = TryKeyword("NOT");
                ExpectKeyword("NULL", "in IS [NOT] NULL");
                left = new IsNullExpr(at, left, negated);
            }
            else return left;
        }
    }

    private Expr AddSub()
    {
        var left = MulDiv();
        while (AtSymbol("+") || AtSymbol("-"))
        {
            var t = Next();
            left = new BinaryExpr(t.At, t.Text == "+" ? BinaryOp.Add : BinaryOp.Subtract, left, MulDiv());
        }
        return left;
    }

    private Expr MulDiv()
    {
        var left = Power();
        while (AtSymbol("*") || AtSymbol("/") || AtSymbol("%"))
        {
            var t = Next();
            var op = t.Text switch { "*" => BinaryOp.Multiply, "/" => BinaryOp.Divide, _ => BinaryOp.Modulo };
            left = new BinaryExpr(t.At, op, left, Power());
        }
        return left;
    }

    private Expr Power()
    {
        var left = Unary();
        while (AtSymbol("^")) { var at = Next().At; left = new BinaryExpr(at, BinaryOp.Power, left, Unary()); }
        return left;
    }

    private Expr Unary()
    {
        if (AtSymbol("-"))
        {
            var at = Next().At;
            // A minus directly before an integer literal is part of it: -9223372036854775808 is in range.
            if (Peek().Kind == TokenKind.Integer) return Postfix(IntegerLiteral(Next(), negative: true, at));
            if (Peek().Kind == TokenKind.Float) return Postfix(FloatLiteral(Next(), negative: true, at));
            Deeper();
            try { return new NegateExpr(at, Unary()); }
            finally { _depth--; }
        }
        if (AtSymbol("+"))
        {
            Next();
            Deeper();
            try { return Unary(); }
            finally { _depth--; }
        }
        return Postfix(Atom());
    }

    private Expr Postfix(Expr e)
    {
        while (true)
        {
            var at = Peek().At;
            if (TrySymbol("."))
            {
                e = new PropertyExpr(at, e, SymbolicName("a property name"));
            }
            else if (AtSymbol("["))
            {
                Next();
                if (TrySymbol(".."))
                {
                    var to = AtSymbol("]") ? null : Expression();
                    ExpectSymbol("]", "closing the slice");
                    e = new SliceExpr(at, e, null, to);
                    continue;
                }
                var index = Expression();
                if (TrySymbol(".."))
                {
                    var to = AtSymbol("]") ? null : Expression();
                    ExpectSymbol("]", "closing the slice");
                    e = new SliceExpr(at, e, index, to);
                    continue;
                }
                ExpectSymbol("]", "closing the index");
                e = new IndexExpr(at, e, index);
            }
            else if (AtSymbol(":") && e is VariableExpr or PropertyExpr or IndexExpr)
            {
                var labels = new List<string>();
                while (TrySymbol(":")) labels.Add(SymbolicName("a label"));
                e = new HasLabelsExpr(at, e, labels);
            }
            else if (AtSymbol("{") && e is VariableExpr)
            {
                throw CypherException.Unsupported("map projection (n {.key})", Peek().At);
            }
            else return e;
        }
    }

    private Expr Atom()
    {
        var t = Peek();
        switch (t.Kind)
        {
            case TokenKind.Integer: Next(); return IntegerLiteral(t, negative: false, t.At);
            case TokenKind.Float: Next(); return FloatLiteral(t, negative: false, t.At);
            case TokenKind.String: Next(); return new LiteralExpr(t.At, Value.Str(t.Text));
            case TokenKind.Parameter: Next(); return new ParameterExpr(t.At, t.Text);
            case TokenKind.QuotedIdentifier: Next(); return new VariableExpr(t.At, t.Text);
            case TokenKind.End: throw Unexpected("expected an expression");
        }
        if (t.Is("(")) return Parenthesised();
        if (t.Is("[")) return ListOrComprehension();
        if (t.Is("{")) return MapLiteral();
        if (t.Kind != TokenKind.Identifier) throw Unexpected("expected an expression");

        var word = t.Text.ToUpperInvariant();
        switch (word)
        {
            case "TRUE": Next(); return new LiteralExpr(t.At, Value.True);
            case "FALSE": Next(); return new LiteralExpr(t.At, Value.False);
            case "NULL": Next(); return new LiteralExpr(t.At, Value.Null);
            case "CASE": Next(); return Case(t.At);
            case "COUNT" when Peek(1).Is("(") && Peek(2).Is("*"):
                _i += 3;
                ExpectSymbol(")", "closing count(*)");
                return new CountStarExpr(t.At);
            case "EXISTS" when Peek(1).Is("{"):
                throw CypherException.Unsupported("EXISTS { subquery }", t.At);
            case "COUNT" when Peek(1).Is("{"):
                throw CypherException.Unsupported("COUNT { subquery }", t.At);
            case "ALL" or "ANY" or "NONE" or "SINGLE" when Peek(1).Is("(") && IsName(Peek(2)) && Peek(3).IsKeyword("IN"):
                return Quantifier(t.At, word);
            case "REDUCE" when Peek(1).Is("("):
                throw CypherException.Unsupported("reduce()", t.At);
        }
        if (Peek(1).Is("(")) return Function();
        if (Peek(1).Is(".") && Peek(2).Kind == TokenKind.Identifier && Peek(3).Is("("))
            throw CypherException.Unsupported($"function {t.Text}.{Peek(2).Text}()", t.At);
        if (Reserved.Contains(t.Text)) throw Unexpected("expected an expression");
        Next();
        return new VariableExpr(t.At, t.Text);
    }

    private Expr Parenthesised()
    {
        // (a)-->(b) as a predicate, or a parenthesised expression: try the pattern first.
        var save = _i;
        try
        {
            var part = PatternPartAt();
            if (part.Chain.Count > 0) return new PatternExpr(part.At, part);
        }
        catch (CypherException e) when (e.Kind == CypherErrorKind.Syntax && !IsLimit(e)) { }
        _i = save;
        Next();
        var inner = Expression();
        ExpectSymbol(")", "closing the parenthesis");
        return inner;
    }

    private Expr ListOrComprehension()
    {
        var open = Next();
        if (IsName(Peek()) && Peek(1).IsKeyword("IN"))
        {
            var v = VariableName();
            Next();
            var list = Expression();
            var where = TryKeyword("WHERE") ? Expression() : null;
            var proj = TrySymbol("|") ? Expression() : null;
            ExpectSymbol("]", "closing the list comprehension");
            return new ListComprehensionExpr(open.At, v, list, where, proj);
        }
        if (AtSymbol("(") || (IsName(Peek()) && Peek(1).Is("=")))
        {
            var save = _i;
            PatternPart? part = null;
            try { part = PatternPartAt(); }
            catch (CypherException e) when (e.Kind == CypherErrorKind.Syntax && !IsLimit(e)) { }
            if (part is not null && (AtSymbol("|") || AtKeyword("WHERE")))
            {
                var where = TryKeyword("WHERE") ? Expression() : null;
                ExpectSymbol("|", "in a pattern comprehension [(a)-->(b) | projection]");
                var projection = Expression();
                ExpectSymbol("]", "closing the pattern comprehension");
                return new PatternComprehensionExpr(open.At, part, where, projection);
            }
            _i = save;
        }
        var items = new List<Expr>();
        if (!AtSymbol("]"))
        {
            items.Add(Expression());
            while (TrySymbol(",")) items.Add(Expression());
        }
        ExpectSymbol("]", "closing the list");
        return new ListExpr(open.At, items);
    }

    private MapExpr MapLiteral()
    {
        var open = ExpectSymbol("{", "to start a map");
        var entries = new List<(string, Expr)>();
        if (!AtSymbol("}"))
        {
            do
            {
                var key = SymbolicName("a map key");
                ExpectSymbol(":", "after a map key");
                entries.Add((key, Expression()));
            } while (TrySymbol(","));
        }
        ExpectSymbol("}", "closing the map");
        return new MapExpr(open.At, entries);
    }

    private Expr Case(Pos at)
    {
        Expr? test = AtKeyword("WHEN") ? null : Expression();
        var whens = new List<(Expr, Expr)>();
        while (TryKeyword("WHEN"))
        {
            var w = Expression();
            ExpectKeyword("THEN", "after CASE ... WHEN");
            whens.Add((w, Expression()));
        }
        if (whens.Count == 0) throw Unexpected("expected WHEN in CASE");
        var otherwise = TryKeyword("ELSE") ? Expression() : null;
        ExpectKeyword("END", "closing CASE");
        return new CaseExpr(at, test, whens, otherwise);
    }

    private Expr Quantifier(Pos at, string word)
    {
        Next();
        Next();
        var v = VariableName();
        ExpectKeyword("IN", "in the quantifier");
        var list = Expression();
        ExpectKeyword("WHERE", $"in {word.ToLowerInvariant()}(x IN list WHERE predicate)");
        var where = Expression();
        ExpectSymbol(")", "closing the quantifier");
        var kind = word switch { "ALL" => QuantifierKind.All, "ANY" => QuantifierKind.Any, "NONE" => QuantifierKind.None, _ => QuantifierKind.Single };
        return new QuantifierExpr(at, kind, v, list, where);
    }

    private Expr Function()
    {
        var name = Next();
        Next(); // (
        var distinct = TryKeyword("DISTINCT");
        var args = new List<Expr>();
        if (!AtSymbol(")"))
        {
            args.Add(Expression());
            while (TrySymbol(",")) args.Add(Expression());
        }
        ExpectSymbol(")", $"closing {name.Text}(...)");
        return new FunctionExpr(name.At, name.Text, distinct, args);
    }

    private static LiteralExpr IntegerLiteral(Token t, bool negative, Pos at)
    {
        var text = t.Text;
        BigInteger value = default;
        bool ok;
        if (text.Length > 1 && text[0] == '0' && text[1] is 'x' or 'X')
            ok = text.Length > 2 && BigInteger.TryParse("0" + text[2..], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value);
        else if (text.Length > 1 && text[0] == '0' && text[1] is 'o' or 'O')
            ok = TryOctal(text[2..], out value);
        else
            ok = BigInteger.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);
        if (!ok) throw CypherException.Syntax("InvalidNumberLiteral", $"'{(negative ? "-" : "") + text}' is not a number", at);
        if (negative) value = -value;
        if (value < long.MinValue || value > long.MaxValue)
            throw CypherException.Syntax("IntegerOverflow", $"{(negative ? "-" : "") + text} does not fit in a 64-bit integer", at);
        return new LiteralExpr(at, Value.Int((long)value));
    }

    private static bool TryOctal(string digits, out BigInteger value)
    {
        value = 0;
        if (digits.Length == 0) return false;
        foreach (var c in digits)
        {
            if (c is < '0' or > '7') return false;
            value = value * 8 + (c - '0');
        }
        return true;
    }

    private static LiteralExpr FloatLiteral(Token t, bool negative, Pos at)
    {
        if (!double.TryParse(t.Text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d))
            throw CypherException.Syntax("InvalidNumberLiteral", $"'{t.Text}' is not a number", at);
        if (double.IsInfinity(d)) throw CypherException.Syntax("FloatingPointOverflow", $"{t.Text} is too large for a float", at);
        // -0.0 is 0.0, as openCypher prints it.
        return new LiteralExpr(at, Value.Float(negative && d != 0 ? -d : d));
    }
}

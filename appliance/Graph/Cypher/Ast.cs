namespace Redoubt.Graph.Cypher;

// The syntax tree the parser builds and the planner reads. Every node keeps where it starts, for
// error messages; projection items keep their source text, which names unaliased columns.

public sealed record Query(IReadOnlyList<SingleQuery> Parts, IReadOnlyList<bool> UnionAll);

public sealed record SingleQuery(IReadOnlyList<Clause> Clauses);

public abstract record Clause(Pos At);

public sealed record MatchClause(Pos At, bool Optional, IReadOnlyList<PatternPart> Patterns, Expr? Where) : Clause(At);

public sealed record UnwindClause(Pos At, Expr List, string Variable) : Clause(At);

public sealed record WithClause(Pos At, Projection Projection, Expr? Where) : Clause(At);

public sealed record ReturnClause(Pos At, Projection Projection) : Clause(At);

/// <summary>Only in builder mode (tests set up graphs with it); the API refuses it.</summary>
public sealed record CreateClause(Pos At, IReadOnlyList<PatternPart> Patterns) : Clause(At);

public sealed record Projection(bool Distinct, bool Star, IReadOnlyList<ProjectionItem> Items, IReadOnlyList<SortItem> OrderBy, Expr? Skip, Expr? Limit);

public sealed record ProjectionItem(Expr Expr, string? Alias, string Text)
{
    public string ColumnName => Alias ?? Text;
}

public sealed record SortItem(Expr Expr, bool Descending);

public enum PathFunction { None, ShortestPath, AllShortestPaths }

public sealed record PatternPart(Pos At, string? PathVariable, PathFunction Function, NodePattern First, IReadOnlyList<(RelPattern Rel, NodePattern Node)> Chain);

public sealed record NodePattern(Pos At, string? Variable, IReadOnlyList<string> Labels, Expr? Properties);

public enum RelDirection { Right, Left, Both }

/// <summary>A variable-length range: *min..max; null bounds are open.</summary>
public sealed record VarLength(int? Min, int? Max);

public sealed record RelPattern(Pos At, string? Variable, IReadOnlyList<string> Types, RelDirection Direction, VarLength? Length, Expr? Properties);

public abstract record Expr(Pos At);

public sealed record LiteralExpr(Pos At, Value Value) : Expr(At);

public sealed record ParameterExpr(Pos At, string Name) : Expr(At);

public sealed record VariableExpr(Pos At, string Name) : Expr(At);

public sealed record PropertyExpr(Pos At, Expr Target, string Name) : Expr(At);

public sealed record IndexExpr(Pos At, Expr Target, Expr Index) : Expr(At);

public sealed record SliceExpr(Pos At, Expr Target, Expr? From, Expr? To) : Expr(At);

public enum BinaryOp { Add, Subtract, Multiply, Divide, Modulo, Power, And, Or, Xor, StartsWith, EndsWith, Contains, In, Regex }

public sealed record BinaryExpr(Pos At, BinaryOp Op, Expr Left, Expr Right) : Expr(At);

public enum CompareOp { Eq, Ne, Lt, Le, Gt, Ge }

/// <summary>a &lt; b &lt;= c is (a &lt; b) AND (b &lt;= c), as openCypher chains comparisons.</summary>
public sealed record CompareExpr(Pos At, IReadOnlyList<Expr> Operands, IReadOnlyList<CompareOp> Ops) : Expr(At);

public sealed record NotExpr(Pos At, Expr Operand) : Expr(At);

public sealed record NegateExpr(Pos At, Expr Operand) : Expr(At);

public sealed record IsNullExpr(Pos At, Expr Operand, bool Negated) : Expr(At);

public sealed record HasLabelsExpr(Pos At, Expr Target, IReadOnlyList<string> Labels) : Expr(At);

public sealed record FunctionExpr(Pos At, string Name, bool Distinct, IReadOnlyList<Expr> Args) : Expr(At);

public sealed record CountStarExpr(Pos At) : Expr(At);

public sealed record ListExpr(Pos At, IReadOnlyList<Expr> Items) : Expr(At);

public sealed record MapExpr(Pos At, IReadOnlyList<(string Key, Expr Value)> Entries) : Expr(At);

public sealed record CaseExpr(Pos At, Expr? Test, IReadOnlyList<(Expr When, Expr Then)> Whens, Expr? Else) : Expr(At);

/// <summary>[x IN list WHERE pred | projection]</summary>
public sealed record ListComprehensionExpr(Pos At, string Variable, Expr List, Expr? Where, Expr? Projection) : Expr(At);

public enum QuantifierKind { All, Any, None, Single }

/// <summary>all/any/none/single(x IN list WHERE pred)</summary>
public sealed record QuantifierExpr(Pos At, QuantifierKind Kind, string Variable, Expr List, Expr Where) : Expr(At);

/// <summary>A pattern used as a predicate (WHERE (a)-->(b)): true when at least one match exists.</summary>
public sealed record PatternExpr(Pos At, PatternPart Pattern) : Expr(At);

/// <summary>[(a)-->(b) WHERE pred | projection]: the projection for every match of the pattern.</summary>
public sealed record PatternComprehensionExpr(Pos At, PatternPart Pattern, Expr? Where, Expr Projection) : Expr(At);

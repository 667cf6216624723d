namespace Redoubt.Graph.Cypher;

/// <summary>
/// What went wrong, as a small closed set. The API maps each to a stable error code; the TCK runner
/// maps them to the TCK's error classes (SyntaxError, TypeError, ArgumentError...).
/// </summary>
public enum CypherErrorKind
{
    /// <summary>Not valid Cypher, or invalid use of valid syntax (undefined variable, type conflict...).</summary>
    Syntax,
    /// <summary>A value of the wrong type at run time (a property of a number, a list index that is a string...).</summary>
    Type,
    /// <summary>A value out of range at run time (integer overflow, division by zero...).</summary>
    Argument,
    /// <summary>Valid openCypher that this subset does not implement: refused, never guessed.</summary>
    Unsupported,
    /// <summary>CREATE, MERGE, SET, DELETE, REMOVE: the graph is derived from events and imports.</summary>
    ReadOnly,
    /// <summary>A $parameter the request did not give.</summary>
    ParameterMissing,
    /// <summary>The query used up its time, work or memory budget.</summary>
    Budget,
    /// <summary>The cost pre-check estimates more work than any budget allows.</summary>
    TooComplex,
}

/// <summary>
/// A query refused or stopped, with where (line and column in the query text, 1-based; 0 when it is
/// not about one place) and a plain message. <see cref="Code"/> names the cause in the TCK's terms
/// (UndefinedVariable, VariableTypeConflict...) where one applies.
/// </summary>
public sealed class CypherException : Exception
{
    public CypherErrorKind Kind { get; }
    public string Code { get; }
    public int Line { get; }
    public int Column { get; }
    /// <summary>Raised while running (false: while parsing and planning, before any data was read).</summary>
    public bool AtRuntime { get; init; }

    public CypherException(CypherErrorKind kind, string code, string message, int line = 0, int column = 0)
        : base(line > 0 ? $"{message} (line {line}, column {column})" : message)
    {
        Kind = kind;
        Code = code;
        Line = line;
        Column = column;
        PlainMessage = message;
    }

    /// <summary>The message without the position suffix.</summary>
    public string PlainMessage { get; }

    public static CypherException Syntax(string code, string message, Pos at) => new(CypherErrorKind.Syntax, code, message, at.Line, at.Column);

    public static CypherException Unsupported(string feature, Pos at) =>
        new(CypherErrorKind.Unsupported, feature, $"{feature} is not supported by this openCypher subset (docs/cypher.md lists what is)", at.Line, at.Column);

    public static CypherException Type(string code, string message) => new(CypherErrorKind.Type, code, message) { AtRuntime = true };

    public static CypherException Argument(string code, string message) => new(CypherErrorKind.Argument, code, message) { AtRuntime = true };
}

/// <summary>A place in the query text: 1-based line and column, and the character offset.</summary>
public readonly record struct Pos(int Line, int Column, int Offset)
{
    public static readonly Pos None = new(0, 0, 0);
}

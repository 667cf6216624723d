namespace Redoubt.Detection.Compile;

/// <summary>Why a rule did not load: a stable code and a sentence for the admin, at a YAML position.</summary>
public sealed class RuleException(string code, string message, int line = 0, int column = 0) : Exception(message)
{
    public string Code { get; } = code;
    public int Line { get; internal set; } = line;
    public int Column { get; internal set; } = column;

    public RuleException At(YamlDotNet.Core.Mark mark)
    {
        if (Line == 0) { Line = (int)mark.Line; Column = (int)mark.Column; }
        return this;
    }
}

/// <summary>Load-error codes. Part of the API (GET /api/v1/rules): never rename.</summary>
public static class ErrorCodes
{
    public const string YamlSyntax = "yaml_syntax";
    public const string MissingField = "missing_field";
    public const string InvalidField = "invalid_field";
    public const string UnknownModifier = "unknown_modifier";
    public const string InvalidModifier = "invalid_modifier";
    public const string InvalidValue = "invalid_value";
    public const string InvalidRegex = "invalid_regex";
    public const string ConditionSyntax = "condition_syntax";
    public const string UnknownSelection = "unknown_selection";
    public const string Unsupported = "unsupported_feature";
    public const string NoLogSource = "no_log_source";
    public const string DuplicateId = "duplicate_id";
    public const string UndefinedPlaceholder = "undefined_placeholder";
    public const string UnknownRule = "unknown_rule";
    public const string ReadFailed = "read_failed";
}

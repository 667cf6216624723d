namespace Redoubt.Api;

/// <summary>
/// System.Text.Json parses a string escape that makes invalid UTF-16 (a lone <c>\ud800</c>) and only
/// refuses it when the string is read (GetString, a property's name), with an InvalidOperationException
/// thrown from System.Text.Json. Request readers turn that into a 400 instead of an empty 500.
/// </summary>
internal static class JsonText
{
    public const string Code = "bad_text";
    public const string Message = "a string in the body is not valid Unicode (an unpaired surrogate escape such as \\ud800)";

    public static bool IsInvalidString(Exception e) =>
        e is InvalidOperationException && e.TargetSite?.DeclaringType?.Assembly == typeof(System.Text.Json.JsonDocument).Assembly;
}

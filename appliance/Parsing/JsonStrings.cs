using System.Text.Json;

namespace Redoubt.Parsing;

/// <summary>
/// JSON text may spell a string that is not valid Unicode: a <c>\u</c> escape of a lone UTF-16
/// surrogate (<c>"\ud800"</c>) is legal JSON grammar, and System.Text.Json parses it, but throws
/// <see cref="InvalidOperationException"/> when the string is read or re-written — half-way through a
/// response, if nobody checked first. Ingest refuses such lines; output checks stored ones.
/// </summary>
public static class JsonStrings
{
    /// <summary>
    /// Whether every property name and string value in <paramref name="root"/> is valid UTF-16.
    /// <paramref name="text"/> is the JSON it was parsed from: without a <c>\u</c> escape in it no
    /// string can be invalid, so the common case costs one scan and no walk.
    /// </summary>
    public static bool AreValid(string text, JsonElement root) =>
        !text.Contains("\\u", StringComparison.Ordinal) || AreValid(root);

    private static bool AreValid(JsonElement root)
    {
        try
        {
            Walk(root, 0);
            return true;
        }
        catch (InvalidOperationException) { return false; }
    }

    private static void Walk(JsonElement e, int depth)
    {
        // JsonDocument bounds the depth it parses (64 by default); this bound only keeps the walk honest.
        if (depth > 256) return;
        switch (e.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var p in e.EnumerateObject())
                {
                    _ = p.Name;
                    Walk(p.Value, depth + 1);
                }
                break;
            case JsonValueKind.Array:
                foreach (var item in e.EnumerateArray()) Walk(item, depth + 1);
                break;
            case JsonValueKind.String:
                _ = e.GetString();
                break;
        }
    }

    public const string UnpairedSurrogate = "a \\u escape encodes an unpaired UTF-16 surrogate (not valid Unicode)";
}

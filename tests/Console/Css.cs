using System.Globalization;
using System.Text;

namespace Redoubt.Tests.Console;

/// <summary>
/// CSS attribute selectors for values that are log content: source and host names here carry
/// quotes, angle brackets and slashes on purpose, so they are escaped as CSS strings, never pasted in.
/// </summary>
public static class Css
{
    public static string Attr(string name, string value) => $"[{name}={Quote(value)}]";

    public static string Quote(string value)
    {
        var b = new StringBuilder(value.Length + 2).Append('"');
        foreach (var c in value)
        {
            if (c is '"' or '\\') b.Append('\\').Append(c);
            else if (c < 0x20 || c == 0x7F) b.Append('\\').Append(((int)c).ToString("x", CultureInfo.InvariantCulture)).Append(' ');
            else b.Append(c);
        }
        return b.Append('"').ToString();
    }
}

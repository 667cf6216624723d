using System.Text;

namespace Redoubt.Parsing;

/// <summary>
/// Per-thread cache of short strings that repeat from event to event (host and app names, field names):
/// the same bytes give the same string instance, so the hot path allocates them once, not once per event.
/// Bounded: when full it stops adding and simply allocates.
/// </summary>
internal static class TextCache
{
    private const int MaxLength = 64, MaxEntries = 4096;

    private const int MaxValueLength = 12, MaxValueEntries = 8192;

    [ThreadStatic] private static Dictionary<string, string>? _cache;
    [ThreadStatic] private static Dictionary<string, string>? _values;

    /// <summary>
    /// A short field value ("0", "N/A", "tcp", "accept"), shared when seen before on this thread. A separate, larger
    /// table than names: values that never repeat (ports, ids) fill it and then it stops growing.
    /// </summary>
    public static string Value(ReadOnlySpan<char> chars)
    {
        if (chars.IsEmpty) return "";
        if (chars.Length > MaxValueLength) return new string(chars);
        var cache = _values ??= new Dictionary<string, string>(256, StringComparer.Ordinal);
        var lookup = cache.GetAlternateLookup<ReadOnlySpan<char>>();
        if (lookup.TryGetValue(chars, out var found)) return found;
        var s = new string(chars);
        if (cache.Count < MaxValueEntries) cache[s] = s;
        return s;
    }

    /// <summary>ASCII (or UTF-8) bytes as a string, shared when seen before on this thread.</summary>
    public static string Ascii(ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty) return "";
        if (bytes.Length > MaxLength) return Encoding.UTF8.GetString(bytes);
        Span<char> chars = stackalloc char[MaxLength];
        for (int i = 0; i < bytes.Length; i++)
        {
            byte b = bytes[i];
            if (b >= 0x80) return Encoding.UTF8.GetString(bytes); // not ASCII: not worth caching
            chars[i] = (char)b;
        }
        return Chars(chars[..bytes.Length]);
    }

    /// <summary>A short value given as bytes (structured data); see <see cref="Value(ReadOnlySpan{char})"/>.</summary>
    public static string Value(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length > MaxValueLength) return SyslogParser.Text(bytes);
        Span<char> chars = stackalloc char[MaxValueLength];
        for (int i = 0; i < bytes.Length; i++)
        {
            if (bytes[i] >= 0x80) return SyslogParser.Text(bytes);
            chars[i] = (char)bytes[i];
        }
        return Value(chars[..bytes.Length]);
    }

    /// <summary>Characters as a string, shared when seen before on this thread.</summary>
    public static string Chars(ReadOnlySpan<char> chars)
    {
        if (chars.IsEmpty) return "";
        if (chars.Length > MaxLength) return new string(chars);
        var cache = _cache ??= new Dictionary<string, string>(256, StringComparer.Ordinal);
        var lookup = cache.GetAlternateLookup<ReadOnlySpan<char>>();
        if (lookup.TryGetValue(chars, out var found)) return found;
        var s = new string(chars);
        if (cache.Count < MaxEntries) cache[s] = s;
        return s;
    }
}

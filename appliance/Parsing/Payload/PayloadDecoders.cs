using Redoubt.Storage.Events;

namespace Redoubt.Parsing.Payload;

/// <summary>
/// Decoders for what devices put after the syslog header: CEF, LEEF, JSON (also behind the `@cee:` cookie), PAN-OS
/// CSV and key=value. The first whose signature the message has fills <see cref="EventRecord.Fields"/> and names itself in
/// <see cref="DecoderField"/>. The message itself is never changed. A decoder never throws: a payload that looks like
/// its format but cannot be read keeps whatever fields were read and says why in <see cref="ErrorField"/>; the event
/// is otherwise stored as it came (no ParseError: the syslog header was fine). Field names: docs/parsing.md.
/// </summary>
public static class PayloadDecoders
{
    /// <summary>Which decoder read the payload: "cef", "leef", "json", "panos", "kv" (or "checkpoint" from the header). Absent when none applied.</summary>
    public const string DecoderField = "_decoder";
    /// <summary>Why the decoder named in <see cref="DecoderField"/> could not read the whole payload.</summary>
    public const string ErrorField = "_decoderError";
    /// <summary>At most this many fields per event (plus the two above); the rest stay in the message only.</summary>
    public const int MaxFields = Fields.MaxFields;

    /// <summary>
    /// Decodes <see cref="EventRecord.Message"/> into fields; then, where the syslog header had no host or no time
    /// (TimeMs == ReceivedAtMs), takes them from the payload's own well-known fields (docs/parsing.md, "Promotion").
    /// Times without a zone are local to <paramref name="sourceZone"/>.
    /// </summary>
    public static void Decode(EventRecord e, TimeZoneInfo sourceZone)
    {
        if (e.Message is not { Length: > 0 } message || (e.Flags & EventFlags.ParseError) != 0) return;
        try
        {
            Apply(message.AsSpan(), e);
            if (e.Fields is not null) Promotion.Apply(e, sourceZone);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Defensive: a decoder bug costs the fields, never the event.
            var f = Fields.Of(e);
            f.TryAdd(DecoderField, "unknown");
            f[ErrorField] = "internal decoder error: " + ex.GetType().Name;
        }
    }

    private static void Apply(ReadOnlySpan<char> m, EventRecord e)
    {
        var s = m.TrimStart();
        if (s.StartsWith("CEF:", StringComparison.Ordinal)) { CefDecoder.Decode(s, e); return; }
        if (s.StartsWith("LEEF:", StringComparison.Ordinal)) { LeefDecoder.Decode(s, e); return; }
        if (s.StartsWith("@cee:", StringComparison.Ordinal)) { JsonDecoder.Decode(s[5..].TrimStart(), e); return; }
        if (s.Length > 1 && s[0] == '{' && s.TrimEnd()[^1] == '}') { JsonDecoder.Decode(s, e); return; }

        if (PanOsDecoder.Matches(s)) { PanOsDecoder.Decode(s, e); return; }

        // "ASM: CEF:0|F5|...", "ASM:CEF:0|...": a prefix the header did not take as a tag.
        int cef = s[..Math.Min(s.Length, 128)].IndexOf("CEF:", StringComparison.Ordinal);
        if (cef > 0 && s[cef - 1] is ' ' or ':' && s[(cef + 4)..].IndexOf('|') >= 0) { CefDecoder.Decode(s[cef..], e); return; }

        KeyValueDecoder.TryDecode(s, e);
    }
}

/// <summary>Where decoders put what they read: bounded, field names shared across events.</summary>
internal static class Fields
{
    /// <summary>A payload with more named fields than this keeps the first ones (and says so).</summary>
    public const int MaxFields = 512;
    public const int MaxNameLength = 128;

    public static Dictionary<string, string> Of(EventRecord e) => e.Fields ??= new Dictionary<string, string>(16, StringComparer.Ordinal);

    /// <summary>The event's fields, sized for about <paramref name="expected"/> more so the table is not grown on the hot path.</summary>
    public static Dictionary<string, string> Of(EventRecord e, int expected)
    {
        if (e.Fields is { } f)
        {
            f.EnsureCapacity(f.Count + Math.Min(expected, MaxFields));
            return f;
        }
        return e.Fields = new Dictionary<string, string>(Math.Clamp(expected, 4, MaxFields + 2), StringComparer.Ordinal);
    }

    /// <summary>Adds a field; false when the event is full (the caller stops) or the name is unusable (skipped).</summary>
    public static bool Add(Dictionary<string, string> fields, ReadOnlySpan<char> name, string value, bool overwrite)
    {
        if (name.IsEmpty || name.Length > MaxNameLength) return true;
        if (fields.Count >= MaxFields)
        {
            fields[PayloadDecoders.ErrorField] = $"more than {MaxFields} fields; the rest are only in the message";
            return false;
        }
        string key = TextCache.Chars(name);
        if (overwrite) fields[key] = value;
        else fields.TryAdd(key, value);
        return true;
    }

    public static void Mark(EventRecord e, string decoder, string? error = null)
    {
        var f = Of(e);
        f[PayloadDecoders.DecoderField] = decoder;
        if (error is not null) f[PayloadDecoders.ErrorField] = error;
    }
}

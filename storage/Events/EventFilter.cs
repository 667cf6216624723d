using System.Text;
using MessagePack;

namespace Redoubt.Storage.Events;

/// <summary>
/// <see cref="EventQuery.Matches"/> evaluated on a stored entry's MessagePack bytes, before (and
/// instead of) decoding it: it reads only the array positions the query's filters need — time (1),
/// host (5), app (6), severity (10), and for the text: host, app, structured data (11), message (12),
/// JSON (14) — skips the rest unread, compares
/// strings on their UTF-8 bytes, and stops at the first filter that fails. A search then decodes
/// only the entries that match. Same answers as the decoded path (EventFilterTests holds them
/// side by side on real events). One instance per query; not for concurrent use (it keeps a buffer).
/// </summary>
internal sealed class EventFilter
{
    // Array positions: the [Key(n)] numbers of EventRecord (frozen, the on-disk format).
    private const int TimeKey = 1, HostKey = 5, AppKey = 6, SeverityKey = 10, StructuredDataKey = 11, MessageKey = 12, JsonKey = 14;

    private readonly long? _from, _to;
    private readonly TextEquals? _host, _app;
    private readonly int? _maxSeverity;
    private readonly TextContains? _text;
    private readonly int _lastKey;

    public EventFilter(EventQuery query)
    {
        _from = query.FromMs;
        _to = query.ToMs;
        _host = query.Host is { } h ? new TextEquals(h) : null;
        _app = query.App is { } a ? new TextEquals(a) : null;
        _maxSeverity = query.MaxSeverity;
        _text = query.Text is { } t ? new TextContains(t) : null;
        _lastKey = _text is not null ? JsonKey : _maxSeverity is not null ? SeverityKey : _app is not null ? AppKey
            : _host is not null ? HostKey : _from is not null || _to is not null ? TimeKey : -1;
    }

    /// <summary>True when every entry matches: nothing to read before decoding.</summary>
    public bool IsEmpty => _lastKey < 0;

    /// <summary>Whether the event in <paramref name="payload"/> (the entry after its CRC, checked by the caller) matches.</summary>
    public bool Matches(ReadOnlyMemory<byte> payload, long address = -1)
    {
        if (IsEmpty) return true;
        try
        {
            var reader = new MessagePackReader(payload);
            var count = reader.ReadArrayHeader();
            var end = Math.Min(count, _lastKey + 1);
            var textFound = false;
            for (var i = 0; i < end; i++)
            {
                switch (i)
                {
                    case TimeKey when _from is not null || _to is not null:
                        if (!TimeMatches(reader.ReadInt64())) return false;
                        break;
                    case HostKey or AppKey when _text is not null || (i == HostKey ? _host : _app) is not null:
                    {
                        var equals = i == HostKey ? _host : _app;
                        var present = TryReadText(ref reader, out var utf8);
                        if (equals is not null && !(present && equals.Matches(utf8))) return false;
                        if (present && !textFound && _text is not null) textFound = _text.Matches(utf8);
                        break;
                    }
                    case SeverityKey when _maxSeverity is { } max:
                        var severity = reader.ReadSByte();
                        if (severity < 0 || severity > max) return false;
                        break;
                    case StructuredDataKey or MessageKey or JsonKey when _text is not null:
                        // Every other filter sits at a lower position and has passed.
                        if (textFound) return true;
                        if (TryReadText(ref reader, out var text) && _text.Matches(text)) return true;
                        break;
                    default:
                        reader.Skip();
                        break;
                }
            }
            // Positions past the end of a short array hold their defaults: time 0, no host, app,
            // message or JSON, severity -1.
            if (count <= TimeKey && (_from is not null || _to is not null) && !TimeMatches(0)) return false;
            if (count <= HostKey && _host is not null) return false;
            if (count <= AppKey && _app is not null) return false;
            if (count <= SeverityKey && _maxSeverity is not null) return false;
            return _text is null || textFound;
        }
        catch (Exception x) when (x is MessagePackSerializationException or EndOfStreamException or OverflowException)
        {
            throw new EventCorruptException(address, "undecodable: " + x.Message);
        }
    }

    private bool TimeMatches(long timeMs) => (_from is not { } from || timeMs >= from) && (_to is not { } to || timeMs < to);

    // The entry is one contiguous buffer, so a string field is always one span.
    private static MessagePackSerializationException NotContiguous() => new("string field is not contiguous");

    /// <summary>A string field's UTF-8 bytes; false for nil (no value).</summary>
    private static bool TryReadText(ref MessagePackReader reader, out ReadOnlySpan<byte> utf8)
    {
        // ReadStringSequence rather than TryReadStringSpan: a span out of a ref-struct reader's
        // method cannot be passed on through an out parameter (ref safety rules).
        utf8 = default;
        if (reader.ReadStringSequence() is not { } text) return false;
        if (!text.IsSingleSegment) throw NotContiguous();
        utf8 = text.FirstSpan;
        return true;
    }

    /// <summary>string.Equals(field, value, OrdinalIgnoreCase) on the field's bytes.</summary>
    private sealed class TextEquals(string value)
    {
        private readonly byte[]? _ascii = Utf8Text.AsciiLower(value);

        public bool Matches(ReadOnlySpan<byte> utf8)
        {
            if (_ascii is not null && Ascii.IsValid(utf8))
                return utf8.Length == _ascii.Length && Ascii.EqualsIgnoreCase(utf8, _ascii);
            // Non-ASCII on either side: compare decoded, exactly as the record would.
            return string.Equals(Encoding.UTF8.GetString(utf8), value, StringComparison.OrdinalIgnoreCase);
        }
    }

    /// <summary>field.Contains(value, OrdinalIgnoreCase) on the field's bytes.</summary>
    private sealed class TextContains(string value)
    {
        private readonly byte[]? _ascii = Utf8Text.AsciiLower(value);
        private char[] _chars = [];

        public bool Matches(ReadOnlySpan<byte> utf8)
        {
            if (_ascii is not null) return Utf8Text.ContainsAsciiIgnoreCase(utf8, _ascii);
            // A non-ASCII needle: decode into a reused buffer (the record's own UTF-8 decoding) and search there.
            var max = Encoding.UTF8.GetMaxCharCount(utf8.Length);
            if (_chars.Length < max) _chars = new char[Math.Max(max, 2 * _chars.Length)];
            var n = Encoding.UTF8.GetChars(utf8, _chars);
            return _chars.AsSpan(0, n).IndexOf(value, StringComparison.OrdinalIgnoreCase) >= 0;
        }
    }
}

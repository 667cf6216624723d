using System.Buffers;

namespace Redoubt.Ingest.Syslog;

/// <summary>
/// Splits a syslog TCP stream into messages (RFC 6587). The framing is detected per frame:
/// octet counting ("MSG-LEN SP MSG", §3.4.1) when the frame starts with digits, a space and the
/// '&lt;' of a PRI; otherwise non-transparent framing, one message per LF or NUL trailer (§3.4.2: some
/// senders end messages with NUL instead of LF).
/// Oversize messages are cut at <see cref="MaxMessageBytes"/> and marked; the rest of that message is
/// discarded up to its end, so one bad frame never desynchronizes the stream.
/// Knows nothing of sockets or syslog headers: bytes in, frames out.
/// </summary>
public sealed class SyslogFramer(int maxMessageBytes)
{
    private const int MaxLengthDigits = 9;
    private long _discardCounted;   // octet-counted bytes still to skip after a cut frame
    private bool _discardToLf;      // skip until the next LF after a cut LF frame

    public int MaxMessageBytes { get; } = maxMessageBytes;

    /// <summary>
    /// Takes the next complete frame from <paramref name="buffer"/> (advancing it past what was
    /// consumed). With <paramref name="isCompleted"/> (peer closed) a trailing partial frame is
    /// returned as it is, marked truncated. False when more bytes are needed.
    /// </summary>
    public bool TryReadFrame(ref ReadOnlySequence<byte> buffer, bool isCompleted, out ReadOnlySequence<byte> frame, out bool truncated)
    {
        frame = default;
        truncated = false;
        while (true)
        {
            if (!SkipDiscarded(ref buffer)) return false;
            if (buffer.IsEmpty) return false;

            // Stray separators between frames (some senders put LF after an octet-counted frame).
            var first = buffer.FirstSpan[0];
            if (first is (byte)'\n' or (byte)'\r' or 0)
            {
                buffer = buffer.Slice(1);
                continue;
            }

            return first is >= (byte)'0' and <= (byte)'9'
                ? TryReadOctetCounted(ref buffer, isCompleted, out frame, out truncated)
                : TryReadLineFramed(ref buffer, isCompleted, out frame, out truncated);
        }
    }

    private bool SkipDiscarded(ref ReadOnlySequence<byte> buffer)
    {
        if (_discardCounted > 0)
        {
            var skip = Math.Min(_discardCounted, buffer.Length);
            buffer = buffer.Slice(skip);
            _discardCounted -= skip;
            if (_discardCounted > 0) return false;
        }
        if (_discardToLf)
        {
            var lf = FindTrailer(buffer);
            if (lf is null) { buffer = buffer.Slice(buffer.End); return false; }
            buffer = buffer.Slice(buffer.GetPosition(1, lf.Value));
            _discardToLf = false;
        }
        return true;
    }

    private bool TryReadOctetCounted(ref ReadOnlySequence<byte> buffer, bool isCompleted, out ReadOnlySequence<byte> frame, out bool truncated)
    {
        frame = default;
        truncated = false;
        var reader = new SequenceReader<byte>(buffer);
        long length = 0;
        var digits = 0;
        while (reader.TryPeek(out var b) && b is >= (byte)'0' and <= (byte)'9' && digits <= MaxLengthDigits)
        {
            length = length * 10 + (b - '0');
            digits++;
            reader.Advance(1);
        }

        if (reader.End || (reader.TryPeek(out var sp) && sp == ' ' && reader.Remaining < 2))
        {
            if (!isCompleted) return false; // need to see what follows the digits
            return TryReadLineFramed(ref buffer, isCompleted, out frame, out truncated);
        }

        // Octet counting only when "digits SP <" — otherwise it is a line that starts with a number.
        if (digits > MaxLengthDigits || !reader.IsNext((byte)' ', advancePast: false) || length == 0
            || !reader.TryPeek(1, out var lt) || lt != '<')
            return TryReadLineFramed(ref buffer, isCompleted, out frame, out truncated);

        reader.Advance(1);
        var bodyStart = reader.Position;
        var available = reader.Remaining;
        // Read up to two bytes past the limit: a counted frame may end in the sender's LF (or CRLF),
        // which is trimmed and must not count as lost content.
        var keep = Math.Min(length, MaxMessageBytes + 2L);

        if (available < keep)
        {
            if (!isCompleted) return false;
            // Peer closed mid-frame: keep what came, marked, rather than lose it.
            frame = Limit(buffer.Slice(bodyStart), ref truncated);
            buffer = buffer.Slice(buffer.End);
            truncated = true;
            return true;
        }

        truncated = keep < length;
        frame = Limit(TrimOneLf(buffer.Slice(bodyStart, keep)), ref truncated);
        var consumedBody = Math.Min(length, available);
        buffer = buffer.Slice(buffer.GetPosition(consumedBody, bodyStart));
        _discardCounted = length - consumedBody;
        return true;
    }

    private bool TryReadLineFramed(ref ReadOnlySequence<byte> buffer, bool isCompleted, out ReadOnlySequence<byte> frame, out bool truncated)
    {
        truncated = false;
        var lf = FindTrailer(buffer);
        if (lf is { } at)
        {
            // The CR of a CRLF trailer is not content: trim it before the size check.
            frame = Limit(TrimCr(buffer.Slice(0, at)), ref truncated);
            buffer = buffer.Slice(buffer.GetPosition(1, at));
            return true;
        }

        if (buffer.Length > MaxMessageBytes + 1L) // + 1: room for a CR whose LF has not arrived yet
        {
            frame = buffer.Slice(0, MaxMessageBytes);
            truncated = true;
            buffer = buffer.Slice(buffer.End);
            _discardToLf = true;
            return true;
        }

        if (isCompleted)
        {
            // Last line without LF before the peer closed: still a message.
            frame = Limit(TrimCr(buffer), ref truncated);
            buffer = buffer.Slice(buffer.End);
            return true;
        }

        frame = default;
        return false;
    }

    /// <summary>The first LF or NUL: either ends a non-transparently framed message.</summary>
    private static SequencePosition? FindTrailer(in ReadOnlySequence<byte> buffer)
    {
        if (buffer.IsSingleSegment)
        {
            int i = buffer.FirstSpan.IndexOfAny((byte)'\n', (byte)0);
            return i < 0 ? null : buffer.GetPosition(i);
        }
        long offset = 0;
        foreach (var segment in buffer)
        {
            int i = segment.Span.IndexOfAny((byte)'\n', (byte)0);
            if (i >= 0) return buffer.GetPosition(offset + i);
            offset += segment.Length;
        }
        return null;
    }

    private ReadOnlySequence<byte> Limit(ReadOnlySequence<byte> frame, ref bool truncated)
    {
        if (frame.Length <= MaxMessageBytes) return frame;
        truncated = true;
        return frame.Slice(0, MaxMessageBytes);
    }

    private static ReadOnlySequence<byte> TrimOneLf(ReadOnlySequence<byte> frame)
    {
        if (frame.Length > 0 && frame.Slice(frame.Length - 1).FirstSpan[0] == '\n') frame = frame.Slice(0, frame.Length - 1);
        return TrimCr(frame);
    }

    private static ReadOnlySequence<byte> TrimCr(ReadOnlySequence<byte> frame)
    {
        if (frame.Length > 0 && frame.Slice(frame.Length - 1).FirstSpan[0] == '\r') frame = frame.Slice(0, frame.Length - 1);
        return frame;
    }
}

using System.Buffers;

namespace Redoubt.Ingest.Relp;

/// <summary>RELP commands the appliance knows; anything else is <see cref="Other"/> and gets a "500".</summary>
public enum RelpCommand { Other, Open, Syslog, Close, Rsp, ServerClose }

/// <summary>Why a byte stream is not RELP. After one of these the stream cannot be resynchronised.</summary>
public enum RelpFrameError { None, BadTxnr, BadCommand, BadDataLength, MissingTrailer }

/// <summary>
/// One RELP frame: <c>TXNR SP COMMAND SP DATALEN [SP DATA] LF</c>. <see cref="Data"/> points into the
/// reader's buffer and is valid until the caller advances it. On a framing error only
/// <see cref="Error"/> (and <see cref="Txnr"/>, when it was read) are set.
/// </summary>
public readonly record struct RelpFrame(long Txnr, RelpCommand Command, string? CommandText, ReadOnlySequence<byte> Data,
    bool Truncated, RelpFrameError Error = RelpFrameError.None)
{
    public static string Describe(RelpFrameError error) => error switch
    {
        RelpFrameError.BadTxnr => "transaction number is not 1 to 9 digits followed by a space",
        RelpFrameError.BadCommand => "command is not 1 to 32 letters followed by a space",
        RelpFrameError.BadDataLength => "data length is not 1 to 9 digits followed by a space (or LF when 0)",
        RelpFrameError.MissingTrailer => "frame does not end in LF after DATALEN bytes of data",
        _ => "ok",
    };
}

/// <summary>
/// Cuts a RELP stream (librelp's frame grammar) into frames. Bytes in, frames out: knows nothing of
/// sockets, sessions or syslog. Data longer than <see cref="MaxDataBytes"/> is returned cut and
/// marked <see cref="RelpFrame.Truncated"/>; the rest of it is skipped as it arrives, so memory stays
/// bounded whatever DATALEN claims. After a framing error the framer returns nothing more.
/// </summary>
public sealed class RelpFramer(int maxDataBytes)
{
    private const int MaxDigits = 9;
    private const int MaxCommandLength = 32;

    private long _discard;          // data bytes of a cut frame still to skip
    private bool _expectTrailer;    // after skipping them, the frame's LF
    private long _discardTxnr;

    public int MaxDataBytes { get; } = maxDataBytes;
    public bool Failed { get; private set; }

    /// <summary>
    /// Takes the next frame (or framing error) from <paramref name="buffer"/>, advancing it past what
    /// was consumed. False when more bytes are needed (or after a framing error).
    /// </summary>
    public bool TryReadFrame(ref ReadOnlySequence<byte> buffer, out RelpFrame frame)
    {
        frame = default;
        if (Failed) return false;

        if (_discard > 0)
        {
            var skip = Math.Min(_discard, buffer.Length);
            buffer = buffer.Slice(skip);
            _discard -= skip;
            if (_discard > 0) return false;
        }
        if (_expectTrailer)
        {
            if (buffer.IsEmpty) return false;
            _expectTrailer = false;
            if (buffer.FirstSpan[0] != (byte)'\n') return Fail(_discardTxnr, RelpFrameError.MissingTrailer, out frame);
            buffer = buffer.Slice(1);
        }
        if (buffer.IsEmpty) return false;

        var reader = new SequenceReader<byte>(buffer);
        switch (ReadNumber(ref reader, out var txnr))
        {
            case Step.NeedMore: return false;
            case Step.Bad: return Fail(-1, RelpFrameError.BadTxnr, out frame);
        }
        if (!reader.TryRead(out var sp1)) return false;
        if (sp1 != ' ') return Fail(-1, RelpFrameError.BadTxnr, out frame);

        switch (ReadCommand(ref reader, out var command, out var commandText))
        {
            case Step.NeedMore: return false;
            case Step.Bad: return Fail(txnr, RelpFrameError.BadCommand, out frame);
        }

        switch (ReadNumber(ref reader, out var length))
        {
            case Step.NeedMore: return false;
            case Step.Bad: return Fail(txnr, RelpFrameError.BadDataLength, out frame);
        }
        if (!reader.TryRead(out var afterLength)) return false;
        if (length == 0)
        {
            // No data, no space: DATALEN is followed directly by the trailer.
            if (afterLength != '\n') return Fail(txnr, RelpFrameError.BadDataLength, out frame);
            frame = new RelpFrame(txnr, command, commandText, ReadOnlySequence<byte>.Empty, false);
            buffer = buffer.Slice(reader.Position);
            return true;
        }
        if (afterLength != ' ') return Fail(txnr, RelpFrameError.BadDataLength, out frame);

        var dataStart = reader.Position;
        if (length > MaxDataBytes)
        {
            if (reader.Remaining < MaxDataBytes) return false;
            frame = new RelpFrame(txnr, command, commandText, buffer.Slice(dataStart, MaxDataBytes), true);
            buffer = buffer.Slice(buffer.GetPosition(MaxDataBytes, dataStart));
            _discard = length - MaxDataBytes;
            _expectTrailer = true;
            _discardTxnr = txnr;
            return true;
        }

        if (reader.Remaining < length + 1) return false;
        reader.Advance(length);
        if (!reader.TryRead(out var trailer) || trailer != '\n') return Fail(txnr, RelpFrameError.MissingTrailer, out frame);
        frame = new RelpFrame(txnr, command, commandText, buffer.Slice(dataStart, length), false);
        buffer = buffer.Slice(reader.Position);
        return true;
    }

    private bool Fail(long txnr, RelpFrameError error, out RelpFrame frame)
    {
        Failed = true;
        frame = new RelpFrame(txnr, RelpCommand.Other, null, default, false, error);
        return true;
    }

    private enum Step { Ok, NeedMore, Bad }

    private static Step ReadNumber(ref SequenceReader<byte> reader, out long value)
    {
        value = 0;
        var digits = 0;
        while (reader.TryPeek(out var b))
        {
            if (b is < (byte)'0' or > (byte)'9') return digits == 0 ? Step.Bad : Step.Ok;
            if (++digits > MaxDigits) return Step.Bad;
            value = value * 10 + (b - '0');
            reader.Advance(1);
        }
        return Step.NeedMore;
    }

    private static Step ReadCommand(ref SequenceReader<byte> reader, out RelpCommand command, out string? text)
    {
        command = RelpCommand.Other;
        text = null;
        Span<byte> name = stackalloc byte[MaxCommandLength];
        var n = 0;
        while (reader.TryRead(out var b))
        {
            if (b == ' ')
            {
                if (n == 0) return Step.Bad;
                command = Identify(name[..n]);
                if (command == RelpCommand.Other) text = System.Text.Encoding.ASCII.GetString(name[..n]);
                return Step.Ok;
            }
            if (!IsAsciiLetter(b) || n == MaxCommandLength) return Step.Bad;
            name[n++] = b;
        }
        return Step.NeedMore;
    }

    private static bool IsAsciiLetter(byte b) => b is >= (byte)'a' and <= (byte)'z' or >= (byte)'A' and <= (byte)'Z';

    private static RelpCommand Identify(ReadOnlySpan<byte> name) =>
        name.SequenceEqual("syslog"u8) ? RelpCommand.Syslog
        : name.SequenceEqual("open"u8) ? RelpCommand.Open
        : name.SequenceEqual("close"u8) ? RelpCommand.Close
        : name.SequenceEqual("rsp"u8) ? RelpCommand.Rsp
        : name.SequenceEqual("serverclose"u8) ? RelpCommand.ServerClose
        : RelpCommand.Other;
}

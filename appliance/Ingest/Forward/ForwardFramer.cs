using System.Buffers;
using System.Buffers.Binary;

namespace Redoubt.Ingest.Forward;

public enum FrameStatus
{
    /// <summary>More bytes are needed; nothing was consumed.</summary>
    NeedMore,
    /// <summary>A whole top-level MessagePack object is at the start of the buffer.</summary>
    Frame,
    /// <summary>The object is (or claims to be) larger than the limit: stop reading this connection.</summary>
    TooLarge,
    /// <summary>A byte that no MessagePack object starts with (0xC1): the stream is not MessagePack.</summary>
    Invalid,
}

/// <summary>
/// Finds where each forward-protocol message ends in a TCP stream. Every message is one top-level
/// MessagePack object (an array), so the framer only reads type headers: it counts the objects still
/// owed (an array of n owes n more, a map 2n) and jumps over string, binary and extension payloads.
/// The scan resumes where the last call stopped, so a large frame arriving in many reads is walked
/// once, and a header announcing more than <see cref="MaxFrameBytes"/> is refused before the bytes
/// are buffered. Knows nothing of sockets or of the protocol's shapes: bytes in, frame lengths out.
/// </summary>
public sealed class ForwardFramer(long maxFrameBytes)
{
    private long _owed;     // objects still to walk in the current frame (0: between frames)
    private long _scanned;  // bytes of the current frame already walked

    public long MaxFrameBytes { get; } = maxFrameBytes;

    /// <summary>
    /// Looks at <paramref name="buffer"/>, which starts at the current frame (the caller slices past
    /// each frame it takes). On <see cref="FrameStatus.Frame"/>, <paramref name="length"/> is its size.
    /// </summary>
    public FrameStatus TryReadFrame(in ReadOnlySequence<byte> buffer, out long length)
    {
        length = 0;
        if (_owed == 0)
        {
            _owed = 1;
            _scanned = 0;
        }
        var reader = new SequenceReader<byte>(buffer);
        reader.Advance(_scanned);
        while (_owed > 0)
        {
            if (!reader.TryPeek(out var code)) return FrameStatus.NeedMore;
            if (!TryMeasure(ref reader, code, out var size, out var children, out var invalid))
                return invalid ? Reset(FrameStatus.Invalid) : FrameStatus.NeedMore;
            if (_scanned + size > MaxFrameBytes || children > MaxFrameBytes) return Reset(FrameStatus.TooLarge);
            if (reader.Remaining < size) return FrameStatus.NeedMore;
            reader.Advance(size);
            _scanned += size;
            _owed += children - 1;
            // Every owed object takes at least one byte: a count beyond the limit can never fit.
            if (_scanned + _owed > MaxFrameBytes) return Reset(FrameStatus.TooLarge);
        }
        length = _scanned;
        _scanned = 0;
        return FrameStatus.Frame;
    }

    private FrameStatus Reset(FrameStatus status)
    {
        _owed = 0;
        _scanned = 0;
        return status;
    }

    /// <summary>
    /// Size of the object header plus any payload that follows it directly (str, bin, ext, numbers),
    /// and how many child objects come after it. False when the header is not complete yet (or invalid).
    /// </summary>
    private static bool TryMeasure(ref SequenceReader<byte> reader, byte code, out long size, out long children, out bool invalid)
    {
        children = 0;
        invalid = false;
        switch (code)
        {
            case <= 0x7f: size = 1; return true;                                   // positive fixint
            case <= 0x8f: size = 1; children = 2L * (code & 0x0f); return true;    // fixmap
            case <= 0x9f: size = 1; children = code & 0x0f; return true;           // fixarray
            case <= 0xbf: size = 1 + (code & 0x1f); return true;                   // fixstr
            case 0xc0 or 0xc2 or 0xc3: size = 1; return true;                      // nil, false, true
            case 0xc1: size = 0; invalid = true; return false;                     // never used
            case 0xc4 or 0xd9: return Counted(ref reader, 1, 0, out size);         // bin8, str8
            case 0xc5 or 0xda: return Counted(ref reader, 2, 0, out size);         // bin16, str16
            case 0xc6 or 0xdb: return Counted(ref reader, 4, 0, out size);         // bin32, str32
            case 0xc7: return Counted(ref reader, 1, 1, out size);                 // ext8 (+ type byte)
            case 0xc8: return Counted(ref reader, 2, 1, out size);                 // ext16
            case 0xc9: return Counted(ref reader, 4, 1, out size);                 // ext32
            case 0xca: size = 5; return true;                                      // float32
            case 0xcb: size = 9; return true;                                      // float64
            case 0xcc or 0xd0: size = 2; return true;                              // uint8, int8
            case 0xcd or 0xd1: size = 3; return true;
            case 0xce or 0xd2: size = 5; return true;
            case 0xcf or 0xd3: size = 9; return true;
            case 0xd4: size = 3; return true;                                      // fixext1: code, type, 1
            case 0xd5: size = 4; return true;
            case 0xd6: size = 6; return true;
            case 0xd7: size = 10; return true;
            case 0xd8: size = 18; return true;
            case 0xdc: return Header(ref reader, 2, 1, out size, out children);    // array16
            case 0xdd: return Header(ref reader, 4, 1, out size, out children);    // array32
            case 0xde: return Header(ref reader, 2, 2, out size, out children);    // map16
            case 0xdf: return Header(ref reader, 4, 2, out size, out children);    // map32
            default: size = 1; return true;                                        // negative fixint 0xe0..0xff
        }
    }

    /// <summary>A header with an n-byte big-endian length of a payload that follows (plus extra header bytes).</summary>
    private static bool Counted(ref SequenceReader<byte> reader, int lengthBytes, int extra, out long size)
    {
        size = 0;
        if (!TryReadLength(ref reader, lengthBytes, out var length)) return false;
        size = 1 + lengthBytes + extra + length;
        return true;
    }

    private static bool Header(ref SequenceReader<byte> reader, int lengthBytes, int perItem, out long size, out long children)
    {
        size = 1 + lengthBytes;
        children = 0;
        if (!TryReadLength(ref reader, lengthBytes, out var count)) return false;
        children = count * perItem;
        return true;
    }

    private static bool TryReadLength(ref SequenceReader<byte> reader, int lengthBytes, out long length)
    {
        length = 0;
        Span<byte> bytes = stackalloc byte[4];
        var header = bytes[..lengthBytes];
        // Peek past the type byte without moving: the caller advances over the whole object at once.
        var probe = reader;
        probe.Advance(1);
        if (!probe.TryCopyTo(header)) return false;
        length = lengthBytes switch
        {
            1 => header[0],
            2 => BinaryPrimitives.ReadUInt16BigEndian(header),
            _ => BinaryPrimitives.ReadUInt32BigEndian(header),
        };
        return true;
    }
}

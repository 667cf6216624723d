using System.Buffers;
using System.Net;
using Redoubt.Parsing;
using Redoubt.Parsing.Payload;
using Redoubt.Storage.Events;

namespace Redoubt.Ingest.Syslog;

/// <summary>
/// Turns one syslog frame into an <see cref="EventRecord"/>: read the header, decode the payload (CEF, LEEF, JSON,
/// key=value) into named fields, then stamp where it came from (<paramref name="source"/>: the listener's name).
/// A frame is one event whatever it holds: an octet-counted frame with line breaks (a stack trace) stays one message.
/// </summary>
public sealed class SyslogEvents(TimeZoneInfo sourceZone, TimeProvider clock, string source = "syslog")
{
    public EventRecord FromFrame(in ReadOnlySequence<byte> frame, bool truncated, Transport transport, EndPoint? sender) =>
        FromPeerFrame(frame, truncated, transport, sender?.ToString());

    public EventRecord FromFrame(ReadOnlySpan<byte> frame, bool truncated, Transport transport, EndPoint? sender) =>
        FromPeerFrame(frame, truncated, transport, sender?.ToString());

    /// <summary>As above, with the sender already formatted ("ip:port"): a stream connection formats its peer once.</summary>
    public EventRecord FromPeerFrame(in ReadOnlySequence<byte> frame, bool truncated, Transport transport, string? sender)
    {
        if (frame.IsSingleSegment) return FromPeerFrame(frame.FirstSpan, truncated, transport, sender);
        var rented = ArrayPool<byte>.Shared.Rent((int)frame.Length);
        try
        {
            frame.CopyTo(rented);
            return FromPeerFrame(rented.AsSpan(0, (int)frame.Length), truncated, transport, sender);
        }
        finally { ArrayPool<byte>.Shared.Return(rented); }
    }

    public EventRecord FromPeerFrame(ReadOnlySpan<byte> frame, bool truncated, Transport transport, string? sender)
    {
        var now = clock.GetUtcNow();
        var record = new EventRecord
        {
            ReceivedAtMs = now.ToUnixTimeMilliseconds(),
            Transport = transport,
            Sender = sender,
            Source = source,
        };
        SyslogParser.Parse(frame, now, sourceZone, record);
        PayloadDecoders.Decode(record, sourceZone);
        if (truncated)
        {
            record.Flags |= EventFlags.Truncated;
            record.Raw ??= frame.ToArray();
        }
        return record;
    }
}

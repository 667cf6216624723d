using System.Buffers;
using System.Net;
using Redoubt.Parsing;
using Redoubt.Storage.Events;

namespace Redoubt.Ingest.Syslog;

/// <summary>
/// Turns one syslog frame into an <see cref="EventRecord"/>: parse, then stamp where it came from
/// (<paramref name="source"/>: the listener's name).
/// </summary>
public sealed class SyslogEvents(TimeZoneInfo sourceZone, TimeProvider clock, string source = "syslog")
{
    public EventRecord FromFrame(in ReadOnlySequence<byte> frame, bool truncated, Transport transport, EndPoint? sender)
    {
        if (frame.IsSingleSegment) return FromFrame(frame.FirstSpan, truncated, transport, sender);
        var rented = ArrayPool<byte>.Shared.Rent((int)frame.Length);
        try
        {
            frame.CopyTo(rented);
            return FromFrame(rented.AsSpan(0, (int)frame.Length), truncated, transport, sender);
        }
        finally { ArrayPool<byte>.Shared.Return(rented); }
    }

    public EventRecord FromFrame(ReadOnlySpan<byte> frame, bool truncated, Transport transport, EndPoint? sender)
    {
        var now = clock.GetUtcNow();
        var record = new EventRecord
        {
            ReceivedAtMs = now.ToUnixTimeMilliseconds(),
            Transport = transport,
            Sender = sender?.ToString(),
            Source = source,
        };
        SyslogParser.Parse(frame, now, sourceZone, record);
        if (truncated)
        {
            record.Flags |= EventFlags.Truncated;
            record.Raw ??= frame.ToArray();
        }
        return record;
    }
}

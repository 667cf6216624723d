using System.Buffers;
using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using MessagePack;
using Redoubt.Ingest.Relp;
using Redoubt.Perf.Load;
using Redoubt.Tests.Support;

namespace Redoubt.Perf.Micro;

/// <summary>How a forward message carries its entries (Fluentd Forward Protocol v1).</summary>
public enum ForwardMode { Forward, PackedForward, CompressedPackedForward }

/// <summary>
/// The byte streams the framing benchmarks read, built from real lines: the load driver's message mix
/// (every syslog line of shared/data/logs) and the OTRF Windows agent events. Linked into the tests,
/// which read each stream back and compare it with the lines it was built from.
/// </summary>
public static class MicroInputs
{
    /// <summary>Syslog lines per stream: the whole mix (8,666 lines) and the start of it again.</summary>
    public const int SyslogLines = 10_000;

    /// <summary>Every OTRF Windows event (the detection benchmarks use the same 7,408).</summary>
    public const int AgentEvents = 7408;

    /// <summary>Records per forward message: Fluent Bit's chunks of a busy input hold hundreds.</summary>
    public const int RecordsPerMessage = 500;

    /// <summary>The first <see cref="SyslogLines"/> lines of the load driver's endless cycle through the mix.</summary>
    public static string[] MixLines(string logsDir)
    {
        var mix = MessageMix.Load(logsDir);
        return Enumerable.Range(0, SyslogLines).Select(i => mix[i]).ToArray();
    }

    /// <summary>RFC 6587 §3.4.1: "LEN SP MSG" back to back, the load driver's own bytes (as rsyslog's octet-counted omfwd sends).</summary>
    public static byte[] OctetCounted(IReadOnlyList<string> lines) => MessageMix.Of(lines).OctetCounted(0, lines.Count);

    /// <summary>RFC 6587 §3.4.2: one message per LF, rsyslog's default TCP framing.</summary>
    public static byte[] LfDelimited(IEnumerable<string> lines) => Encoding.UTF8.GetBytes(string.Concat(lines.Select(l => l + "\n")));

    /// <summary>RELP <c>syslog</c> frames, txnr from 1, each message with the LF rsyslog's templates end in.</summary>
    public static byte[] Relp(IEnumerable<string> lines)
    {
        var buffer = new ArrayBufferWriter<byte>();
        long txnr = 1;
        foreach (var line in lines) RelpProtocol.WriteFrame(buffer, txnr++, "syslog", Encoding.UTF8.GetBytes(line + "\n"));
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>NDJSON: one JSON object per line, as agents POST to /api/v1/ingest.</summary>
    public static byte[] Ndjson(IEnumerable<string> jsonLines) => Encoding.UTF8.GetBytes(string.Concat(jsonLines.Select(l => l + "\n")));

    /// <summary>
    /// Forward messages of <paramref name="perMessage"/> records each (the last may hold fewer), back to back
    /// as one connection carries them; each asks for an ack (<c>chunk</c>), as Fluent Bit with require_ack_response.
    /// </summary>
    public static byte[] ForwardStream(IReadOnlyList<string> records, int perMessage, ForwardMode mode, bool eventTime = true) =>
        records.Chunk(perMessage).SelectMany(batch => ForwardMessage(batch, mode, eventTime)).ToArray();

    /// <summary>
    /// One message <c>[tag, entries, {chunk[, compressed]}]</c> with entries <c>[time, record]</c>; time as
    /// EventTime (ext 0, what Fluentd and Fluent Bit send) or, with <paramref name="eventTime"/> false, integer seconds.
    /// </summary>
    public static byte[] ForwardMessage(IReadOnlyList<string> records, ForwardMode mode, bool eventTime = true)
    {
        const uint seconds = 1767225600;
        var entries = new ArrayBufferWriter<byte>();
        var e = new MessagePackWriter(entries);
        if (mode == ForwardMode.Forward) e.WriteArrayHeader(records.Count);
        for (var i = 0; i < records.Count; i++)
        {
            e.WriteArrayHeader(2);
            if (eventTime)
            {
                e.WriteExtensionFormatHeader(new ExtensionHeader(0, 8));
                var span = e.GetSpan(8);
                BinaryPrimitives.WriteUInt32BigEndian(span, seconds);
                BinaryPrimitives.WriteUInt32BigEndian(span[4..], (uint)(i % 1000) * 1_000_000); // entry i: i ms past the second
                e.Advance(8);
            }
            else e.Write(seconds);
            MessagePackJson.Write(ref e, JsonDocument.Parse(records[i]).RootElement);
        }
        e.Flush();
        var frame = new ArrayBufferWriter<byte>();
        var w = new MessagePackWriter(frame);
        w.WriteArrayHeader(3);
        w.Write("otrf");
        if (mode == ForwardMode.Forward) w.WriteRaw(entries.WrittenSpan);
        else w.Write(mode == ForwardMode.CompressedPackedForward ? Gzip(entries.WrittenSpan) : entries.WrittenSpan);
        var gzip = mode == ForwardMode.CompressedPackedForward;
        w.WriteMapHeader(gzip ? 2 : 1);
        w.Write("chunk");
        w.Write("probe");
        if (gzip) { w.Write("compressed"); w.Write("gzip"); }
        w.Flush();
        return frame.WrittenSpan.ToArray();
    }

    private static byte[] Gzip(ReadOnlySpan<byte> data)
    {
        using var output = new MemoryStream();
        using (var gz = new GZipStream(output, CompressionLevel.Fastest)) gz.Write(data);
        return output.ToArray();
    }
}

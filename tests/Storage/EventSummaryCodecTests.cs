using System.Buffers;
using System.Net;
using System.Text;
using Redoubt.Ingest.Syslog;
using Redoubt.Storage.Events;
using Redoubt.Tests.Support;

namespace Redoubt.Tests.Storage;

/// <summary>
/// The open replays recent events through <see cref="EventSummaryCodec"/>, which skips the message and
/// fields: it must read exactly what the full decode reads for the fields it keeps, on real events,
/// and refuse a damaged entry as the full decode does.
/// </summary>
public sealed class EventSummaryCodecTests
{
    private static IEnumerable<EventRecord> RealEvents()
    {
        var syslog = new SyslogEvents(TimeZoneInfo.Utc, TimeProvider.System);
        var sender = new IPEndPoint(IPAddress.Parse("10.1.2.3"), 5140);
        foreach (var file in new[]
                 {
                     SharedData.PathOf("logs", "loghub", "OpenSSH", "OpenSSH_2k.log"),
                     SharedData.PathOf("logs", "cef", "elastic-beats-decode-cef", "samples.log"),
                 })
            foreach (var line in File.ReadLines(file).Where(l => l.Length > 0).Take(400))
                yield return syslog.FromFrame(Encoding.UTF8.GetBytes(line), truncated: false, Transport.SyslogTcp, sender);
    }

    [Fact]
    public void Summary_decode_reads_the_same_summary_fields_as_the_full_decode_on_real_events()
    {
        var events = RealEvents().ToList();
        events[1].Batch = new BatchMark { Key = "retry-key-1", BodySha256 = [1, 2, 3], Count = 2 };
        events[2].Batch = new BatchMark { Key = "retry-key-1" };
        events[3].Tags = new Dictionary<string, string> { ["site"] = "lab" };
        var buffer = new ArrayBufferWriter<byte>();
        foreach (var e in events)
        {
            buffer.ResetWrittenCount();
            EventCodec.Encode(e, buffer);
            var full = EventCodec.Decode(buffer.WrittenMemory);
            var summary = EventSummaryCodec.Decode(buffer.WrittenMemory);
            Assert.Equal(full.ReceivedAtMs, summary.ReceivedAtMs);
            Assert.Equal(full.TimeMs, summary.TimeMs);
            Assert.Equal(full.Transport, summary.Transport);
            Assert.Equal(full.Flags, summary.Flags);
            Assert.Equal(full.Sender, summary.Sender);
            Assert.Equal(full.Host, summary.Host);
            Assert.Equal(full.Source, summary.Source);
            Assert.Equal(full.Batch?.Key, summary.Batch?.Key);
            Assert.Equal(full.Batch?.BodySha256, summary.Batch?.BodySha256);
            Assert.Equal(full.Batch?.Count, summary.Batch?.Count);
            Assert.Null(summary.Message); // skipped, not decoded
            Assert.Null(summary.Fields);
        }
        Assert.Contains(events, e => e.Host is not null && e.Fields is not null); // the corpus exercises both
    }

    [Fact]
    public void Summary_decode_refuses_an_entry_whose_checksum_fails()
    {
        var buffer = new ArrayBufferWriter<byte>();
        EventCodec.Encode(RealEvents().First(), buffer);
        var bytes = buffer.WrittenSpan.ToArray();
        bytes[^3] ^= 0x40; // inside the message text, a part the summary decode skips
        var e = Assert.Throws<EventCorruptException>(() => EventSummaryCodec.Decode(bytes, address: 4096));
        Assert.Contains("checksum", e.Message);
        Assert.Equal(4096, e.Address);
    }
}

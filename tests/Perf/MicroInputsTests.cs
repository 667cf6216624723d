using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Text;
using System.Text.Json;
using Redoubt.Configuration;
using Redoubt.Ingest.Forward;
using Redoubt.Ingest.Http;
using Redoubt.Ingest.Relp;
using Redoubt.Ingest.Syslog;
using Redoubt.Perf.Micro;
using Redoubt.Tests.Support;

namespace Redoubt.Tests.Perf;

/// <summary>
/// The streams the framing micro-benchmarks read (perf/Micro/MicroInputs.cs, linked in): each, read back by
/// the appliance's own framer or decoder, gives exactly the lines or records it was built from. A benchmark
/// that divides by the line count is only right when the stream holds that many frames.
/// </summary>
public class MicroInputsTests
{
    private static readonly Lazy<string[]> Mix = new(() => MicroInputs.MixLines(SharedData.PathOf("logs")));

    [Fact]
    public void The_syslog_lines_are_the_whole_mix_then_its_start_again()
    {
        var lines = Mix.Value;
        Assert.Equal(MicroInputs.SyslogLines, lines.Length);
        var mix = Redoubt.Perf.Load.MessageMix.Load(SharedData.PathOf("logs"));
        Assert.True(mix.Lines.Count < lines.Length, "the stream should hold every line of the mix");
        Assert.Equal(mix.Lines, lines.Take(mix.Lines.Count));
        Assert.Equal(mix.Lines.Take(lines.Length - mix.Lines.Count), lines.Skip(mix.Lines.Count));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Octet_counted_and_LF_streams_frame_back_into_the_same_lines(bool octetCounted)
    {
        var lines = Mix.Value;
        var buffer = new ReadOnlySequence<byte>(octetCounted ? MicroInputs.OctetCounted(lines) : MicroInputs.LfDelimited(lines));
        var framer = new SyslogFramer(new SyslogOptions().MaxMessageBytes);
        var frames = new List<string>();
        while (framer.TryReadFrame(ref buffer, isCompleted: true, out var frame, out var truncated))
        {
            Assert.False(truncated);
            frames.Add(Encoding.UTF8.GetString(frame));
        }
        Assert.Equal(lines, frames);
    }

    [Fact]
    public void RELP_frames_carry_each_line_with_its_LF_and_consecutive_txnrs()
    {
        var lines = Mix.Value;
        var buffer = new ReadOnlySequence<byte>(MicroInputs.Relp(lines));
        var framer = new RelpFramer(new SyslogOptions().MaxMessageBytes + 2);
        var n = 0;
        while (framer.TryReadFrame(ref buffer, out var frame))
        {
            Assert.Equal(RelpFrameError.None, frame.Error);
            Assert.Equal(RelpCommand.Syslog, frame.Command);
            Assert.Equal(n + 1, frame.Txnr);
            Assert.Equal(lines[n] + "\n", Encoding.UTF8.GetString(frame.Data));
            n++;
        }
        Assert.True(buffer.IsEmpty);
        Assert.Equal(lines.Length, n);
    }

    [Theory]
    [InlineData(ForwardMode.Forward)]
    [InlineData(ForwardMode.PackedForward)]
    [InlineData(ForwardMode.CompressedPackedForward)]
    public void Forward_streams_decode_into_every_record_with_its_event_time(ForwardMode mode)
    {
        var records = Otrf.Take(0, 1_200); // three messages: 500, 500, 200
        var bytes = MicroInputs.ForwardStream(records, MicroInputs.RecordsPerMessage, mode);
        var o = new ForwardOptions();
        var settings = new ForwardListenerSettings("forward", new IPEndPoint(IPAddress.Loopback, 24224), null, "redoubt", o.MaxConnections,
            o.IdleTimeout, o.HandshakeTimeout, o.MaxFrameBytes, o.MaxDecompressedBytes, new IngestOptions().MaxLineBytes, o.BusyWait);
        var connection = new ForwardListener.Connection(settings, TimeProvider.System, null);
        var buffer = new ReadOnlySequence<byte>(bytes);
        var step = connection.Take(ref buffer, completed: true);
        Assert.Null(step.Malformed);
        Assert.True(buffer.IsEmpty);
        Assert.Equal([500, 500, 200], step.Frames.Select(f => f.Decoded.Events.Count));
        var events = step.Frames.SelectMany(f => f.Decoded.Events).ToList();
        for (var i = 0; i < records.Count; i++)
        {
            var e = events[i];
            Assert.Equal(Redoubt.Storage.Events.EventFlags.None, e.Flags);
            using var sent = JsonDocument.Parse(records[i]);
            using var got = JsonDocument.Parse(e.Json!);
            Assert.True(JsonSame.Equal(sent.RootElement, got.RootElement), $"record {i} differs");
            // EventTime: 1767225600 s plus the entry's index in its message in ms.
            Assert.Equal(1_767_225_600_000L + i % MicroInputs.RecordsPerMessage, e.TimeMs);
        }
    }

    [Fact]
    public async Task The_NDJSON_body_reads_back_as_one_event_per_line()
    {
        var records = Otrf.Take(0, 1_000);
        var batch = await NdjsonIngest.ReadAsync(PipeReader.Create(new MemoryStream(MicroInputs.Ndjson(records))), new IngestOptions().MaxLineBytes,
            null, TimeProvider.System, CancellationToken.None);
        Assert.Empty(batch.Errors);
        Assert.Equal(records, batch.Events.Select(e => e.Json));
    }
}

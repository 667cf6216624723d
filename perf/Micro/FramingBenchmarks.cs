using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using BenchmarkDotNet.Attributes;
using Redoubt.Configuration;
using Redoubt.Ingest.Forward;
using Redoubt.Ingest.Http;
using Redoubt.Ingest.Relp;
using Redoubt.Ingest.Syslog;
using Redoubt.Tests.Support;

namespace Redoubt.Perf.Micro;

/// <summary>
/// Bytes of a connection to frames or events, per frame/event, on real inputs read through a pipe over a
/// stream with the listeners' own buffer sizes:
/// syslog TCP (the load driver's message mix, octet-counted and LF-delimited; <see cref="SyslogFramer"/> only),
/// RELP (<see cref="RelpFramer"/> only), forward (<see cref="ForwardListener.Connection"/>: framer and decoder
/// into events, 500 OTRF records per message), and NDJSON (<see cref="NdjsonIngest"/>: lines to events, the
/// POST body's path without the HTTP layer, gzip or the ingest budget).
/// Header parsing and payload decoding of a syslog frame are ParseBenchmarks and DecoderBenchmarks.
/// dotnet perf/bin/Release/net10.0/Redoubt.Perf.dll --filter '*FramingBenchmarks*'
/// </summary>
[Config(typeof(MicroConfig))]
public class FramingBenchmarks
{
    // What the listeners are given by default (RedoubtOptions).
    private static readonly int MaxMessageBytes = new SyslogOptions().MaxMessageBytes;
    private static readonly int MaxLineBytes = new IngestOptions().MaxLineBytes;
    private static readonly ForwardListenerSettings Forward = ForwardSettings();

    private byte[] _octetCounted = [], _lfDelimited = [], _relp = [], _ndjson = [];
    private byte[] _forward = [], _packedForward = [], _compressedForward = [];
    private static bool _checked;

    [GlobalSetup]
    public void Setup()
    {
        // Built once per process (BenchmarkDotNet runs the setup before every benchmark of the class).
        (_octetCounted, _lfDelimited, _relp, _ndjson, _forward, _packedForward, _compressedForward) = Inputs.Value;
        if (_checked) return;
        // Each benchmark divides by a fixed count: check that the stream really holds that many.
        Expect("octet-counted frames", SyslogOctetCounted(), MicroInputs.SyslogLines);
        Expect("LF-delimited frames", SyslogLfDelimited(), MicroInputs.SyslogLines);
        Expect("RELP frames", RelpFrames(), MicroInputs.SyslogLines);
        Expect("NDJSON events", Ndjson(), MicroInputs.AgentEvents);
        Expect("Forward events", ForwardDecode(), MicroInputs.AgentEvents);
        Expect("PackedForward events", PackedForwardDecode(), MicroInputs.AgentEvents);
        Expect("CompressedPackedForward events", CompressedPackedForwardDecode(), MicroInputs.AgentEvents);
        Expect("forward messages", ForwardFramerOnly(), (MicroInputs.AgentEvents + MicroInputs.RecordsPerMessage - 1) / MicroInputs.RecordsPerMessage);
        System.Console.WriteLine($"# micro: syslog streams of {MicroInputs.SyslogLines:N0} mix lines ({_octetCounted.Length / 1e6:0.00} MB octet-counted, {_lfDelimited.Length / 1e6:0.00} MB LF, " +
            $"RELP {_relp.Length / 1e6:0.00} MB); {MicroInputs.AgentEvents:N0} OTRF events: NDJSON {_ndjson.Length / 1e6:0.00} MB, Forward {_forward.Length / 1e6:0.00} MB, " +
            $"PackedForward {_packedForward.Length / 1e6:0.00} MB, gzip {_compressedForward.Length / 1e6:0.00} MB ({MicroInputs.RecordsPerMessage} per message)");
        Steady.Warm(() => SyslogOctetCounted(), () => SyslogLfDelimited(), () => RelpFrames(), () => ForwardFramerOnly(),
            () => ForwardDecode(), () => PackedForwardDecode(), () => CompressedPackedForwardDecode(), () => Ndjson());
        _checked = true;
    }

    private static readonly Lazy<(byte[], byte[], byte[], byte[], byte[], byte[], byte[])> Inputs = new(() =>
    {
        var lines = MicroInputs.MixLines(SharedData.PathOf("logs"));
        var events = Otrf.WindowsLines;
        return (MicroInputs.OctetCounted(lines), MicroInputs.LfDelimited(lines), MicroInputs.Relp(lines), MicroInputs.Ndjson(events),
            MicroInputs.ForwardStream(events, MicroInputs.RecordsPerMessage, ForwardMode.Forward),
            MicroInputs.ForwardStream(events, MicroInputs.RecordsPerMessage, ForwardMode.PackedForward),
            MicroInputs.ForwardStream(events, MicroInputs.RecordsPerMessage, ForwardMode.CompressedPackedForward));
    });

    private static void Expect(string what, long got, int expected)
    {
        if (got != expected) throw new InvalidOperationException($"{what}: read {got}, the benchmark divides by {expected}");
    }

    [Benchmark(OperationsPerInvoke = MicroInputs.SyslogLines)]
    public long SyslogOctetCounted() => Syslog(_octetCounted);

    [Benchmark(OperationsPerInvoke = MicroInputs.SyslogLines)]
    public long SyslogLfDelimited() => Syslog(_lfDelimited);

    /// <summary>The read loop of SyslogStreamProtocol without the events: pipe, framer, advance.</summary>
    private static long Syslog(byte[] bytes)
    {
        var reader = ListenerReader(bytes);
        var framer = new SyslogFramer(MaxMessageBytes);
        long frames = 0;
        while (true)
        {
            var result = Read(reader);
            var buffer = result.Buffer;
            while (framer.TryReadFrame(ref buffer, result.IsCompleted, out _, out _)) frames++;
            reader.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted) break;
        }
        reader.Complete();
        return frames;
    }

    [Benchmark(OperationsPerInvoke = MicroInputs.SyslogLines)]
    public long RelpFrames()
    {
        var reader = ListenerReader(_relp);
        // RelpProtocol's framer: room for the sender's trailing LF (or CRLF) after a message of the maximum size.
        var framer = new RelpFramer(MaxMessageBytes + 2);
        long frames = 0;
        while (true)
        {
            var result = Read(reader);
            var buffer = result.Buffer;
            while (framer.TryReadFrame(ref buffer, out var frame))
            {
                if (frame.Error != RelpFrameError.None || frame.Command != RelpCommand.Syslog) throw new InvalidDataException(RelpFrame.Describe(frame.Error));
                frames++;
            }
            reader.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted) break;
        }
        reader.Complete();
        return frames;
    }

    /// <summary>The forward framer alone over Forward-mode messages (it walks every entry's headers).</summary>
    [Benchmark(OperationsPerInvoke = MicroInputs.AgentEvents)]
    public long ForwardFramerOnly()
    {
        var framer = new ForwardFramer(Forward.MaxFrameBytes);
        var buffer = new ReadOnlySequence<byte>(_forward);
        long messages = 0;
        while (framer.TryReadFrame(buffer, out var length) == FrameStatus.Frame)
        {
            buffer = buffer.Slice(length);
            messages++;
        }
        return messages;
    }

    [Benchmark(OperationsPerInvoke = MicroInputs.AgentEvents)]
    public long ForwardDecode() => ForwardEvents(_forward);

    [Benchmark(OperationsPerInvoke = MicroInputs.AgentEvents)]
    public long PackedForwardDecode() => ForwardEvents(_packedForward);

    [Benchmark(OperationsPerInvoke = MicroInputs.AgentEvents)]
    public long CompressedPackedForwardDecode() => ForwardEvents(_compressedForward);

    /// <summary>What ForwardListener runs per read: framer, decoder, one EventRecord per record.</summary>
    private static long ForwardEvents(byte[] bytes)
    {
        var connection = new ForwardListener.Connection(Forward, TimeProvider.System, "127.0.0.1:24224");
        var reader = ListenerReader(bytes);
        long events = 0;
        while (true)
        {
            var result = Read(reader);
            var buffer = result.Buffer;
            var step = connection.Take(ref buffer, result.IsCompleted);
            if (step.Malformed is { } error) throw new InvalidDataException(error);
            foreach (var f in step.Frames) events += f.Decoded.Events.Count;
            reader.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted) break;
        }
        reader.Complete();
        return events;
    }

    [Benchmark(OperationsPerInvoke = MicroInputs.AgentEvents)]
    public long Ndjson()
    {
        // NdjsonEndpoint reads the request body through PipeReader.Create with its default buffers.
        var batch = NdjsonIngest.ReadAsync(PipeReader.Create(new MemoryStream(_ndjson)), MaxLineBytes, "127.0.0.1:40000",
            TimeProvider.System, CancellationToken.None).GetAwaiter().GetResult();
        if (batch.Errors.Count > 0) throw new InvalidDataException(batch.Errors[0].Error);
        return batch.Events.Count;
    }

    // The syslog, RELP and forward listeners read their connections with these buffer sizes.
    private static PipeReader ListenerReader(byte[] bytes) =>
        PipeReader.Create(new MemoryStream(bytes), new StreamPipeReaderOptions(bufferSize: 64 * 1024, minimumReadSize: 16 * 1024));

    /// <summary>A memory stream completes every read at once; the pipe's ValueTask is then complete too.</summary>
    private static ReadResult Read(PipeReader reader)
    {
        var pending = reader.ReadAsync();
        return pending.IsCompleted ? pending.Result : pending.AsTask().GetAwaiter().GetResult();
    }

    private static ForwardListenerSettings ForwardSettings()
    {
        var o = new ForwardOptions();
        return new ForwardListenerSettings("forward", new IPEndPoint(IPAddress.Loopback, 24224), null, "redoubt", o.MaxConnections,
            o.IdleTimeout, o.HandshakeTimeout, o.MaxFrameBytes, o.MaxDecompressedBytes, new IngestOptions().MaxLineBytes, o.BusyWait);
    }
}

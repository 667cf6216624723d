using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using Redoubt.Ingest.Forward;
using Redoubt.Ingest.Http;

namespace Redoubt.Perf.Ingest;

/// <summary>
/// `Redoubt.Perf forward-probe DATA`: CPU time and allocation per event of decoding forward messages
/// (Forward, PackedForward, CompressedPackedForward; 500 real OTRF Windows events per message) next
/// to the NDJSON path on the same events. Not a benchmark: a stopwatch on CPU time, because the shared
/// machine's wall clock is meaningless under load.
/// </summary>
public static class ForwardProbe
{
    public static void Run(string data)
    {
        var lines = Directory.GetFiles(Path.Combine(data, "agent-events", "otrf-security-datasets", "windows"), "*.json").Order(StringComparer.Ordinal)
            .SelectMany(File.ReadLines).Where(l => l.Length > 0).ToArray();
        var batches = lines.Chunk(500).ToArray();
        var forward = batches.Select(b => Frame(b, packed: false, gzip: false)).ToArray();
        var packed = batches.Select(b => Frame(b, packed: true, gzip: false)).ToArray();
        var gzip = batches.Select(b => Frame(b, packed: true, gzip: true)).ToArray();
        var ndjson = Encoding.UTF8.GetBytes(string.Join('\n', lines) + "\n");
        var decoder = new ForwardDecoder(1 << 28, 1 << 20, TimeProvider.System);
        System.Console.WriteLine($"{lines.Length} events, {ndjson.Length / lines.Length} bytes each as JSON on average");

        void Time(string what, Action run)
        {
            run();
            const int rounds = 5;
            var cpu = Environment.CpuUsage.UserTime + Environment.CpuUsage.PrivilegedTime;
            var allocated = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < rounds; i++) run();
            var used = Environment.CpuUsage.UserTime + Environment.CpuUsage.PrivilegedTime - cpu;
            var bytes = GC.GetAllocatedBytesForCurrentThread() - allocated;
            System.Console.WriteLine($"{what,-34} {used.TotalMicroseconds / rounds / lines.Length,7:F2} us/event CPU  {bytes / rounds / lines.Length,7} B/event allocated");
        }

        Time("framer (Forward messages)", () =>
        {
            var framer = new ForwardFramer(1 << 28);
            foreach (var f in forward) framer.TryReadFrame(new ReadOnlySequence<byte>(f), out _);
        });
        Time("decode Forward", () => { foreach (var f in forward) decoder.Decode(new ReadOnlySequence<byte>(f), "forward", "127.0.0.1:1"); });
        Time("decode PackedForward", () => { foreach (var f in packed) decoder.Decode(new ReadOnlySequence<byte>(f), "forward", "127.0.0.1:1"); });
        Time("decode CompressedPackedForward", () => { foreach (var f in gzip) decoder.Decode(new ReadOnlySequence<byte>(f), "forward", "127.0.0.1:1"); });
        Time("NDJSON path (same events)", () =>
            NdjsonIngest.ReadAsync(PipeReader.Create(new MemoryStream(ndjson)), 1 << 20, "127.0.0.1:1", TimeProvider.System, CancellationToken.None).GetAwaiter().GetResult());
    }

    /// <summary>
    /// `Redoubt.Perf forward-load PORT DATA [MESSAGES]`: sends PackedForward messages of 500 real events
    /// to a running appliance over one connection, each waiting for its ack (so: durable), and prints
    /// acked events per second.
    /// </summary>
    public static void Load(int port, string data, int messages)
    {
        var lines = Directory.GetFiles(Path.Combine(data, "agent-events", "otrf-security-datasets", "windows"), "*.json").Order(StringComparer.Ordinal)
            .SelectMany(File.ReadLines).Where(l => l.Length > 0).ToArray();
        var frames = lines.Chunk(500).Where(b => b.Length == 500).Select(b => Frame(b, packed: true, gzip: false)).ToArray();
        using var tcp = new System.Net.Sockets.TcpClient();
        tcp.Connect(System.Net.IPAddress.Loopback, port);
        var stream = tcp.GetStream();
        var reply = new byte[64];
        var sw = System.Diagnostics.Stopwatch.StartNew();
        long bytes = 0;
        for (var i = 0; i < messages; i++)
        {
            var f = frames[i % frames.Length];
            stream.Write(f);
            bytes += f.Length;
            // {"ack": "probe"}: 1 + 4 + 6 bytes
            var got = 0;
            while (got < 11) got += stream.Read(reply, got, 11 - got) is var n && n > 0 ? n : throw new IOException("closed before ack");
        }
        var s = sw.Elapsed.TotalSeconds;
        System.Console.WriteLine($"{messages} messages x 500 events acked in {s:F1} s: {messages * 500 / s:F0} events/s, {bytes / s / 1e6:F1} MB/s");
    }

    private static byte[] Frame(string[] records, bool packed, bool gzip) =>
        Micro.MicroInputs.ForwardMessage(records, !packed ? Micro.ForwardMode.Forward : gzip ? Micro.ForwardMode.CompressedPackedForward : Micro.ForwardMode.PackedForward, eventTime: false);
}

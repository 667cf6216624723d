using System.Buffers;
using System.IO.Hashing;
using Redoubt.Perf.Graph;
using Redoubt.Storage.Events;

namespace Redoubt.Perf.Scale;

/// <summary>
/// `Redoubt.Perf decode-probe --data SHARED [--events 200000]`: where a filtered search spends its time per
/// scanned event, without disk or HTTP: the scale bench's events encoded as the log stores them, then
/// (CPU time of this thread, median of 5 passes) the CRC alone, the whole decode (CRC + MessagePack into an
/// EventRecord, what QueryAsync does to every scanned event) and the filter on the decoded record.
/// </summary>
public static class DecodeProbe
{
    public static int Run(string[] args)
    {
        var i = Array.IndexOf(args, "--data");
        var shared = i >= 0 ? args[i + 1] : throw new ArgumentException("decode-probe: --data SHARED_DATA is required");
        var j = Array.IndexOf(args, "--events");
        var n = j >= 0 ? int.Parse(args[j + 1], System.Globalization.CultureInfo.InvariantCulture) : 200_000;
        var gen = new ScaleEvents(shared, n, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        var entries = new byte[n][];
        var buffer = new ArrayBufferWriter<byte>();
        for (var k = 0; k < n; k++) { buffer.ResetWrittenCount(); EventCodec.Encode(gen.Make(k), buffer); entries[k] = buffer.WrittenSpan.ToArray(); }
        var decoded = entries.Select(e => EventCodec.Decode(e)).ToArray();
        var host = new EventQuery { Host = gen.HostOf(42) };
        var text = new EventQuery { Text = "no-such-text-anywhere" };
        long sink = 0;
        var crc = Time(n, () => { foreach (var e in entries) sink += Crc32.HashToUInt32(e.AsSpan(EventCodec.HeaderBytes)); });
        var decode = Time(n, () => { foreach (var e in entries) sink += EventCodec.Decode(e).TimeMs; });
        var matchHost = Time(n, () => { foreach (var e in decoded) sink += host.Matches(e) ? 1 : 0; });
        var matchText = Time(n, () => { foreach (var e in decoded) sink += text.Matches(e) ? 1 : 0; });
        var bytes = entries.Average(e => (double)e.Length);
        System.Console.WriteLine($"RESULT decode-probe: {n:N0} events ({bytes:F0} B encoded on average), CPU µs per event, median of 5 passes: " +
            $"CRC-32 alone {crc:F2}; decode (CRC + MessagePack → EventRecord) {decode:F2}; host filter on the decoded record {matchHost:F3}; " +
            $"absent-text filter (message, case-insensitive) {matchText:F2}; allocated per decode {Allocated(entries):F0} B ({sink % 2})");
        return 0;
    }

    private static double Time(int n, Action pass)
    {
        pass();
        var samples = new List<double>();
        for (var k = 0; k < 5; k++) { var t = CpuClock.NowMs(); pass(); samples.Add((CpuClock.NowMs() - t) * 1000 / n); }
        return samples.Order().ElementAt(2);
    }

    private static double Allocated(byte[][] entries)
    {
        var before = GC.GetAllocatedBytesForCurrentThread();
        foreach (var e in entries) EventCodec.Decode(e);
        return (GC.GetAllocatedBytesForCurrentThread() - before) / (double)entries.Length;
    }
}

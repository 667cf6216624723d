using System.Buffers;
using System.IO.Hashing;
using Redoubt.Perf.Graph;
using Redoubt.Storage.Events;

namespace Redoubt.Perf.Scale;

/// <summary>
/// `Redoubt.Perf decode-probe --data SHARED [--events 200000]`: where a filtered search spends its time per
/// scanned event, without disk or HTTP: the scale bench's events encoded as the log stores them, then
/// (CPU time of this thread, median of 5 passes) the CRC alone, the whole decode (CRC + MessagePack into an
/// EventRecord, what QueryAsync did to every scanned event) and the filter on the decoded record; then the
/// two search paths per scanned event side by side: decode then match (old) and CRC + match on the
/// encoded entry, decoding only matches (<see cref="EventFilter"/>, QueryAsync now; entries here sit in
/// arrays, not in FasterLog pages).
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
        // The search path since the encoded-entry filter: CRC, match on the entry bytes, decode only matches.
        var hostFilter = new EventFilter(host);
        var textFilter = new EventFilter(text);
        var scanHost = Time(n, () => { foreach (var e in entries) sink += Scan(e, hostFilter); });
        var scanText = Time(n, () => { foreach (var e in entries) sink += Scan(e, textFilter); });
        var scanHostOld = Time(n, () => { foreach (var e in entries) sink += host.Matches(EventCodec.Decode(e)) ? 1 : 0; });
        var scanTextOld = Time(n, () => { foreach (var e in entries) sink += text.Matches(EventCodec.Decode(e)) ? 1 : 0; });
        var bytes = entries.Average(e => (double)e.Length);
        System.Console.WriteLine($"RESULT decode-probe: {n:N0} events ({bytes:F0} B encoded on average), CPU µs per event, median of 5 passes: " +
            $"CRC-32 alone {crc:F2}; decode (CRC + MessagePack → EventRecord) {decode:F2}; host filter on the decoded record {matchHost:F3}; " +
            $"absent-text filter (message, case-insensitive) {matchText:F2}; allocated per decode {Allocated(entries):F0} B ({sink % 2})");
        System.Console.WriteLine($"RESULT decode-probe: per scanned event, CPU µs, decode then match (old search path) vs CRC + match on the encoded entry, decoding only matches (new): " +
            $"host filter (1 host of {ScaleEvents.Hosts:N0}) {scanHostOld:F2} vs {scanHost:F2} ({scanHostOld / scanHost:F1}x); absent text {scanTextOld:F2} vs {scanText:F2} ({scanTextOld / scanText:F1}x); " +
            $"allocated per scanned event, new path: host {Allocated(entries, hostFilter):F0} B, absent text {Allocated(entries, textFilter):F0} B");
        return 0;
    }

    private static double Time(int n, Action pass)
    {
        pass();
        var samples = new List<double>();
        for (var k = 0; k < 5; k++) { var t = CpuClock.NowMs(); pass(); samples.Add((CpuClock.NowMs() - t) * 1000 / n); }
        return samples.Order().ElementAt(2);
    }

    private static long Scan(byte[] entry, EventFilter filter)
    {
        var memory = entry.AsMemory();
        EventCodec.CheckEntry(memory.Span, -1);
        return filter.Matches(memory[EventCodec.HeaderBytes..]) ? EventCodec.DecodeChecked(memory, -1).TimeMs : 0;
    }

    private static double Allocated(byte[][] entries, EventFilter filter)
    {
        var before = GC.GetAllocatedBytesForCurrentThread();
        foreach (var e in entries) Scan(e, filter);
        return (GC.GetAllocatedBytesForCurrentThread() - before) / (double)entries.Length;
    }

    private static double Allocated(byte[][] entries)
    {
        var before = GC.GetAllocatedBytesForCurrentThread();
        foreach (var e in entries) EventCodec.Decode(e);
        return (GC.GetAllocatedBytesForCurrentThread() - before) / (double)entries.Length;
    }
}

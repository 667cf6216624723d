using System.Buffers;
using System.Globalization;
using Redoubt.Ingest;
using Redoubt.Ingest.Http;
using Redoubt.Perf.Graph;
using Redoubt.Storage.Events;

namespace Redoubt.Perf.Scale;

/// <summary>
/// `Redoubt.Perf ingest-state-cost --data SHARED [--events N]`: what checkpointing the ingest state
/// costs the event log's appender. The state (<see cref="IngestState"/>: sources' first/last seen,
/// idempotency keys) now sees every committed event on the appender; this times that per event, and a
/// checkpoint's capture (on the appender), serialisation (off it) and load (at open), on the scale
/// bench's real lines over 1,000 hosts, one event in 50 in a keyed batch of 50. CPU time of the
/// measuring thread, median of 5 passes.
/// </summary>
public static class IngestStateCost
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static int Run(string[] args)
    {
        var shared = args.SkipWhile(a => a != "--data").Skip(1).FirstOrDefault() ?? throw new ArgumentException("ingest-state-cost: --data SHARED is required");
        var count = long.Parse(args.SkipWhile(a => a != "--events").Skip(1).FirstOrDefault() ?? "1000000", Inv);
        var gen = new ScaleEvents(shared, count, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), spanDays: 1);
        var events = new EventRecord[count];
        for (long i = 0; i < count; i++)
        {
            var e = gen.Make(i);
            // Keyed NDJSON batches of 50: one event in 50 carries the batch's body hash and count.
            if (i % 1000 < 50)
                e.Batch = i % 1000 == 0 ? new BatchMark { Key = $"batch-{i}", BodySha256 = new byte[32], Count = 50 } : new BatchMark { Key = $"batch-{i - i % 1000}" };
            events[i] = e;
        }

        var observe = new List<double>();
        var capture = new List<double>();
        var write = new List<double>();
        var load = new List<double>();
        var bytes = 0;
        for (var pass = 0; pass < 5; pass++)
        {
            var state = New();
            var t0 = CpuClock.NowMs();
            for (var i = 0; i < events.Length; i++) state.Observe(i * 256L, events[i]);
            observe.Add((CpuClock.NowMs() - t0) * 1000 / events.Length);

            t0 = CpuClock.NowMs();
            var snapshot = state.Capture();
            capture.Add(CpuClock.NowMs() - t0);
            var buffer = new ArrayBufferWriter<byte>();
            t0 = CpuClock.NowMs();
            snapshot.WriteTo(buffer);
            write.Add(CpuClock.NowMs() - t0);
            bytes = buffer.WrittenCount;

            var again = New();
            t0 = CpuClock.NowMs();
            again.Load(buffer.WrittenMemory);
            again.Recovered();
            load.Add(CpuClock.NowMs() - t0);
        }
        var keys = count / 1000;
        System.Console.WriteLine(string.Create(Inv,
            $"RESULT ingest-state-cost: {count:N0} events, {ScaleEvents.Hosts:N0} hosts, {keys:N0} keyed batches of 50; CPU, median of 5 passes: " +
            $"observe {Median(observe):F3} µs per event (appender, after each commit); checkpoint of {bytes:N0} bytes: capture {Median(capture):F2} ms (appender), " +
            $"serialise {Median(write):F2} ms (thread pool), load + fill the source table {Median(load):F2} ms (open)"));
        return 0;
    }

    private static IngestState New()
    {
        var clock = TimeProvider.System;
        var table = new SourceTable(10_000, TimeSpan.FromHours(1), TimeSpan.FromDays(30), clock);
        var keys = new IdempotencyKeys(TimeSpan.FromHours(24), 100_000, 2_000_000, clock);
        return new IngestState(new SourceHistory(10_000, TimeSpan.FromDays(30), clock), keys, table);
    }

    private static double Median(List<double> v)
    {
        var s = v.Order().ToArray();
        return s[s.Length / 2];
    }
}

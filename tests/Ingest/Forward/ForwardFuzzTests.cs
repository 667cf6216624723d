using System.Buffers;
using System.Globalization;
using System.Net;
using System.Text;
using Redoubt.Ingest.Forward;
using Redoubt.Tests.Support;

namespace Redoubt.Tests.Ingest.Forward;

/// <summary>
/// Mutated real forward traffic through the whole connection state (handshake, framer, decoder):
/// nothing may throw, hang or grow without bound; every byte ends as events, a refusal, or a wait
/// for more. A bounded run by default; the long run is the same test with
/// REDOUBT_FUZZ_ITERATIONS set (perf/RESULTS.md has the command and its figures).
/// </summary>
public sealed class ForwardFuzzTests
{
    [Fact]
    public void Mutated_messages_split_at_random_never_throw_and_always_end()
    {
        var iterations = int.TryParse(Environment.GetEnvironmentVariable("REDOUBT_FUZZ_ITERATIONS"), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 20_000;
        var seeds = ForwardSamples.All().Select(s => s.Bytes).ToList();
        var seed = int.TryParse(Environment.GetEnvironmentVariable("REDOUBT_FUZZ_SEED"), NumberStyles.None, CultureInfo.InvariantCulture, out var s) ? s : 20261201;
        var stats = ForwardFuzz.Run(seeds, iterations, seed);
        Assert.Equal(iterations, stats.Inputs);
        // The mutations reach every outcome: decoded events, kept-raw entries, refused connections.
        Assert.True(stats.Events > 0 && stats.RawEvents > 0 && stats.Malformed > 0, stats.ToString());
    }
}

/// <summary>The fuzz loop, shared with the long run in perf/.</summary>
public static class ForwardFuzz
{
    private static readonly ManualClock Clock = new(new DateTimeOffset(2026, 12, 1, 10, 0, 0, TimeSpan.Zero));

    public sealed record Stats(long Inputs, long Events, long RawEvents, long Malformed)
    {
        public override string ToString() => $"{Inputs} inputs: {Events} events ({RawEvents} kept raw), {Malformed} refused";
    }

    public static Stats Run(IReadOnlyList<byte[]> seeds, int iterations, int seed)
    {
        var random = new Random(seed);
        long events = 0, raw = 0, malformed = 0;
        for (var i = 0; i < iterations; i++)
        {
            var input = Mutate(random, seeds);
            var key = random.Next(8) == 0 ? "k" : null;
            var c = new ForwardListener.Connection(new ForwardListenerSettings("forward", new IPEndPoint(IPAddress.Loopback, 1),
                key is null ? null : Encoding.UTF8.GetBytes(key), "srv", 1, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1),
                64 * 1024, 256 * 1024, 16 * 1024, TimeSpan.Zero), Clock, "127.0.0.1:1");
            var kept = Array.Empty<byte>();
            var at = 0;
            while (true)
            {
                var step = Math.Min(input.Length - at, random.Next(1, 600));
                var last = at + step >= input.Length;
                var buffer = Sequences.Of(kept, input[at..(at + step)]);
                at += step;
                var result = c.Take(ref buffer, last);
                foreach (var f in result.Frames)
                {
                    events += f.Decoded.Events.Count;
                    raw += f.Decoded.Events.Count(e => e.Raw is not null);
                }
                if (result.Malformed is not null || result.AuthFailure is not null) { malformed++; break; }
                kept = buffer.ToArray();
                if (kept.Length > 64 * 1024 + 600) throw new InvalidOperationException($"kept {kept.Length} bytes past the frame limit");
                if (last) break;
            }
        }
        return new Stats(iterations, events, raw, malformed);
    }

    private static byte[] Mutate(Random random, IReadOnlyList<byte[]> seeds)
    {
        var bytes = new List<byte>(seeds[random.Next(seeds.Count)]);
        var edits = random.Next(1, 6);
        for (var e = 0; e < edits; e++)
        {
            switch (random.Next(7))
            {
                case 0 when bytes.Count > 0: bytes[random.Next(bytes.Count)] ^= (byte)(1 << random.Next(8)); break;
                case 1 when bytes.Count > 0: bytes[random.Next(bytes.Count)] = (byte)random.Next(256); break;
                case 2: bytes.Insert(random.Next(bytes.Count + 1), Interesting[random.Next(Interesting.Length)]); break;
                case 3 when bytes.Count > 1: bytes.RemoveRange(random.Next(bytes.Count - 1), 1); break;
                case 4 when bytes.Count > 0:
                    var cut = random.Next(bytes.Count); // truncate: a sender that died mid-message
                    bytes.RemoveRange(cut, bytes.Count - cut);
                    break;
                case 5: bytes.AddRange(seeds[random.Next(seeds.Count)]); break; // several messages back to back
                default:
                    if (bytes.Count > 4) // copy a slice somewhere else (headers land in payloads and back)
                    {
                        var from = random.Next(bytes.Count - 2);
                        var len = random.Next(1, Math.Min(64, bytes.Count - from));
                        bytes.InsertRange(random.Next(bytes.Count), bytes.GetRange(from, len));
                    }
                    break;
            }
        }
        return bytes.ToArray();
    }

    // Header bytes that steer the decoder into its edges: long forms, ext types, nil, the never-used 0xc1.
    private static readonly byte[] Interesting = [0xc0, 0xc1, 0xc4, 0xc6, 0xc7, 0xc9, 0xd4, 0xd7, 0xd8, 0xdb, 0xdc, 0xdd, 0xde, 0xdf, 0x90, 0x80, 0xff, 0x00, 0x7f, 0xca, 0xcb, 0xcf, 0xd3];
}

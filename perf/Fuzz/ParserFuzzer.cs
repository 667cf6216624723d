using System.Buffers;
using System.Diagnostics;
using System.Text;
using Redoubt.Ingest.Syslog;
using Redoubt.Parsing.Payload;
using Redoubt.Storage.Events;

namespace Redoubt.Perf.Fuzz;

/// <summary>
/// Feeds random and mutated real lines to the syslog framer, the header parser and every payload decoder, and
/// checks what must hold for any input: nothing throws, every event keeps its text or raw bytes, a parse error
/// always has its reason and raw bytes, fields stay bounded, frames never exceed the limit. Used by the bounded
/// run in the test suite (tests/Parsing/FuzzTests.cs) and by the long run in perf/Fuzz (see perf/RESULTS.md).
/// </summary>
public sealed class ParserFuzzer
{
    private const int MaxFrame = 4096;
    private static readonly byte[] Syntax = Encoding.Latin1.GetBytes("<>[]\"'\\ :=|-0123456789TZ+.,{}@%#^\t\n\r\0x\u00ff\u00c3");
    private static readonly string[] Signatures = ["CEF:0|", "CEF:", "LEEF:1.0|", "LEEF:2.0|", "{", "@cee:{", "@cee: ", "a=1 b=", "k=\"v", "[x:\"", "%ASA-6-302013: ", "%%01URL/4/F(l):"];
    private static readonly string[] Prefixes = ["<13>", "<165>1 ", "<0>1 - - - - - ", "<14>1 2024-06-15T12:00:00.123456+02:00 h a 1 m ", "<34>Oct 11 22:14:15 ", "*Oct  6 03:32:04.114 gmt: ",
        "123: ", "00:00:46: ", "2024-06-15 12:00:00,123 ", "Wed Jul 27 18:32:27 2016 ", "1 2019-05-15T16:25:50Z H C 1 - ", "<13>Jan  1 00:00:00 host app[1]: "];

    private readonly Random _rng;
    private readonly byte[][] _seeds;
    private readonly SyslogEvents _events;
    private readonly TimeZoneInfo[] _zones;

    public long Inputs { get; private set; }
    public long Frames { get; private set; }
    public long ParseErrors { get; private set; }
    public long DecoderErrors { get; private set; }
    public TimeSpan Slowest { get; private set; }
    public byte[] SlowestInput { get; private set; } = [];
    /// <summary>The input being processed (for a watchdog that suspects a hang).</summary>
    public volatile byte[] Current = [];

    public ParserFuzzer(int seed, IEnumerable<byte[]> seeds, TimeProvider? clock = null)
    {
        _rng = new Random(seed);
        _seeds = seeds.Where(s => s.Length > 0).ToArray();
        if (_seeds.Length == 0) throw new ArgumentException("no seed lines");
        _zones = [TimeZoneInfo.Utc, TimeZoneInfo.CreateCustomTimeZone("fuzz-14", TimeSpan.FromHours(-14), "fuzz-14", "fuzz-14"),
            TimeZoneInfo.CreateCustomTimeZone("fuzz+14", TimeSpan.FromHours(14), "fuzz+14", "fuzz+14")];
        _events = new SyslogEvents(_zones[seed % _zones.Length], clock ?? TimeProvider.System);
    }

    /// <summary>Real lines to start from: every vendor sample, the CEF samples, loghub lines and the conformance inputs.</summary>
    public static IEnumerable<byte[]> RealSeeds(string dataRoot)
    {
        var files = Directory.GetFiles(Path.Combine(dataRoot, "logs", "wazuh-ruleset-tests", "by-vendor-log"), "*.log")
            .Append(Path.Combine(dataRoot, "logs", "cef", "elastic-beats-decode-cef", "samples.log"))
            .Append(Path.Combine(dataRoot, "logs", "loghub", "Linux", "Linux_2k.log"))
            .Append(Path.Combine(dataRoot, "logs", "loghub", "Mac", "Mac_2k.log"));
        foreach (var f in files)
            foreach (var line in File.ReadAllText(f).Split('\n'))
                if (line.Length > 0) yield return Encoding.UTF8.GetBytes(line.TrimEnd('\r'));
        foreach (var line in File.ReadLines(Path.Combine(dataRoot, "syslog-cases", "syslog-cases.jsonl")))
        {
            using var doc = System.Text.Json.JsonDocument.Parse(line);
            var c = doc.RootElement;
            if (c.TryGetProperty("input_b64", out var b)) yield return Convert.FromBase64String(b.GetString()!);
            else if (c.TryGetProperty("input", out var s) && s.GetString() is { Length: > 0 } text) yield return Encoding.UTF8.GetBytes(text);
        }
    }

    /// <summary>Runs until <paramref name="iterations"/> inputs or <paramref name="budget"/> elapsed. Throws <see cref="FuzzFailure"/> on a broken invariant.</summary>
    public void Run(long iterations, TimeSpan budget)
    {
        var total = Stopwatch.StartNew();
        var one = new Stopwatch();
        for (long n = 0; n < iterations && total.Elapsed < budget; n++)
        {
            byte[] input = Next();
            Current = input;
            one.Restart();
            try
            {
                if (n % 16 == 0) CheckFramer(input);
                else if (n % 4 == 0) CheckDecoders(input);
                else CheckFrame(input, n);
            }
            catch (FuzzFailure) { throw; }
            catch (Exception ex)
            {
                throw new FuzzFailure($"{ex.GetType().Name}: {ex.Message}", input, ex);
            }
            one.Stop();
            if (one.Elapsed > Slowest) { Slowest = one.Elapsed; SlowestInput = input; }
            Inputs++;
        }
    }

    private byte[] Next()
    {
        switch (_rng.Next(10))
        {
            case 0: // random bytes
            {
                var b = new byte[_rng.Next(0, 600)];
                _rng.NextBytes(b);
                return b;
            }
            case 1: // random syntax characters
            {
                var b = new byte[_rng.Next(0, 300)];
                for (int i = 0; i < b.Length; i++) b[i] = Syntax[_rng.Next(Syntax.Length)];
                return b;
            }
            case 2: // a header form followed by a payload signature and a mutated real tail
            {
                string head = Prefixes[_rng.Next(Prefixes.Length)] + Signatures[_rng.Next(Signatures.Length)];
                var tail = Seed();
                return Mutate([.. Encoding.UTF8.GetBytes(head), .. tail.AsSpan(_rng.Next(tail.Length + 1))]);
            }
            case 3: // two real lines spliced
            {
                var a = Seed();
                var c = Seed();
                int cutA = _rng.Next(a.Length + 1), cutC = _rng.Next(c.Length + 1);
                return Mutate([.. a.AsSpan(0, cutA), .. c.AsSpan(cutC)]);
            }
            default: // a mutated real line
                return Mutate((byte[])Seed().Clone());
        }
    }

    private byte[] Seed() => _seeds[_rng.Next(_seeds.Length)];

    private byte[] Mutate(byte[] b)
    {
        var list = new List<byte>(b);
        for (int k = _rng.Next(0, 6); k > 0; k--)
        {
            int at = list.Count == 0 ? 0 : _rng.Next(list.Count);
            switch (_rng.Next(7))
            {
                case 0: if (list.Count > 0) list[at] = Syntax[_rng.Next(Syntax.Length)]; break;
                case 1: list.Insert(at, Syntax[_rng.Next(Syntax.Length)]); break;
                case 2: if (list.Count > 0) list.RemoveRange(at, Math.Min(list.Count - at, _rng.Next(1, 16))); break;
                case 3: if (list.Count > 0) list.RemoveRange(at, list.Count - at); break; // truncate
                case 4: if (list.Count > 0) list[at] = (byte)_rng.Next(256); break;
                case 5: // duplicate a range (long repeated structures: many SD elements, many pairs)
                    if (list.Count > 0)
                    {
                        int len = Math.Min(list.Count - at, _rng.Next(1, 64));
                        var range = list.GetRange(at, len);
                        for (int r = _rng.Next(1, 20); r > 0 && list.Count < 64 * 1024; r--) list.InsertRange(at, range);
                    }
                    break;
                default: if (list.Count > 0) list.Insert(at, (byte)' '); break;
            }
        }
        return list.ToArray();
    }

    private void CheckFrame(byte[] input, long n)
    {
        var e = _events.FromFrame(input, n % 7 == 0, n % 2 == 0 ? Transport.SyslogUdp : Transport.SyslogTcp, null);
        Frames++;
        CheckEvent(e, input);
    }

    private void CheckEvent(EventRecord e, byte[] input)
    {
        if (e.Format is not ("rfc3164" or "rfc5424")) throw new FuzzFailure($"format '{e.Format}'", input);
        bool nilOnly5424 = e.Format == "rfc5424" && e.Message is null;
        if (e.Message is null && e.Raw is null && !nilOnly5424) throw new FuzzFailure("neither message nor raw kept", input);
        if ((e.Flags & EventFlags.ParseError) != 0)
        {
            if (string.IsNullOrEmpty(e.ParseError) || e.Raw is null) throw new FuzzFailure("parse error without reason or raw bytes", input);
            if (e.ParseError.StartsWith("internal", StringComparison.Ordinal)) throw new FuzzFailure("parser bug: " + e.ParseError, input);
            ParseErrors++;
        }
        if ((e.Flags & EventFlags.InvalidUtf8) != 0 && e.Raw is null) throw new FuzzFailure("invalid UTF-8 without raw bytes", input);
        if (e.Fields is { } f)
        {
            if (f.Count > PayloadDecoders.MaxFields + 2) throw new FuzzFailure($"{f.Count} fields", input);
            if (f.TryGetValue(PayloadDecoders.ErrorField, out var err))
            {
                if (err.StartsWith("internal", StringComparison.Ordinal)) throw new FuzzFailure("decoder bug: " + err, input);
                DecoderErrors++;
            }
        }
    }

    /// <summary>Each decoder directly on a message that starts with its signature.</summary>
    private void CheckDecoders(byte[] input)
    {
        string tail = Encoding.UTF8.GetString(input);
        var e = new EventRecord { Message = Signatures[_rng.Next(Signatures.Length)] + tail, Format = "rfc3164", ReceivedAtMs = 1, TimeMs = 1 };
        PayloadDecoders.Decode(e, _zones[_rng.Next(_zones.Length)]);
        CheckEvent(e, input);
    }

    /// <summary>The input as a TCP stream cut at random points: frames come out bounded and every byte is consumed.</summary>
    private void CheckFramer(byte[] input)
    {
        byte[] stream = [.. input, (byte)'\n', .. Encoding.ASCII.GetBytes($"{input.Length} "), .. input];
        var framer = new SyslogFramer(_rng.Next(2) == 0 ? MaxFrame : _rng.Next(1, 64));
        var pending = new List<byte>();
        int offset = 0;
        while (offset <= stream.Length)
        {
            int take = Math.Min(stream.Length - offset, _rng.Next(1, 200));
            pending.AddRange(stream.AsSpan(offset, take));
            offset += take;
            bool done = offset == stream.Length;
            var buffer = new ReadOnlySequence<byte>(pending.ToArray());
            int guard = 0;
            while (framer.TryReadFrame(ref buffer, done, out var frame, out bool truncated))
            {
                if (frame.Length > framer.MaxMessageBytes) throw new FuzzFailure($"frame of {frame.Length} > {framer.MaxMessageBytes}", input);
                CheckEvent(_events.FromFrame(frame, truncated, Transport.SyslogTcp, null), input);
                Frames++;
                if (++guard > stream.Length + 2) throw new FuzzFailure("framer does not advance", input);
            }
            pending = [.. buffer.ToArray()];
            if (done) break;
        }
        if (pending.Count != 0) throw new FuzzFailure($"{pending.Count} bytes left after the peer closed", input);
    }
}

public sealed class FuzzFailure(string message, byte[] input, Exception? inner = null)
    : Exception($"{message}; input (base64) {Convert.ToBase64String(input)}", inner)
{
    public byte[] Input { get; } = input;
}

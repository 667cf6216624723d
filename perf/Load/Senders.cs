using System.Buffers;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using MessagePack;

namespace Redoubt.Perf.Load;

/// <summary>What one sending phase did: messages written (or acked, for acked transports) and how long sending took.</summary>
public sealed record SendResult(long Sent, double Seconds, List<double> AckMs)
{
    public double OfferedRate => Sent / Seconds;
}

/// <summary>
/// The load driver's senders. Each splits <c>total</c> messages of the mix over <c>connections</c>
/// connections, optionally paced to <c>rate</c> messages/s in all (0 = as fast as the receiver takes them).
/// </summary>
public static class Senders
{
    /// <summary>Octet-counted syslog over TCP. The per-connection byte batches are built before the clock starts and can be replayed to another receiver.</summary>
    public static byte[][][] TcpBatches(MessageMix mix, long total, int connections, int batch)
    {
        var per = total / connections;
        var result = new byte[connections][][];
        for (var c = 0; c < connections; c++)
        {
            var list = new List<byte[]>();
            for (long i = 0; i < per; i += batch)
                list.Add(mix.OctetCounted(c * per + i, (int)Math.Min(batch, per - i)));
            result[c] = [.. list];
        }
        return result;
    }

    public static async Task<SendResult> SyslogTcpAsync(int port, byte[][][] batches, int batchSize, double rate, CancellationToken ct)
    {
        var sw = Stopwatch.StartNew();
        long sent = 0;
        var perConnectionRate = rate / batches.Length;
        await Task.WhenAll(batches.Select(async conn =>
        {
            using var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true, SendBufferSize = 1 << 20 };
            await s.ConnectAsync(IPAddress.Loopback, port, ct);
            var pacer = new Pacer(perConnectionRate);
            long mine = 0;
            foreach (var b in conn)
            {
                await pacer.WaitForAsync(mine, ct);
                await s.SendAsync(b, SocketFlags.None, ct);
                mine += batchSize;
            }
            s.Shutdown(SocketShutdown.Send);
            // Wait for the receiver to close or drain: a half-closed socket whose peer keeps reading.
            Interlocked.Add(ref sent, mine);
        }));
        return new SendResult(Interlocked.Read(ref sent), sw.Elapsed.TotalSeconds, []);
    }

    /// <summary>Syslog over UDP, one message per datagram (no framing), paced to <paramref name="rate"/> (0 = unpaced).</summary>
    public static async Task<SendResult> SyslogUdpAsync(int port, MessageMix mix, long total, double rate, CancellationToken ct)
    {
        var datagrams = Enumerable.Range(0, Math.Min(mix.Lines.Count, 20_000)).Select(i => Encoding.UTF8.GetBytes(mix[i])).ToArray();
        using var s = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { SendBufferSize = 1 << 20 };
        s.Connect(IPAddress.Loopback, port);
        var pacer = new Pacer(rate);
        var per = Pacer.BatchFor(rate, 64);
        var sw = Stopwatch.StartNew();
        long sent = 0;
        while (sent < total)
        {
            await pacer.WaitForAsync(sent, ct);
            for (var i = 0; i < per && sent < total; i++, sent++)
            {
                try { s.Send(datagrams[sent % datagrams.Length]); }
                catch (SocketException e) when (e.SocketErrorCode is SocketError.NoBufferSpaceAvailable or SocketError.ConnectionRefused) { }
            }
        }
        return new SendResult(sent, sw.Elapsed.TotalSeconds, []);
    }

    /// <summary>RELP (as librelp speaks it): open with commands=syslog, then windows of <paramref name="window"/> syslog frames, each window's acks awaited.</summary>
    public static async Task<SendResult> RelpAsync(int port, MessageMix mix, long total, int connections, int window, double rate, CancellationToken ct)
    {
        var sw = Stopwatch.StartNew();
        long acked = 0;
        var per = total / connections;
        var perConnectionRate = rate / connections;
        var ackMs = new List<double>();
        await Task.WhenAll(Enumerable.Range(0, connections).Select(async c =>
        {
            using var tcp = new TcpClient { NoDelay = true };
            await tcp.ConnectAsync(IPAddress.Loopback, port, ct);
            var stream = tcp.GetStream();
            var reader = new RelpResponses(stream);
            await stream.WriteAsync(Encoding.ASCII.GetBytes("1 open 31 relp_version=0\ncommands=syslog\n\n"), ct);
            await reader.ReadAsync(1, ct);
            var txnr = 2L;
            var pacer = new Pacer(perConnectionRate);
            var mine = new List<double>();
            for (long i = 0; i < per; i += window)
            {
                await pacer.WaitForAsync(i, ct);
                var n = (int)Math.Min(window, per - i);
                var frames = new MemoryStream();
                for (var k = 0; k < n; k++)
                {
                    var data = Encoding.UTF8.GetBytes(mix[c * per + i + k] + "\n");
                    frames.Write(Encoding.ASCII.GetBytes($"{txnr++} syslog {data.Length} "));
                    frames.Write(data);
                    frames.WriteByte((byte)'\n');
                }
                var t = Stopwatch.GetTimestamp();
                await stream.WriteAsync(frames.GetBuffer().AsMemory(0, (int)frames.Length), ct);
                await reader.ReadAsync(n, ct);
                mine.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
                Interlocked.Add(ref acked, n);
            }
            lock (ackMs) ackMs.AddRange(mine);
        }));
        return new SendResult(acked, sw.Elapsed.TotalSeconds, ackMs);
    }

    /// <summary>Fluent forward, PackedForward messages of <paramref name="batch"/> records each asking for an ack; one message in flight per connection.</summary>
    public static async Task<SendResult> ForwardAsync(int port, MessageMix mix, long total, int connections, int batch, double rate, CancellationToken ct)
    {
        var frames = Enumerable.Range(0, (int)Math.Min(64, Math.Max(1, total / batch))).Select(f => ForwardFrame(mix, (long)f * batch, batch, "perf")).ToArray();
        var sw = Stopwatch.StartNew();
        long acked = 0;
        var ackMs = new List<double>();
        var perConnection = total / connections / batch;
        await Task.WhenAll(Enumerable.Range(0, connections).Select(async c =>
        {
            using var tcp = new TcpClient { NoDelay = true };
            await tcp.ConnectAsync(IPAddress.Loopback, port, ct);
            var stream = tcp.GetStream();
            var pacer = new Pacer(rate / connections);
            var reply = new byte[64];
            var mine = new List<double>();
            for (long m = 0; m < perConnection; m++)
            {
                await pacer.WaitForAsync(m * batch, ct);
                var t = Stopwatch.GetTimestamp();
                await stream.WriteAsync(frames[(c + m) % frames.Length], ct);
                await ReadForwardAckAsync(stream, reply, ct);
                mine.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
                Interlocked.Add(ref acked, batch);
            }
            lock (ackMs) ackMs.AddRange(mine);
        }));
        return new SendResult(acked, sw.Elapsed.TotalSeconds, ackMs);
    }

    /// <summary>{"ack": chunk} as msgpack: a map of one entry; reads until one complete map is in.</summary>
    internal static async Task ReadForwardAckAsync(Stream stream, byte[] reply, CancellationToken ct)
    {
        var got = 0;
        while (true)
        {
            var n = await stream.ReadAsync(reply.AsMemory(got), ct);
            if (n == 0) throw new IOException("forward: connection closed before the ack (store busy?)");
            got += n;
            try
            {
                var r = new MessagePackReader(reply.AsMemory(0, got));
                r.Skip();
                if (r.Consumed == got) return;
            }
            catch (EndOfStreamException) { }
        }
    }

    /// <summary>A PackedForward message: [tag, bin(entries), {"chunk": id}], each entry [time, {"host", "message"}] from the mix.</summary>
    public static byte[] ForwardFrame(MessageMix mix, long start, int count, string chunk)
    {
        var entries = new ArrayBufferWriter<byte>();
        var e = new MessagePackWriter(entries);
        for (long i = start; i < start + count; i++)
        {
            e.WriteArrayHeader(2);
            e.Write(DateTimeOffset.UtcNow.ToUnixTimeSeconds());
            e.WriteMapHeader(2);
            e.Write("host"); e.Write("perf-forward");
            e.Write("message"); e.Write(mix[i]);
        }
        e.Flush();
        var frame = new ArrayBufferWriter<byte>();
        var w = new MessagePackWriter(frame);
        w.WriteArrayHeader(3);
        w.Write("perf.load");
        w.Write(entries.WrittenSpan);
        w.WriteMapHeader(1);
        w.Write("chunk"); w.Write(chunk);
        w.Flush();
        return frame.WrittenSpan.ToArray();
    }

    /// <summary>HTTP NDJSON: POST /api/v1/ingest with <paramref name="batch"/> lines per request, <paramref name="connections"/> requests in flight.</summary>
    public static async Task<SendResult> NdjsonAsync(HttpClient http, MessageMix mix, long total, int connections, int batch, double rate, CancellationToken ct)
    {
        var bodies = Enumerable.Range(0, (int)Math.Min(64, Math.Max(1, total / batch))).Select(b => NdjsonBody(mix, (long)b * batch, batch)).ToArray();
        var sw = Stopwatch.StartNew();
        long acked = 0;
        var ackMs = new List<double>();
        var perConnection = total / connections / batch;
        await Task.WhenAll(Enumerable.Range(0, connections).Select(async c =>
        {
            var pacer = new Pacer(rate / connections);
            var mine = new List<double>();
            for (long m = 0; m < perConnection; m++)
            {
                await pacer.WaitForAsync(m * batch, ct);
                var t = Stopwatch.GetTimestamp();
                using var content = new ByteArrayContent(bodies[(c + m) % bodies.Length]);
                content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/x-ndjson");
                using var r = await http.PostAsync("/api/v1/ingest", content, ct);
                var reply = await r.Content.ReadAsStringAsync(ct);
                if (!r.IsSuccessStatusCode) throw new HttpRequestException($"NDJSON ingest: {(int)r.StatusCode} {reply}");
                mine.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
                using var doc = JsonDocument.Parse(reply);
                Interlocked.Add(ref acked, doc.RootElement.GetProperty("accepted").GetInt64());
            }
            lock (ackMs) ackMs.AddRange(mine);
        }));
        return new SendResult(acked, sw.Elapsed.TotalSeconds, ackMs);
    }

    public static byte[] NdjsonBody(MessageMix mix, long start, int count)
    {
        var body = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(body))
        {
            for (long i = start; i < start + count; i++)
            {
                w.WriteStartObject();
                w.WriteString("host", "perf-ndjson");
                w.WriteString("message", mix[i]);
                w.WriteEndObject();
                w.Flush();
                body.Write("\n"u8);
                w.Reset();
            }
        }
        return body.WrittenSpan.ToArray();
    }
}

/// <summary>Reads RELP response frames (TXNR SP rsp SP DATALEN [SP DATA] LF) and fails on anything but 200.</summary>
internal sealed class RelpResponses(Stream stream)
{
    private readonly byte[] _buffer = new byte[1 << 16];
    private int _start, _end;

    public async Task ReadAsync(int frames, CancellationToken ct)
    {
        var got = 0;
        while (got < frames)
        {
            if (TryFrame(out var ok))
            {
                if (!ok) throw new IOException("RELP: the receiver refused a frame");
                got++;
                continue;
            }
            if (_start > 0) { Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start); _end -= _start; _start = 0; }
            var n = await stream.ReadAsync(_buffer.AsMemory(_end), ct);
            if (n == 0) throw new IOException("RELP: connection closed before every ack came");
            _end += n;
        }
    }

    private bool TryFrame(out bool ok)
    {
        ok = false;
        var span = _buffer.AsSpan(_start, _end - _start);
        var sp1 = span.IndexOf((byte)' ');
        if (sp1 < 0) return false;
        var sp2 = span[(sp1 + 1)..].IndexOf((byte)' ');
        if (sp2 < 0) return false;
        sp2 += sp1 + 1;
        var rest = span[(sp2 + 1)..];
        var end = rest.IndexOfAny((byte)' ', (byte)'\n');
        if (end < 0) return false;
        var len = int.Parse(rest[..end], System.Globalization.CultureInfo.InvariantCulture);
        var size = sp2 + 1 + end + (len > 0 ? 1 + len : 0) + 1;
        if (span.Length < size) return false;
        ok = len == 0 || span.Slice(sp2 + 1 + end + 1, 3).SequenceEqual("200"u8);
        _start += size;
        return true;
    }
}

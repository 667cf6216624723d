using System.Buffers;
using System.IO.Compression;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using MessagePack;

namespace Redoubt.Tests.Support;

/// <summary>
/// Forward-protocol messages written with MessagePack by hand, for the modes and cases the npm client
/// cannot send (Forward mode, several gzip members, the handshake by its bytes, broken input).
/// </summary>
public static class ForwardFrames
{
    public delegate void Write(ref MessagePackWriter w);

    public static byte[] Build(Write write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var w = new MessagePackWriter(buffer);
        write(ref w);
        w.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    public static void EventTime(ref MessagePackWriter w, uint seconds, uint nanos)
    {
        w.WriteExtensionFormatHeader(new ExtensionHeader(0, 8));
        var span = w.GetSpan(8);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(span, seconds);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(span[4..], nanos);
        w.Advance(8);
    }

    /// <summary>A JSON value as MessagePack (objects as maps, numbers as integers when they are).</summary>
    public static void Json(ref MessagePackWriter w, JsonElement e) => MessagePackJson.Write(ref w, e);

    public static void Json(ref MessagePackWriter w, string json) => Json(ref w, JsonDocument.Parse(json).RootElement);

    public static void Option(ref MessagePackWriter w, string? chunk, string? compressed = null, int? size = null)
    {
        var n = (chunk is null ? 0 : 1) + (compressed is null ? 0 : 1) + (size is null ? 0 : 1);
        w.WriteMapHeader(n);
        if (chunk is not null) { w.Write("chunk"); w.Write(chunk); }
        if (compressed is not null) { w.Write("compressed"); w.Write(compressed); }
        if (size is not null) { w.Write("size"); w.Write(size.Value); }
    }

    /// <summary>[tag, time, record, {chunk}?]</summary>
    public static byte[] Message(string tag, uint seconds, string recordJson, string? chunk = null) => Build((ref MessagePackWriter w) =>
    {
        w.WriteArrayHeader(chunk is null ? 3 : 4);
        w.Write(tag);
        EventTime(ref w, seconds, 0);
        Json(ref w, recordJson);
        if (chunk is not null) Option(ref w, chunk);
    });

    /// <summary>[tag, [[time, record]…], {chunk}?]</summary>
    public static byte[] Forward(string tag, IReadOnlyList<string> recordsJson, uint seconds, string? chunk = null) => Build((ref MessagePackWriter w) =>
    {
        w.WriteArrayHeader(chunk is null ? 2 : 3);
        w.Write(tag);
        w.WriteArrayHeader(recordsJson.Count);
        for (var i = 0; i < recordsJson.Count; i++)
        {
            w.WriteArrayHeader(2);
            w.Write((long)seconds + i);
            Json(ref w, recordsJson[i]);
        }
        if (chunk is not null) Option(ref w, chunk, size: recordsJson.Count);
    });

    /// <summary>Entries [time, record] back to back, as PackedForward carries them.</summary>
    public static byte[] Entries(IReadOnlyList<string> recordsJson, uint seconds) => Build((ref MessagePackWriter w) =>
    {
        for (var i = 0; i < recordsJson.Count; i++)
        {
            w.WriteArrayHeader(2);
            EventTime(ref w, seconds + (uint)i, 500_000_000);
            Json(ref w, recordsJson[i]);
        }
    });

    /// <summary>[tag, bin(entries), {chunk, compressed?}]; <paramref name="members"/> &gt; 0 gzips the entries in that many members.</summary>
    public static byte[] Packed(string tag, byte[] entries, string? chunk, int members = 0, int? size = null) => Build((ref MessagePackWriter w) =>
    {
        var payload = members > 0 ? Gzip(entries, members) : entries;
        w.WriteArrayHeader(3);
        w.Write(tag);
        w.Write(payload.AsSpan());
        Option(ref w, chunk, members > 0 ? "gzip" : null, size);
    });

    /// <summary>Gzip in several members concatenated (as Fluentd appends to a compressed chunk).</summary>
    public static byte[] Gzip(byte[] data, int members)
    {
        using var all = new MemoryStream();
        var step = (data.Length + members - 1) / members;
        for (var m = 0; m < members; m++)
        {
            var part = data.AsSpan(Math.Min(data.Length, m * step), Math.Max(0, Math.Min(step, data.Length - m * step)));
            using var gz = new GZipStream(all, CompressionLevel.Fastest, leaveOpen: true);
            gz.Write(part);
        }
        return all.ToArray();
    }

    /// <summary>The PING a client sends after HELO, with the digest computed from the nonce and key.</summary>
    public static byte[] Ping(string clientHostname, byte[] nonce, string sharedKey, byte[] salt) => Build((ref MessagePackWriter w) =>
    {
        w.WriteArrayHeader(6);
        w.Write("PING");
        w.Write(clientHostname);
        w.Write(salt.AsSpan());
        w.Write(Sha512Hex(salt, Encoding.UTF8.GetBytes(clientHostname), nonce, Encoding.UTF8.GetBytes(sharedKey)));
        w.Write("");
        w.Write("");
    });

    public static string Sha512Hex(params byte[][] parts)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA512);
        foreach (var p in parts) sha.AppendData(p);
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }
}

/// <summary>A raw forward client on one TCP connection: writes frames, reads whole MessagePack replies.</summary>
public sealed class ForwardClient : IAsyncDisposable
{
    private readonly TcpClient _tcp = new();
    private NetworkStream _stream = null!;
    private readonly List<byte> _pending = [];

    public static async Task<ForwardClient> ConnectAsync(int port)
    {
        var c = new ForwardClient();
        await c._tcp.ConnectAsync(IPAddress.Loopback, port);
        c._stream = c._tcp.GetStream();
        return c;
    }

    public async Task SendAsync(byte[] bytes) => await _stream.WriteAsync(bytes);

    /// <summary>The next MessagePack object the server sends, or null when it closes the connection first.</summary>
    public async Task<byte[]?> ReadReplyAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(30));
        var buffer = new byte[4096];
        while (true)
        {
            if (TryTakeObject(out var reply)) return reply;
            int n;
            try { n = await _stream.ReadAsync(buffer, cts.Token); }
            catch (IOException) { return null; } // reset
            if (n == 0) return null;
            _pending.AddRange(buffer.AsSpan(0, n));
        }
    }

    /// <summary>True when the server closed the connection (after sending nothing more).</summary>
    public async Task<bool> ClosedByServerAsync(TimeSpan? timeout = null) => await ReadReplyAsync(timeout) is null;

    private bool TryTakeObject(out byte[] reply)
    {
        reply = [];
        if (_pending.Count == 0) return false;
        var bytes = _pending.ToArray();
        var reader = new MessagePackReader(bytes);
        try { reader.Skip(); }
        catch (EndOfStreamException) { return false; }
        var length = (int)reader.Consumed;
        reply = bytes[..length];
        _pending.RemoveRange(0, length);
        return true;
    }

    /// <summary>The chunk in an <c>{"ack": chunk}</c> reply.</summary>
    public static string AckOf(byte[] reply)
    {
        var reader = new MessagePackReader(reply);
        Assert.Equal(1, reader.ReadMapHeader());
        Assert.Equal("ack", reader.ReadString());
        return reader.ReadString()!;
    }

    public async ValueTask DisposeAsync()
    {
        _tcp.Dispose();
        await Task.CompletedTask;
    }
}

using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using MessagePack;

namespace Redoubt.Ingest.Forward;

/// <summary>The outcome of a PING: the PONG to send, and whether the client may now send events.</summary>
public sealed record PingResult(bool Accepted, byte[] Pong, string? Reason, string? ClientHostname);

/// <summary>
/// The forward protocol's optional shared-key handshake (Forward Protocol Specification v1,
/// "Handshake Messages"), one instance per connection:
/// server → <c>["HELO", {nonce, auth, keepalive}]</c>;
/// client → <c>["PING", client_hostname, shared_key_salt, hex(sha512(salt + client_hostname + nonce + shared_key)), username, password_digest]</c>;
/// server → <c>["PONG", ok, reason, server_hostname, hex(sha512(salt + server_hostname + nonce + shared_key))]</c>.
/// The second digest proves to the client that this server knows the key too. Username/password
/// authentication is not offered (HELO's auth salt is empty), so the PING's last two fields are ignored.
/// </summary>
public sealed class ForwardHandshake(byte[] sharedKey, string serverHostname)
{
    /// <summary>
    /// Largest message taken before the handshake is done. A PING is a few hundred bytes (hostname,
    /// salt, 128 hex digits, username, password digest); anything larger is refused from its header,
    /// so a client without the key cannot make the listener buffer up to Forward:MaxFrameBytes.
    /// </summary>
    public const int MaxPingBytes = 4096;

    private readonly byte[] _nonce = RandomNumberGenerator.GetBytes(16);

    public byte[] Helo()
    {
        var buffer = new ArrayBufferWriter<byte>(64);
        var w = new MessagePackWriter(buffer);
        w.WriteArrayHeader(2);
        w.Write("HELO");
        w.WriteMapHeader(3);
        w.Write("nonce");
        w.Write(_nonce.AsSpan());
        w.Write("auth");
        w.Write("");
        w.Write("keepalive");
        w.Write(true);
        w.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    public PingResult CheckPing(in ReadOnlySequence<byte> frame)
    {
        try
        {
            var reader = new MessagePackReader(frame);
            if (reader.NextMessagePackType != MessagePackType.Array) return Refuse("invalid ping message", null);
            var length = reader.ReadArrayHeader();
            if (length != 6 || reader.NextMessagePackType != MessagePackType.String || reader.ReadString() != "PING")
                return Refuse("invalid ping message", null);
            var hostname = ReadText(ref reader);
            var salt = ReadBytes(ref reader);
            var digest = ReadText(ref reader);
            if (hostname is null || salt is null || digest is null) return Refuse("invalid ping message", null);

            var expected = Digest(salt, hostname);
            var given = Encoding.ASCII.GetBytes(digest.ToLowerInvariant());
            if (!CryptographicOperations.FixedTimeEquals(given, expected))
                return Refuse("shared_key mismatch", hostname);
            return new PingResult(true, Pong(true, "", serverHostname, Digest(salt, serverHostname)), null, hostname);
        }
        catch (Exception e) when (ForwardDecoder.IsDecodeError(e))
        {
            return Refuse("invalid ping message", null);
        }
    }

    private PingResult Refuse(string reason, string? hostname) => new(false, Pong(false, reason, "", []), reason, hostname);

    /// <summary>Lower-case hex of sha512(salt + hostname + nonce + shared_key), as ASCII bytes.</summary>
    private byte[] Digest(byte[] salt, string hostname)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA512);
        sha.AppendData(salt);
        sha.AppendData(Encoding.UTF8.GetBytes(hostname));
        sha.AppendData(_nonce);
        sha.AppendData(sharedKey);
        return Encoding.ASCII.GetBytes(Convert.ToHexStringLower(sha.GetHashAndReset()));
    }

    private static byte[] Pong(bool ok, string reason, string hostname, byte[] digest)
    {
        var buffer = new ArrayBufferWriter<byte>(192);
        var w = new MessagePackWriter(buffer);
        w.WriteArrayHeader(5);
        w.Write("PONG");
        w.Write(ok);
        w.Write(reason);
        w.Write(hostname);
        w.WriteString(digest);
        w.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    private static string? ReadText(ref MessagePackReader reader) =>
        reader.NextMessagePackType is MessagePackType.String or MessagePackType.Binary
            ? Encoding.UTF8.GetString(ReadBytes(ref reader)!)
            : null;

    /// <summary>Salt and nonce are opaque bytes: fluent-logger sends a hex str, Fluentd raw bytes.</summary>
    private static byte[]? ReadBytes(ref MessagePackReader reader) => reader.NextMessagePackType switch
    {
        MessagePackType.String => reader.ReadStringSequence()!.Value.ToArray(),
        MessagePackType.Binary => reader.ReadBytes()!.Value.ToArray(),
        _ => null,
    };
}

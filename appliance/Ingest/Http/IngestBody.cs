using System.IO.Compression;
using System.Security.Cryptography;

namespace Redoubt.Ingest.Http;

/// <summary>The decoded body is larger than the configured maximum.</summary>
public sealed class BodyTooLargeException(long limit) : Exception($"the request body is larger than {limit} bytes")
{
    public long Limit { get; } = limit;
}

/// <summary>The ingest budget has no room: the store is behind.</summary>
public sealed class IngestBusyException() : Exception("the store is busy");

/// <summary>
/// The NDJSON request body as the reader sees it: gzip-decoded when the client sent
/// <c>Content-Encoding: gzip</c> (streamed, never inflated whole), bounded after decoding, every
/// decoded byte charged to the <see cref="IngestBudget"/> until the batch is durable, and
/// fingerprinted (SHA-256 of the decoded bytes) for idempotency keys. Throws
/// <see cref="BodyTooLargeException"/> or <see cref="IngestBusyException"/> from a read, which
/// the endpoint turns into 413 or 503.
/// </summary>
public sealed class IngestBody : ReadOnlyBodyStream
{
    private readonly WireCounter _wire;
    private readonly Stream _decoded;
    private readonly long _maxBytes;
    private readonly IngestBudget _budget;
    private readonly IncrementalHash? _hash;
    private long _read, _charged;

    private readonly long? _declaredLength;

    /// <param name="declaredLength">Content-Length, when sent: the batch is admitted for its whole size at once.</param>
    public IngestBody(Stream wire, bool gzip, long? declaredLength, long maxBytes, IngestBudget budget, bool fingerprint)
    {
        _declaredLength = declaredLength;
        _wire = new WireCounter(wire);
        _decoded = gzip ? new GZipStream(_wire, CompressionMode.Decompress, leaveOpen: true) : _wire;
        _maxBytes = maxBytes;
        _budget = budget;
        _hash = fingerprint ? IncrementalHash.CreateHash(HashAlgorithmName.SHA256) : null;
    }

    /// <summary>Bytes as they came over the network (compressed, when gzip).</summary>
    public long WireBytes => _wire.Count;
    public long DecodedBytes => _read;

    public byte[] Fingerprint() => _hash?.GetHashAndReset() ?? throw new InvalidOperationException("no fingerprint was asked for");

    /// <summary>Gives the budget back: once the batch is durable, or was refused.</summary>
    public void ReleaseBudget()
    {
        _budget.Release(_charged);
        _charged = 0;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var n = await _decoded.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
        if (n == 0) return 0;
        _read += n;
        if (_read > _maxBytes) throw new BodyTooLargeException(_maxBytes);
        if (_charged == 0)
        {
            // Admission: the whole batch when its size is declared, else what came first. Refused
            // here, nothing of the batch was stored and the client is told to retry.
            var admit = Math.Max(n, Math.Min(_declaredLength ?? 0, _maxBytes));
            if (!_budget.TryAcquire(admit)) throw new IngestBusyException();
            _charged = admit;
        }
        else if (_read > _charged)
        {
            _budget.Charge(_read - _charged); // admitted already: finish it
            _charged = _read;
        }
        _hash?.AppendData(buffer.Span[..n]);
        return n;
    }

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count, CancellationToken.None).GetAwaiter().GetResult();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            ReleaseBudget();
            if (!ReferenceEquals(_decoded, _wire)) _decoded.Dispose();
            _hash?.Dispose();
        }
        base.Dispose(disposing);
    }

    /// <summary>Counts the bytes read from the request (the framework owns and closes that stream).</summary>
    private sealed class WireCounter(Stream inner) : ReadOnlyBodyStream
    {
        public long Count { get; private set; }
        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var n = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            Count += n;
            return n;
        }
        public override int Read(byte[] buffer, int offset, int count) { var n = inner.Read(buffer, offset, count); Count += n; return n; }
    }
}

using Redoubt.Ingest.Http;

namespace Redoubt.Graph.Import;

/// <summary>
/// A request body that ends on a line break when it is cut off (over Import:MaxBytes, the client
/// gone): the bytes after the last line break it passed on are withheld until the next one arrives,
/// and dropped at a cut, so the reader sees the end of a shorter file and never takes half a row for
/// a whole one. <see cref="Cut"/> says why it ended early. A line longer than the hold-back buffer is
/// passed on as it comes (it is over the row limit anyway, and refused there).
/// </summary>
public sealed class WholeLinesBody(Stream inner) : ReadOnlyBodyStream
{
    private readonly byte[] _tail = new byte[64 * 1024];
    private int _tailLength;
    private bool _innerDone;

    /// <summary>Why the body ended before its end (a 413 <c>BadHttpRequestException</c>, an I/O error), or null.</summary>
    public Exception? Cut { get; private set; }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            if (Cut is not null || buffer.Length == 0) return 0;
            if (_innerDone || _tailLength >= buffer.Length) return Drain(buffer.Span);
            _tail.AsSpan(0, _tailLength).CopyTo(buffer.Span);
            int n;
            try { n = await inner.ReadAsync(buffer[_tailLength..], cancellationToken); }
            catch (Exception e) when (e is BadHttpRequestException or IOException)
            {
                Cut = e;
                return 0;
            }
            if (n == 0)
            {
                _innerDone = true;
                continue;
            }
            var total = _tailLength + n;
            var lastBreak = buffer.Span[..total].LastIndexOf((byte)'\n');
            if (lastBreak < 0)
            {
                if (total > _tail.Length)
                {
                    _tailLength = 0;
                    return total; // a line longer than the hold-back: passed on as it comes
                }
                buffer.Span[..total].CopyTo(_tail);
                _tailLength = total;
                continue;
            }
            _tailLength = total - (lastBreak + 1);
            buffer.Span[(lastBreak + 1)..total].CopyTo(_tail);
            return lastBreak + 1;
        }
    }

    /// <summary>Hands over withheld bytes: the end of a whole body, or a long line's next part.</summary>
    private int Drain(Span<byte> buffer)
    {
        var n = Math.Min(buffer.Length, _tailLength);
        _tail.AsSpan(0, n).CopyTo(buffer);
        _tail.AsSpan(n, _tailLength - n).CopyTo(_tail);
        _tailLength -= n;
        return n;
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException("the request body is read asynchronously");
}

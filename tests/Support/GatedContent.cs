using System.IO.Compression;
using System.Net;

namespace Redoubt.Tests.Support;

/// <summary>
/// A request body sent in two parts: the first at once, the rest only when the test opens the gate.
/// Sent chunked (no length), so the appliance reads and holds the first part while the request stays open:
/// a slow client, or a batch still in flight.
/// </summary>
public sealed class GatedContent(byte[] first, byte[] rest) : HttpContent
{
    private readonly TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Open() => _gate.TrySetResult();

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
    {
        await stream.WriteAsync(first);
        await stream.FlushAsync();
        await _gate.Task;
        await stream.WriteAsync(rest);
    }

    protected override bool TryComputeLength(out long length)
    {
        length = -1;
        return false;
    }
}

public static class Gzip
{
    public static byte[] Compress(byte[] data)
    {
        using var output = new MemoryStream();
        using (var gz = new GZipStream(output, CompressionLevel.Optimal)) gz.Write(data);
        return output.ToArray();
    }

    public static ByteArrayContent Content(byte[] body, string encoding = "gzip")
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/x-ndjson");
        content.Headers.ContentEncoding.Add(encoding);
        return content;
    }
}

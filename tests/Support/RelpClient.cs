using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Redoubt.Ingest.Relp;

namespace Redoubt.Tests.Support;

/// <summary>
/// A bare RELP client for protocol edge cases that librelp never sends (bad frames, commands out of
/// order). The real-sender tests use rsyslog's omrelp; this one writes exactly the bytes a test gives.
/// </summary>
public sealed class RelpClient : IAsyncDisposable
{
    private readonly TcpClient _tcp;
    private readonly NetworkStream _stream;
    private readonly PipeReader _reader;
    private readonly RelpFramer _framer = new(64 * 1024);

    private RelpClient(TcpClient tcp)
    {
        _tcp = tcp;
        _stream = tcp.GetStream();
        _reader = PipeReader.Create(_stream);
    }

    public const string LibrelpOffer = "relp_version=0\nrelp_software=librelp,1.11.0,http://librelp.adiscon.com\ncommands=syslog\n";

    public static async Task<RelpClient> ConnectAsync(int port)
    {
        var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, port);
        return new RelpClient(tcp);
    }

    /// <summary>TXNR SP COMMAND SP DATALEN [SP DATA] LF, as librelp writes it.</summary>
    public static string Frame(long txnr, string command, string data = "") =>
        data.Length == 0 ? $"{txnr} {command} 0\n" : $"{txnr} {command} {Encoding.UTF8.GetByteCount(data)} {data}\n";

    public async Task SendAsync(string bytes) => await _stream.WriteAsync(Encoding.UTF8.GetBytes(bytes));

    /// <summary>The next frame from the server as "TXNR COMMAND DATA", or null when it closed the connection.</summary>
    public async Task<string?> ReadAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (true)
        {
            var result = await _reader.ReadAsync(timeout.Token);
            var buffer = result.Buffer;
            if (_framer.TryReadFrame(ref buffer, out var frame))
            {
                var text = frame.Error != RelpFrameError.None
                    ? $"bad frame: {frame.Error}"
                    : $"{frame.Txnr} {frame.CommandText ?? frame.Command.ToString().ToLowerInvariant()} {Encoding.UTF8.GetString(frame.Data.ToArray())}";
                _reader.AdvanceTo(buffer.Start);
                return text;
            }
            _reader.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted) return null;
        }
    }

    /// <summary>Opens the session as librelp does and returns the server's answer.</summary>
    public async Task<string?> OpenAsync(long txnr = 1)
    {
        await SendAsync(Frame(txnr, "open", LibrelpOffer));
        return await ReadAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await _reader.CompleteAsync();
        _tcp.Dispose();
    }
}

using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Redoubt.Perf.Load;

/// <summary>
/// The raw-ingestion reference: a private rsyslogd (foreground, own work dir and pidfile) with imtcp
/// on a free port writing every message to a file with omfile. Counting LFs in that file tells how
/// many messages it has written.
/// </summary>
public sealed class RsyslogPeer : IDisposable
{
    private readonly Process _process;
    private readonly string _dir;
    private readonly string _out;
    private long _counted, _offset;

    public int Port { get; }

    private RsyslogPeer(string dir, int port)
    {
        _dir = dir;
        Port = port;
        _out = Path.Combine(dir, "out.log");
        Directory.CreateDirectory(Path.Combine(dir, "work"));
        var conf = Path.Combine(dir, "rsyslog.conf");
        File.WriteAllText(conf, $"""
            global(workDirectory="{dir}/work" maxMessageSize="64k")
            module(load="imtcp")
            input(type="imtcp" port="{port}" address="127.0.0.1")
            action(type="omfile" file="{_out}")
            """);
        var psi = new ProcessStartInfo("rsyslogd") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in (string[])["-n", "-f", conf, "-i", Path.Combine(dir, "rsyslogd.pid")]) psi.ArgumentList.Add(a);
        _process = Process.Start(psi)!;
        _process.BeginErrorReadLine();
        _process.BeginOutputReadLine();
    }

    public static async Task<RsyslogPeer> StartAsync()
    {
        var peer = new RsyslogPeer(Directory.CreateTempSubdirectory("redoubt-load-rsyslog-").FullName, ApplianceUnderTest.FreePort());
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            if (peer._process.HasExited) throw new InvalidOperationException($"rsyslogd exited with {peer._process.ExitCode}");
            try
            {
                using var probe = new System.Net.Sockets.TcpClient();
                await probe.ConnectAsync(System.Net.IPAddress.Loopback, peer.Port);
                return peer;
            }
            catch (System.Net.Sockets.SocketException) { await Task.Delay(100); }
        }
        peer.Dispose();
        throw new TimeoutException("rsyslogd did not listen within 30 s");
    }

    /// <summary>Messages written to the file so far (reads only what was appended since the last call).</summary>
    public long Written()
    {
        if (!File.Exists(_out)) return 0;
        using var f = new FileStream(_out, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        f.Seek(_offset, SeekOrigin.Begin);
        var buffer = new byte[1 << 20];
        int n;
        while ((n = f.Read(buffer)) > 0)
        {
            _counted += buffer.AsSpan(0, n).Count((byte)'\n');
            _offset += n;
        }
        return _counted;
    }

    public double CpuSeconds()
    {
        var stat = File.ReadAllText($"/proc/{_process.Id}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(fields[11], System.Globalization.CultureInfo.InvariantCulture) + long.Parse(fields[12], System.Globalization.CultureInfo.InvariantCulture)) / 100.0;
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int sig);

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            kill(_process.Id, 15);
            if (!_process.WaitForExit(10_000)) _process.Kill();
        }
        _process.Dispose();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}

using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace Redoubt.Tests.Support;

/// <summary>
/// A private rsyslogd (Debian's, installed by .ci/run) as an independent sender: it tails its own
/// input file with imfile and forwards every line through the action a test gives it (omfwd with a
/// TLS stream driver, omrelp…). It never touches /dev/log or the machine's configuration. Each
/// instance owns a temp dir, its pid file and work dir; dispose stops it by its own pid.
/// </summary>
public sealed class Rsyslog : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    public string Dir { get; }
    public string InputFile => Path.Combine(Dir, "in.log");
    public string Output { get { lock (_output) return _output.ToString(); } }
    public bool HasExited => _process.HasExited;

    private Rsyslog(string dir, Process process)
    {
        Dir = dir;
        _process = process;
    }

    /// <summary>
    /// Starts rsyslogd with <paramref name="action"/> (one or more <c>action(...)</c> statements; "$DIR"
    /// in it is replaced by the instance's directory). Lines appended to <see cref="InputFile"/> are
    /// sent with APP-NAME "fileapp" and HOSTNAME "sender-host".
    /// </summary>
    public static async Task<Rsyslog> StartAsync(string action, string modules = "")
    {
        var dir = Directory.CreateTempSubdirectory("redoubt-rsyslog-").FullName;
        Directory.CreateDirectory(Path.Combine(dir, "work"));
        File.WriteAllText(Path.Combine(dir, "in.log"), "");
        var conf = $"""
            global(workDirectory="{dir}/work" localHostname="sender-host" maxMessageSize="64k")
            module(load="imfile" mode="inotify")
            {modules}
            input(type="imfile" File="{dir}/in.log" Tag="fileapp" Facility="local3" Severity="notice"
                  freshStartTail="off" PersistStateInterval="1" ruleset="out")
            ruleset(name="out") {"{"}
            {action.Replace("$DIR", dir)}
            {"}"}
            """;
        var confPath = Path.Combine(dir, "rsyslog.conf");
        File.WriteAllText(confPath, conf);

        var check = await RunAsync("rsyslogd", ["-N1", "-f", confPath]);
        if (check.ExitCode != 0)
            throw new InvalidOperationException($"rsyslogd rejected the test config (exit {check.ExitCode}):\n{check.Output}\n{conf}");

        var psi = new ProcessStartInfo("rsyslogd") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in new[] { "-n", "-f", confPath, "-i", Path.Combine(dir, "rsyslogd.pid") }) psi.ArgumentList.Add(a);
        var process = new Process { StartInfo = psi };
        var r = new Rsyslog(dir, process);
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (r._output) r._output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (r._output) r._output.AppendLine(e.Data); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return r;
    }

    /// <summary>Appends lines to the tailed file, as an application writing its log.</summary>
    public async Task AppendLinesAsync(IEnumerable<string> lines)
    {
        var sb = new StringBuilder();
        foreach (var line in lines) sb.Append(line).Append('\n');
        await File.AppendAllTextAsync(InputFile, sb.ToString());
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int sig);

    private bool _disposed;

    public async ValueTask DisposeAsync()
    {
        if (_disposed) return;
        _disposed = true;
        if (!_process.HasExited)
        {
            kill(_process.Id, 15);
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try { await _process.WaitForExitAsync(cts.Token); }
            catch (OperationCanceledException) { _process.Kill(); await _process.WaitForExitAsync(); }
        }
        _process.Dispose();
        try { Directory.Delete(Dir, recursive: true); } catch (IOException) { }
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string file, string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        Process p;
        try { p = Process.Start(psi)!; }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"{file} is not installed ({e.Message}); .ci/run installs rsyslog and its TLS and RELP modules", e);
        }
        using (p)
        {
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEndAsync();
            await p.WaitForExitAsync();
            return (p.ExitCode, await stdout + await stderr);
        }
    }
}

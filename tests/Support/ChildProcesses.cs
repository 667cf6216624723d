using System.Diagnostics;
using System.Text;

namespace Redoubt.Tests.Support;

/// <summary>
/// The test assembly doubles as a child-process host: `dotnet Redoubt.Tests.dll ROLE ARGS`. Crash tests
/// start a role that writes to a store and reports what is durable on stdout, then SIGKILL it
/// (FASTER-NOTES 4.2). A role is one dictionary entry.
/// </summary>
public static class ChildProcesses
{
    public static readonly Dictionary<string, Func<string[], Task<int>>> Roles = new(StringComparer.Ordinal)
    {
        ["state-crash-writer"] = State.StateCrashWriter.RunAsync,
    };

    public static async Task<int> Main(string[] args)
    {
        if (args.Length > 0 && Roles.TryGetValue(args[0], out var role)) return await role(args[1..]);
        await System.Console.Error.WriteLineAsync("usage: dotnet Redoubt.Tests.dll ROLE ARGS; roles: " + string.Join(", ", Roles.Keys));
        return 2;
    }

    /// <summary>Starts a role with stdout redirected line by line into <see cref="Child.Lines"/>.</summary>
    public static Child Start(string role, params string[] args) => new(role, args);

    public sealed class Child : IDisposable
    {
        private readonly Process _process;
        private readonly StringBuilder _stderr = new();
        public System.Threading.Channels.Channel<string> Lines { get; } = System.Threading.Channels.Channel.CreateUnbounded<string>();

        internal Child(string role, string[] args)
        {
            var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            psi.ArgumentList.Add(typeof(ChildProcesses).Assembly.Location);
            psi.ArgumentList.Add(role);
            foreach (var a in args) psi.ArgumentList.Add(a);
            psi.Environment["DOTNET_NOLOGO"] = "1";
            _process = new Process { StartInfo = psi };
            _process.OutputDataReceived += (_, e) => { if (e.Data is null) Lines.Writer.TryComplete(); else Lines.Writer.TryWrite(e.Data); };
            _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_stderr) _stderr.AppendLine(e.Data); };
            _process.Start();
            _process.BeginOutputReadLine();
            _process.BeginErrorReadLine();
        }

        public string Stderr { get { lock (_stderr) return _stderr.ToString(); } }

        /// <summary>Next stdout line, or null when the child closed stdout (exited).</summary>
        public async Task<string?> ReadLineAsync(TimeSpan timeout)
        {
            using var cts = new CancellationTokenSource(timeout);
            try
            {
                return await Lines.Reader.WaitToReadAsync(cts.Token) && Lines.Reader.TryRead(out var line) ? line : null;
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"child wrote nothing for {timeout}; stderr:\n{Stderr}");
            }
        }

        /// <summary>SIGKILL (Process.Kill on Linux), then wait for the exit.</summary>
        public async Task KillAsync()
        {
            try { _process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            await _process.WaitForExitAsync();
        }

        public void Dispose()
        {
            if (!_process.HasExited) { try { _process.Kill(entireProcessTree: true); _process.WaitForExit(); } catch (InvalidOperationException) { } }
            _process.Dispose();
        }
    }
}

using System.Diagnostics;
using System.Text.Json;

namespace Redoubt.Tests.Support;

/// <summary>One event for the real fluent-logger client: label (tag suffix), record, optional EventTime.</summary>
public sealed record FluentEvent(string Label, object Record, long[]? Time = null);

/// <summary>What fluent-logger reported: per event acked or not, and its stderr.</summary>
public sealed record FluentRun(int ExitCode, IReadOnlyList<JsonElement> Results, string Stderr)
{
    public int Acked => Results.Count(r => r.GetProperty("ok").GetBoolean());
    public override string ToString() => $"exit {ExitCode}, {Acked}/{Results.Count} ok; stderr: {Stderr}; results: {string.Join(' ', Results)}";
}

/// <summary>
/// Drives the real npm fluent-logger (tests/senders, installed by `npm ci` there; .ci/run does it)
/// through tests/senders/fluent-send.js, a thin script around its public API.
/// </summary>
public static class FluentLogger
{
    public static string Dir { get; } = Path.Combine(Repo.Root, "tests", "senders");

    public static async Task<FluentRun> SendAsync(int port, string mode, IEnumerable<FluentEvent> events, bool requireAck = true,
        int ackTimeoutMs = 15000, string? sharedKey = null, string? clientHostname = null, string tagPrefix = "redoubt.test")
    {
        if (!Directory.Exists(Path.Combine(Dir, "node_modules", "fluent-logger")))
            throw new InvalidOperationException($"fluent-logger is not installed: run `npm ci` in {Dir} (.ci/run does)");
        var spec = JsonSerializer.Serialize(new
        {
            port, mode, tagPrefix, requireAck, ackTimeoutMs, sharedKey, clientHostname,
            events = events.Select(e => new { label = e.Label, record = e.Record, time = e.Time }),
        });
        var specFile = Path.Combine(Path.GetTempPath(), $"fluent-spec-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(specFile, spec);
        try { return await RunAsync(specFile, ackTimeoutMs); }
        finally { File.Delete(specFile); }
    }

    private static async Task<FluentRun> RunAsync(string specFile, int ackTimeoutMs)
    {
        var psi = new ProcessStartInfo("node")
        {
            WorkingDirectory = Dir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add("fluent-send.js");
        psi.ArgumentList.Add(specFile);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(ackTimeoutMs / 1000.0 + 60));
        try { await p.WaitForExitAsync(deadline.Token); }
        catch (OperationCanceledException)
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException("fluent-logger did not finish: " + await stderr);
        }
        var results = (await stdout).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();
        return new FluentRun(p.ExitCode, results, await stderr);
    }
}

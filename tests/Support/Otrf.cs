namespace Redoubt.Tests.Support;

/// <summary>Real Windows agent events (OTRF Security Datasets), one JSON object per line, for ingest under load.</summary>
public static class Otrf
{
    private static readonly Lazy<string[]> Lines = new(() =>
        Directory.GetFiles(SharedData.PathOf("agent-events", "otrf-security-datasets", "windows"), "*.json")
            .Order(StringComparer.Ordinal)
            .SelectMany(File.ReadLines)
            .Where(l => l.Length > 0)
            .ToArray());

    public static IReadOnlyList<string> WindowsLines => Lines.Value;

    /// <summary><paramref name="count"/> lines starting at <paramref name="offset"/>, wrapping around the corpus.</summary>
    public static List<string> Take(long offset, int count) =>
        Enumerable.Range(0, count).Select(i => Lines.Value[(int)((offset + i) % Lines.Value.Length)]).ToList();
}

/// <summary>`dotnet redoubt.dll COMMAND …` as a child process: the CLI as an admin runs it.</summary>
public static class RedoubtCli
{
    public static async Task<(int ExitCode, string Output)> RunAsync(params string[] args)
    {
        var psi = new System.Diagnostics.ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Repo.ApplianceDll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["DOTNET_NOLOGO"] = "1";
        using var p = System.Diagnostics.Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await p.WaitForExitAsync(cts.Token);
        return (p.ExitCode, await stdout + await stderr);
    }
}

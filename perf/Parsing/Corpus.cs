using System.Text;

namespace Redoubt.Perf.Parsing;

/// <summary>Real lines from ../shared/data (never copied into the repo), cycled to a fixed count.</summary>
public static class Corpus
{
    public const int LinesPerPass = 1000;

    public static string DataRoot { get; } = FindData();

    public static byte[][] Load(string name) => name switch
    {
        // BSD file lines (no PRI) as a relaying host sends them.
        "loghub-linux" => Cycle(Lines(Path.Combine(DataRoot, "logs", "loghub", "Linux", "Linux_2k.log"))),
        // Every vendor sample line (Cisco, FortiGate key=value, PAN-OS CSV, CEF, LEEF, iptables, ...).
        "vendors" => Cycle(Directory.GetFiles(Path.Combine(DataRoot, "logs", "wazuh-ruleset-tests", "by-vendor-log"), "*.log")
            .Order(StringComparer.Ordinal).SelectMany(Lines)),
        // RFC 5424 with structured data, as `logger --rfc5424 --sd-id` sends it.
        "rfc5424" => Cycle(Lines(Path.Combine(DataRoot, "logs", "loghub", "OpenSSH", "OpenSSH_2k.log"))
            .Select((l, i) => $"<38>1 2024-06-15T12:00:{i % 60:00}.{i % 1000:000}+02:00 LabSZ sshd {1000 + i} auth [timeQuality tzKnown=\"1\" isSynced=\"1\"][origin ip=\"10.0.0.{i % 255}\"] {l[(l.IndexOf(": ", StringComparison.Ordinal) + 2)..]}")),
        "cef" => Cycle(Lines(Path.Combine(DataRoot, "logs", "cef", "elastic-beats-decode-cef", "samples.log")).Select(l => "<134>Jun 15 12:00:00 arcsight-relay " + l)),
        _ => throw new ArgumentException("unknown corpus " + name),
    };

    private static IEnumerable<string> Lines(string path) =>
        File.ReadAllText(path).Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Length > 0);

    private static byte[][] Cycle(IEnumerable<string> lines)
    {
        var all = lines.Select(Encoding.UTF8.GetBytes).ToArray();
        return Enumerable.Range(0, LinesPerPass).Select(i => all[i % all.Length]).ToArray();
    }

    private static string FindData()
    {
        if (Environment.GetEnvironmentVariable("REDOUBT_SHARED_DATA") is { Length: > 0 } env) return env;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared", "data");
            if (Directory.Exists(candidate)) return candidate;
        }
        throw new DirectoryNotFoundException("shared/data not found; set REDOUBT_SHARED_DATA");
    }
}

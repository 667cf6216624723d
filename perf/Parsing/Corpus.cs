using System.Text;
using System.Text.Json;
using Redoubt.Ingest.Syslog;
using Redoubt.Parsing.Payload;
using Redoubt.Storage.Events;

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

    /// <summary>
    /// Every distinct real line whose payload <paramref name="decoder"/> reads ("cef", "leef", "json", "panos", "kv": the
    /// name PayloadDecoders' own dispatch writes in _decoder), cycled to <see cref="LinesPerPass"/>. Candidates: the load
    /// driver's message mix (loghub, every by-vendor line, the CEF samples) and the JSON events of the Wazuh ruleset tests
    /// (GitHub, Office 365, Sysmon, GCP, AWS...) behind a BSD header, as a relay forwards them.
    /// </summary>
    public static byte[][] ForDecoder(string decoder, out int distinct)
    {
        var mine = ByDecoder.Value[decoder].ToArray();
        distinct = mine.Length;
        if (mine.Length == 0) throw new InvalidOperationException($"no real line is read by the {decoder} decoder");
        return Enumerable.Range(0, LinesPerPass).Select(i => mine[i % mine.Length]).ToArray();
    }

    /// <summary>Every candidate line under the decoder that read it (classified once per process).</summary>
    private static readonly Lazy<ILookup<string, byte[]>> ByDecoder = new(() =>
    {
        var events = new SyslogEvents(TimeZoneInfo.Utc, TimeProvider.System);
        return Candidates().Distinct(StringComparer.Ordinal).Select(Encoding.UTF8.GetBytes)
            .ToLookup(line => events.FromFrame(line, false, Transport.SyslogTcp, null).Fields?.GetValueOrDefault(PayloadDecoders.DecoderField) ?? "none");
    });

    private static IEnumerable<string> Candidates()
    {
        foreach (var line in Redoubt.Perf.Load.MessageMix.Load(Path.Combine(DataRoot, "logs")).Lines) yield return line;
        foreach (var record in File.ReadLines(Path.Combine(DataRoot, "logs", "wazuh-ruleset-tests", "wazuh_ruleset_test_logs.jsonl")))
        {
            using var doc = JsonDocument.Parse(record);
            var log = doc.RootElement.GetProperty("log").GetString()!.Trim();
            if (!log.StartsWith('{') || log.Contains('\n')) continue;
            var app = Path.GetFileNameWithoutExtension(doc.RootElement.GetProperty("path").GetString()!);
            yield return $"<14>Jun 15 12:00:00 wazuh-relay {app}: {log}";
        }
    }

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

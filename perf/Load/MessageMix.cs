using System.Text;

namespace Redoubt.Perf.Load;

/// <summary>
/// The message mix the load driver sends: every line of the real logs in shared/data/logs that a
/// syslog sender would carry (loghub Linux, OpenSSH, Mac and Thunderbird; every Wazuh by-vendor
/// line; the Beats CEF samples), each once, in a fixed order. Lines without a PRI get one
/// (&lt;13&gt;, user.notice, as logger sends) so every line is a valid syslog frame for both Redoubt and rsyslog.
/// </summary>
public sealed class MessageMix
{
    private static readonly string[] LoghubSyslogFiles =
        ["Linux/Linux_2k.log", "OpenSSH/OpenSSH_2k.log", "Mac/Mac_2k.log", "Thunderbird/Thunderbird_2k.log"];

    public IReadOnlyList<string> Lines { get; }
    /// <summary>Lines per source file, for the report ("loghub/Linux/Linux_2k.log" → 2000).</summary>
    public IReadOnlyDictionary<string, int> BySource { get; }

    private MessageMix(List<string> lines, Dictionary<string, int> bySource) { Lines = lines; BySource = bySource; }

    /// <summary>A mix of the given lines (probes, tests).</summary>
    public static MessageMix Of(IEnumerable<string> lines)
    {
        var list = lines.ToList();
        return new MessageMix(list, new Dictionary<string, int>(StringComparer.Ordinal) { ["given"] = list.Count });
    }

    /// <summary>Reads the mix from <paramref name="logsDir"/> (shared/data/logs). Fails loudly when a source is missing.</summary>
    public static MessageMix Load(string logsDir)
    {
        var files = new List<string>();
        foreach (var f in LoghubSyslogFiles) files.Add(Path.Combine(logsDir, "loghub", f));
        files.AddRange(Directory.GetFiles(Path.Combine(logsDir, "wazuh-ruleset-tests", "by-vendor-log"), "*.log").Order(StringComparer.Ordinal));
        var cef = Path.Combine(logsDir, "cef", "elastic-beats-decode-cef");
        if (Directory.Exists(cef)) files.AddRange(Directory.GetFiles(cef, "*", SearchOption.AllDirectories).Where(IsLogFile).Order(StringComparer.Ordinal));

        var lines = new List<string>();
        var bySource = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var file in files)
        {
            if (!File.Exists(file)) throw new FileNotFoundException($"message mix: {file} is missing", file);
            var n = 0;
            foreach (var raw in File.ReadLines(file))
            {
                var line = raw.TrimEnd('\r');
                if (line.Length == 0 || line.Contains('\n')) continue;
                lines.Add(line[0] == '<' ? line : "<13>" + line);
                n++;
            }
            bySource[Path.GetRelativePath(logsDir, file)] = n;
        }
        if (lines.Count == 0) throw new InvalidOperationException($"message mix: no lines under {logsDir}");
        return new MessageMix(lines, bySource);
    }

    private static bool IsLogFile(string path) => path.EndsWith(".log", StringComparison.Ordinal);

    /// <summary>Mean UTF-8 size of a line, without framing.</summary>
    public double MeanBytes => Lines.Average(l => (double)Encoding.UTF8.GetByteCount(l));

    /// <summary>Line <paramref name="i"/> of an endless cycle through the mix.</summary>
    public string this[long i] => Lines[(int)(i % Lines.Count)];

    /// <summary>
    /// <paramref name="count"/> messages from position <paramref name="start"/> of the cycle, octet-counted
    /// (RFC 6587 §3.4.1, "LEN SP MSG", no trailing LF): the bytes a TCP syslog sender writes.
    /// </summary>
    public byte[] OctetCounted(long start, int count)
    {
        var buffer = new MemoryStream();
        Span<byte> len = stackalloc byte[16];
        for (long i = start; i < start + count; i++)
        {
            var body = Encoding.UTF8.GetBytes(this[i]);
            var digits = Encoding.ASCII.GetBytes(body.Length.ToString(System.Globalization.CultureInfo.InvariantCulture));
            buffer.Write(digits);
            buffer.WriteByte((byte)' ');
            buffer.Write(body);
        }
        return buffer.ToArray();
    }
}

namespace Redoubt.Tests.Support;

/// <summary>What loghub's *_structured.csv says one line of its *_2k.log holds.</summary>
public sealed record LoghubLine(int LineId, string Raw, string Month, int Day, string Time, string Host, string App, string? Pid, string Content, string? Address = null)
{
    /// <summary>
    /// The message as the appliance keeps it, trimmed at both ends as loghub trims Content. macOS ASL lines
    /// ("sandboxd[129] ([31211]): text") keep their "(sender): " head, which loghub moves to its Address column.
    /// </summary>
    public string ExpectedMessage => (Address is { Length: > 0 } a ? $"({a}): {Content}" : Content).Trim();
}

/// <summary>
/// Ground truth for the loghub system logs. The CSV columns differ per system: Linux names the host
/// "Level", OpenSSH puts the host in "Component" (the app is sshd), Mac names the host "User".
/// </summary>
public static class Loghub
{
    public static readonly string[] Systems = ["Linux", "OpenSSH", "Mac"];

    public static IReadOnlyList<LoghubLine> Load(string system)
    {
        var dir = SharedData.PathOf("logs", "loghub", system);
        var raw = File.ReadAllLines(Path.Combine(dir, $"{system}_2k.log"));
        var rows = Csv.ReadFile(Path.Combine(dir, $"{system}_2k.log_structured.csv"));
        if (raw.Length != rows.Count) throw new InvalidDataException($"{system}: {raw.Length} lines but {rows.Count} CSV rows");
        return rows.Select((r, i) => system switch
        {
            "Linux" => new LoghubLine(int.Parse(r["LineId"]), raw[i].TrimEnd('\r'), r["Month"], int.Parse(r["Date"]), r["Time"], r["Level"], r["Component"], Blank(r["PID"]), r["Content"]),
            "OpenSSH" => new LoghubLine(int.Parse(r["LineId"]), raw[i].TrimEnd('\r'), r["Date"], int.Parse(r["Day"]), r["Time"], r["Component"], "sshd", Blank(r["Pid"]), r["Content"]),
            "Mac" => new LoghubLine(int.Parse(r["LineId"]), raw[i].TrimEnd('\r'), r["Month"], int.Parse(r["Date"]), r["Time"], r["User"], r["Component"], Blank(r["PID"]), r["Content"], r["Address"]),
            _ => throw new ArgumentException(system),
        }).ToList();
    }

    private static string? Blank(string s) => s.Length == 0 ? null : s;

    /// <summary>
    /// RFC 3164 timestamps have no year. The appliance takes the latest of last, this and next
    /// year that is not more than two days after the time it received the line.
    /// </summary>
    public static DateTime ExpectedTime(LoghubLine line, DateTime receivedUtc)
    {
        var month = Array.IndexOf(["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"], line.Month) + 1;
        var t = TimeSpan.Parse(line.Time, System.Globalization.CultureInfo.InvariantCulture);
        for (var year = receivedUtc.Year + 1; year >= receivedUtc.Year - 1; year--)
        {
            if (line.Day > DateTime.DaysInMonth(year, month)) continue;
            var candidate = new DateTime(year, month, line.Day, 0, 0, 0, DateTimeKind.Utc) + t;
            if (candidate <= receivedUtc.AddDays(2)) return candidate;
        }
        throw new InvalidOperationException("no year fits " + line.Raw);
    }
}

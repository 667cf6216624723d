using System.Text.Json;
using Redoubt.Tests.Support;

namespace Redoubt.Tests.Integration;

/// <summary>
/// A device relaying its log file sends the lines as they are, with no PRI (RFC 3164 §4.3.3: the
/// relay then assumes &lt;13&gt;). Every line must be stored exactly once with the fields loghub's
/// ground truth gives for it.
/// </summary>
public sealed class RelayedLogsTests
{
    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (var system in Loghub.Systems)
            foreach (var transport in (string[])["tcp", "udp"])
                data.Add(system, transport);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Every_relayed_line_is_stored_once_with_the_ground_truth_fields(string system, string transport)
    {
        var truth = Loghub.Load(system);
        await using var app = await ApplianceProcess.StartAsync();

        var lines = truth.Select(t => t.Raw).ToList();
        if (transport == "tcp") await Senders.SendTcpLinesAsync(app.SyslogPort, lines);
        else await Senders.SendUdpLinesAsync(app.SyslogPort, lines);
        await app.WaitForEventCountAsync(truth.Count);
        await Task.Delay(200); // would let a duplicate land before we count

        var stored = await app.AllEventsAsync();
        Assert.Equal(truth.Count, stored.Count);

        // Match stored events to ground-truth lines as multisets of their fields.
        var expected = truth.GroupBy(t => (t.Host, t.App, t.Pid, t.ExpectedMessage))
            .ToDictionary(g => g.Key, g => g.ToList());
        var problems = new List<string>();
        foreach (var e in stored)
        {
            var key = (Str(e, "host"), Str(e, "app"), Str(e, "procId"), Str(e, "message")?.Trim());
            if (!expected.TryGetValue(key!, out var candidates) || candidates.Count == 0)
            {
                problems.Add($"unexpected event {e}");
                continue;
            }
            var received = e.GetProperty("receivedAt").GetDateTime().ToUniversalTime();
            var time = e.GetProperty("time").GetDateTime().ToUniversalTime();
            var match = candidates.FindIndex(c => Loghub.ExpectedTime(c, received) == time);
            if (match < 0)
            {
                problems.Add($"time {time:o} does not fit line {candidates[0].LineId}: {candidates[0].Raw}");
                continue;
            }
            candidates.RemoveAt(match);

            Assert.Equal(transport == "tcp" ? "syslog-tcp" : "syslog-udp", Str(e, "transport"));
            Assert.Equal(1, e.GetProperty("facility").GetInt32()); // user-level, as RFC 3164 assumes
            Assert.Equal(5, e.GetProperty("severity").GetInt32()); // notice
            Assert.Contains("no-pri", e.GetProperty("flags").EnumerateArray().Select(f => f.GetString()));
            Assert.DoesNotContain("parse-error", e.GetProperty("flags").EnumerateArray().Select(f => f.GetString()));
        }
        Assert.True(problems.Count == 0, $"{problems.Count} events differ from the ground truth:\n" + string.Join("\n", problems.Take(10)));
        Assert.All(expected.Values, left => Assert.Empty(left));
    }

    /// <summary>
    /// util-linux logger wraps each line of the file in its own RFC 5424 header, as a host's
    /// logger would: once LF-framed, once with RFC 6587 octet counting.
    /// </summary>
    [Theory]
    [InlineData("Linux", false)]
    [InlineData("Linux", true)]
    [InlineData("OpenSSH", true)]
    [InlineData("Mac", false)]
    public async Task Lines_sent_by_logger_in_rfc5424_arrive_once_each(string system, bool octetCount)
    {
        var truth = Loghub.Load(system);
        await using var app = await ApplianceProcess.StartAsync();
        var args = new List<string> { "--rfc5424", "-n", "127.0.0.1", "-P", app.SyslogPort.ToString(), "-T", "-t", "relay", "--size", "65536" };
        if (octetCount) args.Add("--octet-count");
        await Senders.RunAsync("logger", args, stdin: string.Join("\n", truth.Select(t => t.Raw)) + "\n");

        await app.WaitForEventCountAsync(truth.Count);
        await Task.Delay(200);
        var stored = await app.AllEventsAsync();
        Assert.Equal(truth.Count, stored.Count);

        var expected = truth.Select(t => t.Raw).GroupBy(r => r).ToDictionary(g => g.Key, g => g.Count());
        foreach (var e in stored)
        {
            Assert.Equal("rfc5424", Str(e, "format"));
            Assert.Equal("relay", Str(e, "app"));
            Assert.Equal(System.Net.Dns.GetHostName(), Str(e, "host"));
            Assert.Empty(e.GetProperty("flags").EnumerateArray());
            var message = Str(e, "message")!;
            Assert.True(expected.TryGetValue(message, out var n) && n > 0, "message not among the file's lines: " + message);
            expected[message] = n - 1;
        }
        Assert.All(expected.Values, n => Assert.Equal(0, n));
    }

    private static string? Str(JsonElement e, string name) =>
        e.GetProperty(name).ValueKind == JsonValueKind.Null ? null : e.GetProperty(name).GetString();
}

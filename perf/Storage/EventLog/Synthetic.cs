using Redoubt.Storage.Events;

namespace Redoubt.Perf.Storage.EventLogBench;

/// <summary>Synthetic events for scale only (the real corpora are too small for 10M): syslog-like, ~250 bytes encoded.</summary>
internal static class Synthetic
{
    private static readonly string[] Hosts = Enumerable.Range(0, 200).Select(i => $"host-{i:D3}.plant.example").ToArray();
    private static readonly string[] Apps = ["sshd", "sudo", "kernel", "cron", "systemd", "nginx", "postfix", "auditd"];

    /// <summary>Event n of a stream that starts at <paramref name="t0"/> and advances <paramref name="stepMs"/> per event; event time lags by up to 5 min, 1 in 1,000 by a day.</summary>
    public static EventRecord Make(long n, long t0, double stepMs, Random rng)
    {
        var received = t0 + (long)(n * stepMs);
        var lag = n % 1000 == 999 ? 86_400_000L : rng.Next(0, 300_000);
        return new EventRecord
        {
            ReceivedAtMs = received,
            TimeMs = received - lag,
            Transport = Transport.SyslogTcp,
            Source = "syslog",
            Sender = "10.0.0." + (n % 250) + ":514",
            Host = Hosts[n % Hosts.Length],
            App = Apps[n % Apps.Length],
            ProcId = (1000 + n % 30000).ToString(System.Globalization.CultureInfo.InvariantCulture),
            Facility = 4,
            Severity = (sbyte)(n % 8),
            Format = "rfc3164",
            Message = $"session {n} opened for user u{n % 5000} from 192.168.{n % 256}.{(n / 256) % 256} port {1024 + n % 60000} ssh2",
        };
    }

    public static async Task FillAsync(EventLog log, long count, long t0, double stepMs, int seed = 1)
    {
        var rng = new Random(seed);
        const int batch = 2000;
        var pending = new List<Task>();
        for (long i = 0; i < count; i += batch)
        {
            var n = (int)Math.Min(batch, count - i);
            var events = new EventRecord[n];
            for (var j = 0; j < n; j++) events[j] = Make(i + j, t0, stepMs, rng);
            pending.Add(log.AppendAsync(events).AsTask());
            if (pending.Count >= 8) { await pending[0]; pending.RemoveAt(0); }
        }
        await Task.WhenAll(pending);
    }
}

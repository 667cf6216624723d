using System.Diagnostics;
using System.Text.Json;

namespace Redoubt.Perf.Load;

/// <summary>
/// Send → queryable latency: every <c>interval</c> a probe message with a unique marker goes out
/// through the transport under test (its own connection, beside the load), and the API's newest
/// events are read until the marker is there. Each poll reads only the events that arrived since the
/// previous one (newest page, then older pages by cursor down to what was already seen), so the probe
/// costs the appliance about one JSON rendering per stored event while it waits — run it at a moderate
/// offered rate, not at the throughput limit.
/// </summary>
public sealed class LatencyProbe(ApplianceUnderTest app, Func<string, CancellationToken, Task> sendProbe)
{
    public List<double> LatenciesMs { get; } = [];
    public int TimedOut { get; private set; }

    public async Task RunAsync(TimeSpan interval, CancellationToken stop)
    {
        var runId = Guid.NewGuid().ToString("N")[..8];
        var k = 0;
        while (!stop.IsCancellationRequested)
        {
            var next = Task.Delay(interval, CancellationToken.None);
            var marker = $"latprobe-{runId}-{k++}";
            var seenTop = await NewestIdAsync();
            var t = Stopwatch.GetTimestamp();
            await sendProbe(marker, CancellationToken.None);
            var found = await WaitForAsync(marker, seenTop, TimeSpan.FromSeconds(30));
            if (found) LatenciesMs.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
            else TimedOut++;
            await next;
        }
    }

    private async Task<long> NewestIdAsync()
    {
        var page = await app.GetJsonAsync("/api/v1/events?limit=1");
        var events = page.GetProperty("events");
        return events.GetArrayLength() == 0 ? -1 : events[0].GetProperty("id").GetInt64();
    }

    private async Task<bool> WaitForAsync(string marker, long seenTop, TimeSpan timeout)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < deadline)
        {
            long newest = seenTop;
            string? cursor = null;
            while (true)
            {
                using var r = await app.Http.GetAsync("/api/v1/events?limit=500" + (cursor is null ? "" : "&cursor=" + cursor));
                var body = await r.Content.ReadAsStringAsync();
                if (!r.IsSuccessStatusCode) throw new HttpRequestException($"events: {(int)r.StatusCode} {body}");
                if (body.Contains(marker, StringComparison.Ordinal)) return true;
                using var doc = JsonDocument.Parse(body);
                var events = doc.RootElement.GetProperty("events");
                if (events.GetArrayLength() == 0) break;
                if (cursor is null) newest = events[0].GetProperty("id").GetInt64();
                var oldest = events[events.GetArrayLength() - 1].GetProperty("id").GetInt64();
                var next = doc.RootElement.GetProperty("nextCursor");
                if (oldest <= seenTop || next.ValueKind == JsonValueKind.Null) break;
                cursor = next.GetString();
            }
            seenTop = newest;
            await Task.Delay(5);
        }
        return false;
    }
}

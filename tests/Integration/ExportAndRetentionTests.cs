using System.Globalization;
using System.Text.Json;
using Redoubt.Tests.Support;

namespace Redoubt.Tests.Integration;

public sealed class ExportAndRetentionTests
{
    /// <summary>Real agent events carry their own 2020 timestamps: an export of one window returns exactly the events of that window, oldest first.</summary>
    [Fact]
    public async Task Export_streams_the_events_of_a_time_range_as_NDJSON_in_log_order()
    {
        await using var app = await ApplianceProcess.StartAsync();
        var lines = Otrf.Take(0, 3000);
        for (var i = 0; i < lines.Count; i += 500)
            (await app.PostNdjsonAsync(string.Join("\n", lines.Skip(i).Take(500)) + "\n")).EnsureSuccessStatusCode();
        var all = (await app.AllEventsAsync()).OrderBy(e => e.GetProperty("id").GetInt64()).ToList();
        var times = all.Select(e => e.GetProperty("time").GetDateTimeOffset()).Order().ToList();
        var from = times[times.Count / 3];
        var to = times[times.Count / 2];
        var expected = all.Where(e => e.GetProperty("time").GetDateTimeOffset() >= from && e.GetProperty("time").GetDateTimeOffset() < to)
            .Select(e => e.ToString()).ToList();
        Assert.NotEmpty(expected);

        var range = $"from={Uri.EscapeDataString(from.ToString("O", CultureInfo.InvariantCulture))}&to={Uri.EscapeDataString(to.ToString("O", CultureInfo.InvariantCulture))}";
        using var r = await app.Http.GetAsync("/api/v1/export?" + range, HttpCompletionOption.ResponseHeadersRead);
        r.EnsureSuccessStatusCode();
        Assert.Equal("application/x-ndjson", r.Content.Headers.ContentType?.MediaType);
        var got = (await r.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => JsonDocument.Parse(l).RootElement.ToString()).ToList();
        Assert.Equal(expected, got);

        var file = Path.Combine(Path.GetTempPath(), $"redoubt-export-{Guid.NewGuid():N}.ndjson");
        try
        {
            var (code, output) = await RedoubtCli.RunAsync("export", "--from", from.ToString("O", CultureInfo.InvariantCulture),
                "--to", to.ToString("O", CultureInfo.InvariantCulture), "--out", file, "--url", $"https://127.0.0.1:{app.HttpPort}", "--token", app.Token!, "--cert", app.CertificateFile);
            Assert.True(code == 0, output);
            Assert.Equal(got.Count, File.ReadLines(file).Count());
        }
        finally { File.Delete(file); }

        using var bad = await app.Http.GetAsync("/api/v1/export?from=yesterday");
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, bad.StatusCode);
    }

    /// <summary>Size retention on a one-second schedule moves the horizon that /api/v1/stats reports.</summary>
    [Fact]
    public async Task Scheduled_size_retention_drops_the_oldest_events_and_stats_show_the_new_horizon()
    {
        await using var app = await ApplianceProcess.StartAsync(null,
            "--Storage:IndexBlockMaxEvents=100", "--Storage:Retention:MaxBytes=400000", "--Storage:Retention:Schedule=* * * * * *",
            // The graph store's checkpoint is a retention floor: until it checkpoints, nothing may be dropped.
            "--Graph:CheckpointSeconds=1");
        var before = (await app.StatsAsync()).GetProperty("retention");
        Assert.Equal(JsonValueKind.Null, before.GetProperty("oldestEventId").ValueKind);
        long firstId = -1;
        for (var i = 0; i < 8; i++)
        {
            using var r = await app.PostNdjsonAsync(string.Join("\n", Otrf.Take(i * 250, 250)) + "\n");
            r.EnsureSuccessStatusCode();
            if (firstId < 0) firstId = JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.GetProperty("ids")[0].GetInt64();
        }
        // Wait for a run that dropped something, then for one that found nothing left to drop: the horizon is then stable.
        var dropped = false;
        JsonElement stats = default;
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            stats = await app.StatsAsync();
            var last = stats.GetProperty("retention").GetProperty("lastRun");
            if (last.ValueKind == JsonValueKind.Object)
            {
                var n = last.GetProperty("droppedEvents").GetInt64();
                if (n > 0) dropped = true;
                else if (dropped) break;
            }
            await Task.Delay(200);
        }
        Assert.True(dropped, $"retention never dropped anything: {stats.GetProperty("retention")}");
        var retention = stats.GetProperty("retention");
        var oldest = retention.GetProperty("oldestEventId").GetInt64();
        Assert.True(oldest > firstId);
        Assert.Equal(400000, retention.GetProperty("maxBytes").GetInt64());
        Assert.Contains(retention.GetProperty("floors").EnumerateArray(), f => f.GetProperty("name").GetString() == "graph-checkpoint");
        var events = await app.AllEventsAsync();
        Assert.Equal(oldest, events.Min(e => e.GetProperty("id").GetInt64()));
        Assert.Equal(events.Count, stats.GetProperty("events").GetInt64());
        Assert.True(events.Count < 2000);
        Assert.Equal(events.Single(e => e.GetProperty("id").GetInt64() == oldest).GetProperty("receivedAt").GetDateTimeOffset(),
            retention.GetProperty("oldestReceivedAt").GetDateTimeOffset());
    }
}

using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Redoubt.Tests.Support;
using Xunit.Abstractions;

namespace Redoubt.Tests.Graph.Import;

/// <summary>
/// Inventory imports are streamed by the real appliance: a large file costs bounded memory (the
/// process' peak RSS, /proc/PID/status VmHWM) and every row reaches the graph; a body over
/// Import:MaxBytes is a 413 that says which rows were stored before it. Synthetic files: this is scale.
/// </summary>
public sealed class InventoryImportStreamingTests(ITestOutputHelper output)
{
    /// <summary>Peak resident set size of a process, in bytes.</summary>
    private static long PeakRss(int pid)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                return long.Parse(line[6..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
        throw new InvalidOperationException("no VmHWM in /proc/" + pid + "/status");
    }

    /// <summary>Row r: host h(r mod hosts) has CVE-2024-(10000 + r / hosts): every row its own HAS_VULNERABILITY edge.</summary>
    private static void WriteVulnerabilities(string path, int rows, int hosts)
    {
        using var w = new StreamWriter(path, false, new UTF8Encoding(false), 1 << 16);
        w.Write("host,cve\n");
        for (var r = 0; r < rows; r++) w.Write($"h{r % hosts},CVE-2024-{10_000 + r / hosts}\n");
    }

    private static async Task<(HttpStatusCode Status, JsonElement Report)> Send(ApplianceProcess app, string path, HttpContent content)
    {
        using var response = await app.Http.PostAsync(path, content);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, JsonDocument.Parse(text).RootElement.Clone());
    }

    [Fact]
    public async Task A_large_csv_is_stored_with_bounded_memory_and_every_row_reaches_the_graph()
    {
        const int rows = 200_000, hosts = 1_000;
        // The build before streaming held the body, its rows and their events at once: its peak grew by
        // 494 MiB on this very file (perf/RESULTS.md, import-memory --rows 200000), by 4 GiB on 2M rows.
        // Streaming holds one batch; what grows is the graph itself (200k edges in memory, the graph
        // store's cache, kept small here, the event log's pages) and the server GC's slack: 227 MiB measured.
        const long bound = 350L << 20;
        var dir = Directory.CreateTempSubdirectory("redoubt-import-stream-").FullName;
        try
        {
            var file = Path.Combine(dir, "vulnerabilities.csv");
            WriteVulnerabilities(file, rows, hosts);
            await using var app = await ApplianceProcess.StartAsync(dir, "--Graph:MemoryMiB=32");
            var before = PeakRss(app.Pid);
            var clock = System.Diagnostics.Stopwatch.StartNew();

            await using var body = File.OpenRead(file);
            var (status, report) = await Send(app, "/api/v1/import/vulnerabilities?source=scanner", new StreamContent(body, 1 << 16) { Headers = { ContentType = new MediaTypeHeaderValue("text/csv") } });
            Assert.True(status == HttpStatusCode.OK, report.ToString());
            Assert.Equal(rows, report.GetProperty("accepted").GetInt32());
            Assert.Equal(0, report.GetProperty("rejected").GetInt32());
            Assert.True(report.GetProperty("complete").GetBoolean());
            Assert.Equal(JsonValueKind.Null, report.GetProperty("stopped").ValueKind);

            var answered = clock.Elapsed;
            await app.WaitGraphCaughtUpAsync(TimeSpan.FromMinutes(3));
            var growth = PeakRss(app.Pid) - before;
            output.WriteLine($"{rows} rows: answered after {answered.TotalSeconds:F1} s, applied after {clock.Elapsed.TotalSeconds:F1} s; peak RSS {before >> 20} -> {(before + growth) >> 20} MiB");
            var stats = await app.GetJsonAsync("/api/v1/graph/stats");
            Assert.Equal(rows, stats.GetProperty("edges").GetInt64());
            Assert.Equal(hosts, stats.GetProperty("nodesByKind").GetProperty("Host").GetInt32());
            Assert.Equal(rows / hosts, stats.GetProperty("nodesByKind").GetProperty("Vulnerability").GetInt32());
            var last = await app.GetJsonAsync($"/api/v1/graph/neighbourhood?node=Vulnerability:CVE-2024-{10_000 + (rows - 1) / hosts}&direction=in&limit=10000");
            Assert.Equal(hosts + 1, last.GetProperty("nodes").GetArrayLength()); // the CVE of the last rows and every host that has it
            Assert.True(growth < bound, $"peak RSS grew by {growth >> 20} MiB importing {rows} rows (bound {bound >> 20} MiB)");
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    /// <summary>A body that does not say its length (chunked), as a client streaming a file it is still producing sends it.</summary>
    private sealed class UnknownLength(byte[] bytes) : MemoryStream(bytes)
    {
        public override bool CanSeek => false;
    }

    [Fact]
    public async Task A_body_over_the_limit_is_a_413_that_says_which_rows_were_stored_before_it()
    {
        var dir = Directory.CreateTempSubdirectory("redoubt-import-limit-").FullName;
        try
        {
            await using var app = await ApplianceProcess.StartAsync(dir, "--Import:MaxBytes=4096", "--Import:BatchRows=16");
            var csv = new StringBuilder("host,addresses\n");
            for (var i = 0; i < 600; i++) csv.Append($"h{i},10.0.{i / 250}.{i % 250 + 1}\n");
            var bytes = Encoding.UTF8.GetBytes(csv.ToString());

            // Its length says so: refused before a byte is read.
            var (status, report) = await Send(app, "/api/v1/import/assets", new ByteArrayContent(bytes) { Headers = { ContentType = new MediaTypeHeaderValue("text/csv") } });
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
            Assert.Equal("too_large", report.GetProperty("error").GetString());
            Assert.Contains("Import:MaxBytes", report.GetProperty("message").GetString());
            Assert.Equal(0, (await app.StatsAsync()).GetProperty("events").GetInt64());

            // Streamed without a length: the rows read before the limit are stored, and the answer says up to where.
            (status, report) = await Send(app, "/api/v1/import/assets", new StreamContent(new UnknownLength(bytes)) { Headers = { ContentType = new MediaTypeHeaderValue("text/csv") } });
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
            Assert.Equal("too_large", report.GetProperty("error").GetString());
            Assert.False(report.GetProperty("complete").GetBoolean());
            var stopped = report.GetProperty("stopped");
            Assert.Equal("too_large", stopped.GetProperty("error").GetString());
            var accepted = report.GetProperty("accepted").GetInt32();
            // Every row is good: the rows on lines 2 .. stopped.line - 1 are the ones stored.
            Assert.Equal(stopped.GetProperty("line").GetInt32() - 2, accepted);
            Assert.InRange(accepted, 100, 300); // 4096 bytes of 16-19 byte rows
            Assert.Equal(accepted, (await app.StatsAsync()).GetProperty("events").GetInt64());
            await app.WaitGraphCaughtUpAsync();
            var stats = await app.GetJsonAsync("/api/v1/graph/stats");
            Assert.Equal(accepted, stats.GetProperty("nodesByKind").GetProperty("Host").GetInt32());
            (await app.GetJsonAsync($"/api/v1/graph/nodes?kind=Host&key=h{accepted - 1}")).GetProperty("node");
            using var missing = await app.Http.GetAsync($"/api/v1/graph/nodes?kind=Host&key=h{accepted}");
            Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);

            // The graph import document has the same limit.
            var document = Encoding.UTF8.GetBytes("{\"source\":\"big\",\"nodes\":[" + string.Join(',', Enumerable.Range(0, 200).Select(i => $"{{\"kind\":\"Host\",\"key\":\"g{i}\"}}")) + "]}");
            (status, report) = await Send(app, "/api/v1/graph/import", new ByteArrayContent(document) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } });
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
            Assert.Equal("too_large", report.GetProperty("error").GetString());
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}

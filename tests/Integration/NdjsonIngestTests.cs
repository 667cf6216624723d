using System.Net;
using System.Text;
using System.Text.Json;
using Redoubt.Tests.Support;

namespace Redoubt.Tests.Integration;

/// <summary>HTTP NDJSON beyond the basics: gzip bodies, size limits with reasons, idempotency keys (also across a kill -9).</summary>
public sealed class NdjsonIngestTests
{
    private static string RealBatch(string file, int lines) =>
        string.Join("\n", File.ReadLines(SharedData.PathOf("agent-events", "otrf-security-datasets", "windows", file)).Where(l => l.Length > 0).Take(lines)) + "\n";

    private static async Task<(HttpResponseMessage Response, JsonElement Body)> PostAsync(ApplianceProcess app, HttpContent content, string? key = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/ingest") { Content = content };
        if (key is not null) request.Headers.TryAddWithoutValidation("Idempotency-Key", key);
        var response = await app.Http.SendAsync(request);
        return (response, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone());
    }

    private static StringContent Ndjson(string body) => new(body, Encoding.UTF8, "application/x-ndjson");

    [Fact]
    public async Task A_gzip_body_of_real_agent_events_is_stored_exactly_as_the_same_body_sent_plain()
    {
        await using var app = await ApplianceProcess.StartAsync();
        var body = RealBatch("psh_mavinject_dll_notepad_2020-10-2121410529.json", 400);
        var (plain, plainBody) = await PostAsync(app, Ndjson(body));
        var (gzip, gzipBody) = await PostAsync(app, Gzip.Content(Gzip.Compress(Encoding.UTF8.GetBytes(body))));
        Assert.Equal(HttpStatusCode.OK, plain.StatusCode);
        Assert.Equal(HttpStatusCode.OK, gzip.StatusCode);
        Assert.Equal(400, gzipBody.GetProperty("accepted").GetInt32());

        var byId = (await app.AllEventsAsync()).ToDictionary(e => e.GetProperty("id").GetInt64());
        var plainIds = plainBody.GetProperty("ids").EnumerateArray().Select(i => i.GetInt64()).ToList();
        var gzipIds = gzipBody.GetProperty("ids").EnumerateArray().Select(i => i.GetInt64()).ToList();
        foreach (var (p, g) in plainIds.Zip(gzipIds))
        {
            Assert.True(JsonElement.DeepEquals(byId[p].GetProperty("json"), byId[g].GetProperty("json")));
            Assert.Equal(byId[p].GetProperty("host").GetString(), byId[g].GetProperty("host").GetString());
        }
        var ingest = (await app.StatsAsync()).GetProperty("listeners").EnumerateArray().Single(l => l.GetProperty("transport").GetString() == "http-ndjson");
        Assert.Equal(800, ingest.GetProperty("received").GetInt64());
        // Bytes on the wire: the gzip body counts compressed.
        Assert.True(ingest.GetProperty("bytes").GetInt64() < 2 * Encoding.UTF8.GetByteCount(body));
    }

    [Fact]
    public async Task Bodies_past_the_limit_bad_gzip_and_unknown_encodings_are_refused_with_a_code_and_a_reason()
    {
        await using var app = await ApplianceProcess.StartAsync(null, "--Ingest:MaxBodyBytes=200000", "--Ingest:MaxLineBytes=65536");
        // 1.4 MB that gzip squeezes to a few KB: refused by its decoded size, while streaming.
        var bomb = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("{\"host\":\"h\",\"message\":\"" + new string('a', 1000) + "\"}\n", 1400)));
        var (r1, b1) = await PostAsync(app, Gzip.Content(Gzip.Compress(bomb)));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, r1.StatusCode);
        Assert.Equal("body-too-large", b1.GetProperty("error").GetString());
        Assert.Contains("200000 bytes once decoded (Ingest:MaxBodyBytes)", b1.GetProperty("reason").GetString());

        var (r2, b2) = await PostAsync(app, Ndjson(Encoding.UTF8.GetString(bomb)));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, r2.StatusCode);
        Assert.Equal("body-too-large", b2.GetProperty("error").GetString());

        var (r3, b3) = await PostAsync(app, Gzip.Content("this is not gzip"u8.ToArray()));
        Assert.Equal(HttpStatusCode.BadRequest, r3.StatusCode);
        Assert.Equal("bad-gzip", b3.GetProperty("error").GetString());

        var (r4, b4) = await PostAsync(app, Gzip.Content("{}"u8.ToArray(), encoding: "br"));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, r4.StatusCode);
        Assert.Equal("unsupported-content-encoding", b4.GetProperty("error").GetString());
        Assert.Contains("'br'", b4.GetProperty("reason").GetString());

        Assert.Equal(0, (await app.StatsAsync()).GetProperty("events").GetInt64());
        Assert.Equal(0, (await app.StatsAsync()).GetProperty("ingest").GetProperty("pendingBytes").GetInt64()); // refused bodies gave their budget back
    }

    [Fact]
    public async Task A_retried_batch_with_the_same_key_gets_the_same_answer_and_is_stored_once_even_after_a_kill_9()
    {
        var dir = Directory.CreateTempSubdirectory("redoubt-idem-").FullName;
        try
        {
            var body = RealBatch("cmd_sam_copy_esentutl_2020-10-1900290001.json", 50) + "{not json\n";
            string first;
            await using (var app = await ApplianceProcess.StartAsync(dir))
            {
                var (r1, b1) = await PostAsync(app, Ndjson(body), key: "batch-0001");
                Assert.Equal(HttpStatusCode.OK, r1.StatusCode);
                first = b1.ToString();
                Assert.Equal(50, b1.GetProperty("accepted").GetInt32());
                Assert.Equal(1, b1.GetProperty("rejected").GetInt32());

                // Same key, same body, gzip this time (the key covers the decoded body).
                var (r2, b2) = await PostAsync(app, Gzip.Content(Gzip.Compress(Encoding.UTF8.GetBytes(body))), key: "batch-0001");
                Assert.Equal(HttpStatusCode.OK, r2.StatusCode);
                Assert.Equal(first, b2.ToString());
                Assert.Equal("true", r2.Headers.GetValues("Idempotent-Replayed").Single());
                Assert.Equal(50, (await app.StatsAsync()).GetProperty("events").GetInt64());

                // Same key, different batch: refused, nothing stored.
                var (r3, b3) = await PostAsync(app, Ndjson("{\"message\":\"another batch\"}\n"), key: "batch-0001");
                Assert.Equal(HttpStatusCode.UnprocessableEntity, r3.StatusCode);
                Assert.Equal("idempotency-key-reused", b3.GetProperty("error").GetString());

                var (r4, _) = await PostAsync(app, Ndjson("{\"message\":\"x\"}\n"), key: "has space");
                Assert.Equal(HttpStatusCode.BadRequest, r4.StatusCode);
                app.Kill();
                await app.WaitForExitAsync(TimeSpan.FromSeconds(30));
            }

            await using (var again = await ApplianceProcess.StartAsync(dir))
            {
                var (r5, b5) = await PostAsync(again, Ndjson(body), key: "batch-0001");
                Assert.Equal(HttpStatusCode.OK, r5.StatusCode);
                Assert.Equal(first, b5.ToString());
                Assert.Equal(50, (await again.StatsAsync()).GetProperty("events").GetInt64());
                // A new key is a new batch.
                var (r6, b6) = await PostAsync(again, Ndjson(body), key: "batch-0002");
                Assert.Equal(HttpStatusCode.OK, r6.StatusCode);
                Assert.NotEqual(first, b6.ToString());
                Assert.Equal(100, (await again.StatsAsync()).GetProperty("events").GetInt64());
            }
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public async Task A_second_request_with_a_key_still_being_stored_is_told_to_retry()
    {
        await using var app = await ApplianceProcess.StartAsync();
        var first = Encoding.UTF8.GetBytes(RealBatch("schtask_create_2020-12-1907003032.json", 100));
        var gated = new GatedContent(first, Encoding.UTF8.GetBytes("{\"message\":\"last line\"}\n"));
        var slow = PostAsync(app, gated, key: "slow-batch");
        await WaitAsync(app, s => s.GetProperty("ingest").GetProperty("pendingBytes").GetInt64() >= first.Length);

        var (r, b) = await PostAsync(app, Ndjson("{\"message\":\"same key\"}\n"), key: "slow-batch");
        Assert.Equal(HttpStatusCode.Conflict, r.StatusCode);
        Assert.Equal("idempotency-key-in-flight", b.GetProperty("error").GetString());
        Assert.Equal("1", r.Headers.GetValues("Retry-After").Single());

        gated.Open();
        var (done, doneBody) = await slow;
        Assert.Equal(HttpStatusCode.OK, done.StatusCode);
        Assert.Equal(101, doneBody.GetProperty("accepted").GetInt32());
    }

    internal static async Task<JsonElement> WaitAsync(ApplianceProcess app, Func<JsonElement, bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        JsonElement stats;
        do
        {
            stats = await app.StatsAsync();
            if (condition(stats)) return stats;
            await Task.Delay(50);
        } while (DateTime.UtcNow < deadline);
        throw new TimeoutException("stats never got there: " + stats + "\n" + app.Output);
    }
}

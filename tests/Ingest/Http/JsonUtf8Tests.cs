using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using System.Text.Json;
using Redoubt.Ingest.Forward;
using Redoubt.Ingest.Http;
using Redoubt.Storage.Events;
using Redoubt.Tests.Ingest.Forward;
using Redoubt.Tests.Support;

namespace Redoubt.Tests.Ingest.Http;

/// <summary>
/// NDJSON and forward ingest hand the sinks the UTF-8 of each event's JSON (EventRecord.JsonUtf8) so
/// detection and graph extraction need not transcode the string again: those bytes must be exactly the
/// UTF-8 of the stored JSON text, and NDJSON, which now parses the line's bytes instead of the text,
/// must refuse the same lines with the same reasons as parsing the text did.
/// </summary>
public sealed class JsonUtf8Tests
{
    private static async Task<NdjsonBatch> ReadAsync(byte[] body) =>
        await NdjsonIngest.ReadAsync(PipeReader.Create(new MemoryStream(body)), 1 << 22, "test", TimeProvider.System, CancellationToken.None);

    [Fact]
    public async Task Ndjson_events_carry_exactly_the_utf8_of_their_json_on_real_agent_events()
    {
        var lines = Directory.GetFiles(SharedData.PathOf("agent-events", "otrf-security-datasets", "windows"), "*.json").Order(StringComparer.Ordinal)
            .SelectMany(File.ReadLines).Where(l => l.Length > 0).Take(3000).ToList();
        lines.Add("{\"message\":\"caf\u00e9 \u65e5\u672c \\ud83d\\ude00 \U0001F600\",\"host\":\"h\"}\r"); // non-ASCII, escapes, CRLF
        var batch = await ReadAsync(Encoding.UTF8.GetBytes(string.Join('\n', lines) + "\n"));
        Assert.Empty(batch.Errors);
        Assert.Equal(lines.Count, batch.Events.Count);
        for (var i = 0; i < lines.Count; i++)
        {
            var e = batch.Events[i];
            Assert.Equal(lines[i].TrimEnd('\r'), e.Json);
            Assert.True(Encoding.UTF8.GetBytes(e.Json!).AsSpan().SequenceEqual(e.JsonUtf8), $"line {i + 1}");
        }
    }

    [Fact]
    public async Task A_byte_order_mark_before_the_first_line_is_the_files_not_the_jsons()
    {
        // Review: PowerShell's Out-File and Notepad write one, and line 1 was refused ("'0xEF' is an invalid start of a value").
        var body = Encoding.UTF8.GetPreamble().Concat(Encoding.UTF8.GetBytes("{\"host\":\"nd-bom\",\"message\":\"x\"}\n{\"host\":\"h2\",\"message\":\"y\"}\n")).ToArray();
        var batch = await ReadAsync(body);
        Assert.Empty(batch.Errors);
        Assert.Equal(new[] { "nd-bom", "h2" }, batch.Events.Select(e => e.Host!).ToArray());
        Assert.Equal("{\"host\":\"nd-bom\",\"message\":\"x\"}", batch.Events[0].Json);

        // Only the file's first bytes: a mark opening a later line is still not JSON.
        var later = await ReadAsync(Encoding.UTF8.GetBytes("{\"host\":\"a\"}\n\uFEFF{\"host\":\"b\"}\n"));
        Assert.Equal(2, Assert.Single(later.Errors).Line);
    }

    /// <summary>What the ingest said of a line before (the JSON text parsed as a string), for the comparison.</summary>
    private static string? TextParseError(string text)
    {
        try
        {
            using var doc = JsonDocument.Parse(text, new JsonDocumentOptions { MaxDepth = 64 });
            return doc.RootElement.ValueKind == JsonValueKind.Object ? null : "not an object";
        }
        catch (JsonException e)
        {
            var m = e.Message;
            var cut = m.IndexOf(" LineNumber:", StringComparison.Ordinal);
            if (cut < 0) cut = m.IndexOf(" Path:", StringComparison.Ordinal);
            return "invalid JSON: " + (cut > 0 ? m[..cut] : m);
        }
    }

    [Fact]
    public async Task Ndjson_refuses_malformed_lines_with_the_reasons_parsing_the_text_gave()
    {
        string[] bad =
        [
            "{\"a\":1", "{\"a\":1}}", "{\"a\":tru}", "{'a':1}", "{\"a\":\"\u00e9\" x}", "\uFEFF{\"a\":1}",
            new string('[', 70) + new string(']', 70), "{\"a\":" + new string('[', 80) + new string(']', 80) + "}",
            "{\"a\":\"unterminated}", "{\"a\":01}", "{\"a\":\"tab\there\"}", "{\"a\":1,}",
        ];
        var batch = await ReadAsync(Encoding.UTF8.GetBytes(string.Join('\n', bad) + "\n"));
        Assert.Empty(batch.Events);
        Assert.Equal(bad.Length, batch.Errors.Count);
        for (var i = 0; i < bad.Length; i++)
        {
            var expected = TextParseError(bad[i]);
            Assert.NotNull(expected);
            if (expected == "not an object") Assert.StartsWith("expected a JSON object", batch.Errors[i].Error);
            else Assert.Equal(expected, batch.Errors[i].Error);
        }
    }

    [Fact]
    public void Forward_events_carry_exactly_the_utf8_of_their_json()
    {
        var clock = new ManualClock(new DateTimeOffset(2026, 12, 1, 10, 0, 0, TimeSpan.Zero));
        var decoder = new ForwardDecoder(1 << 20, 1 << 20, clock);
        var events = ForwardSamples.All().SelectMany(s => decoder.Decode(new ReadOnlySequence<byte>(s.Bytes), "forward", "10.1.2.3:40000").Events).ToList();
        Assert.True(events.Count >= 10);
        foreach (var e in events.Where(e => e.Json is not null))
            if (e.JsonUtf8 is { } utf8) Assert.True(Encoding.UTF8.GetBytes(e.Json!).AsSpan().SequenceEqual(utf8), e.Json);
        Assert.Contains(events, e => e.JsonUtf8 is not null);
    }
}

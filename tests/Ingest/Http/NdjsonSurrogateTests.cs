using System.IO.Pipelines;
using System.Text;
using System.Text.Json;
using Redoubt.Api;
using Redoubt.Ingest.Http;
using Redoubt.Storage.Events;

namespace Redoubt.Tests.Ingest.Http;

/// <summary>
/// Found by the fresh-clone review: one NDJSON line with an escaped lone surrogate ("\ud800") made
/// ingest answer 500 (losing the valid lines beside it), or, when only an unlifted field carried it,
/// was stored and then broke every events page, the event detail and the export mid-response.
/// </summary>
public sealed class NdjsonSurrogateTests
{
    private static async Task<NdjsonBatch> ReadAsync(string body) =>
        await NdjsonIngest.ReadAsync(PipeReader.Create(new MemoryStream(Encoding.UTF8.GetBytes(body))), 1 << 20, "test", TimeProvider.System, CancellationToken.None);

    [Theory]
    [InlineData("{\"message\":\"\\ud800\"}")]
    [InlineData("{\"host\":\"\\udc00x\"}")]
    [InlineData("{\"app\":\"a\\ud83d\"}")]
    [InlineData("{\"\\ud800\":\"k\"}")]
    [InlineData("{\"other\":{\"deep\":[\"\\ud800\"]}}")]
    public async Task A_line_with_an_unpaired_surrogate_escape_is_refused_with_a_reason_and_its_neighbours_are_stored(string bad)
    {
        var batch = await ReadAsync(bad + "\n{\"message\":\"valid-neighbour\"}\n");
        var error = Assert.Single(batch.Errors);
        Assert.Equal(1, error.Line);
        Assert.Contains("unpaired UTF-16 surrogate", error.Error);
        Assert.Equal("valid-neighbour", Assert.Single(batch.Events).Message);
    }

    [Fact]
    public async Task A_surrogate_pair_spelled_as_two_escapes_is_valid_text()
    {
        var batch = await ReadAsync("{\"message\":\"smile \\ud83d\\ude00\"}\n");
        Assert.Empty(batch.Errors);
        Assert.Equal("smile \U0001F600", Assert.Single(batch.Events).Message);
    }

    [Fact]
    public void An_already_stored_event_with_such_json_is_written_as_valid_json_without_it()
    {
        var e = new EventRecord { Message = "m", Json = "{\"other\":\"\\ud800\"}", Transport = Transport.HttpNdjson };
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer)) EventJson.Write(w, 42, e);
        using var doc = JsonDocument.Parse(buffer.WrittenMemory); // whole, parseable
        Assert.Equal(JsonValueKind.Null, doc.RootElement.GetProperty("json").ValueKind);
        Assert.Equal("m", doc.RootElement.GetProperty("message").GetString());
    }
}

using Redoubt.Detection.Events;

namespace Redoubt.Tests.Detection.Events;

/// <summary>
/// The quote map the JSON scanner finds string ends with agrees, at every position, with a plain
/// left-to-right walk that skips the byte after each backslash — across word edges, runs of
/// backslashes of both parities, and texts whose length is not a multiple of 64.
/// </summary>
public class JsonQuotesTests
{
    /// <summary>The closing quote of a string whose contents start at <paramref name="from"/>, as the scanner found it before the map.</summary>
    private static int Reference(ReadOnlySpan<byte> json, int from, out bool escaped)
    {
        escaped = false;
        for (var i = from; i < json.Length; i++)
        {
            if (json[i] == '"') return i;
            if (json[i] == '\\') { escaped = true; i++; }
        }
        return -1;
    }

    private static void Check(byte[] json)
    {
        var quotes = new ulong[JsonQuotes.Words(json.Length)];
        var backslashes = new ulong[quotes.Length];
        JsonQuotes.Build(json, quotes, backslashes);
        // From every position a string may start after (the byte after an unescaped quote), the map and the walk agree.
        var inside = false;
        for (var i = 0; i < json.Length; i++)
        {
            if (!inside && json[i] == '"')
            {
                var expected = Reference(json, i + 1, out var expectedEscaped);
                var actual = JsonQuotes.End(quotes, backslashes, i + 1, out var actualEscaped);
                Assert.Equal(expected, actual);
                if (expected >= 0) Assert.Equal(expectedEscaped, actualEscaped);
                if (expected < 0) return;
                i = expected;
            }
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void Finds_the_same_string_ends_as_a_byte_walk(int seed)
    {
        var random = new Random(seed);
        var alphabet = "\"\\ab{}:,"u8.ToArray();
        for (var round = 0; round < 3000; round++)
        {
            var json = new byte[random.Next(0, 300)];
            // Mostly backslashes and quotes, so runs of both cross the 64-byte word edges.
            for (var k = 0; k < json.Length; k++) json[k] = alphabet[random.Next(random.Next(2) == 0 ? 2 : alphabet.Length)];
            Check(json);
        }
    }

    [Fact]
    public void An_escape_across_a_word_edge_hides_the_quote_after_it()
    {
        // A backslash as byte 63 escapes the quote at byte 64; the string ends at the next quote.
        var json = new byte[130];
        Array.Fill(json, (byte)'a');
        json[0] = (byte)'"';
        json[63] = (byte)'\\';
        json[64] = (byte)'"';
        json[100] = (byte)'"';
        var quotes = new ulong[JsonQuotes.Words(json.Length)];
        var backslashes = new ulong[quotes.Length];
        JsonQuotes.Build(json, quotes, backslashes);
        Assert.Equal(100, JsonQuotes.End(quotes, backslashes, 1, out var escaped));
        Assert.True(escaped);
        // Two backslashes (an escaped backslash) end at 63 and 64: the quote at 65 closes the string.
        json[62] = (byte)'\\';
        json[63] = (byte)'\\';
        json[64] = (byte)'a';
        json[65] = (byte)'"';
        JsonQuotes.Build(json, quotes, backslashes);
        Assert.Equal(65, JsonQuotes.End(quotes, backslashes, 1, out _));
        Assert.Equal(-1, JsonQuotes.End(quotes, backslashes, 101, out _));
        Assert.Equal(100, JsonQuotes.End(quotes, backslashes, 66, out escaped));
        Assert.False(escaped);
    }
}

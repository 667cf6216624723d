using System.Text;
using Redoubt.Storage.Events;

namespace Redoubt.Tests.Storage;

/// <summary>The byte-level text helpers of the search must agree with OrdinalIgnoreCase on the decoded strings.</summary>
public sealed class Utf8TextTests
{
    [Fact]
    public void No_non_ascii_char_equals_an_ascii_char_ignoring_case()
    {
        // The byte search and the host/app hash rest on this property of OrdinalIgnoreCase: if a
        // runtime ever folded, say, U+212A KELVIN SIGN to 'k', they would miss matches, and this fails.
        var ascii = Enumerable.Range(0, 128).Select(c => ((char)c).ToString()).ToArray();
        var offenders = new List<string>();
        for (var c = 0x80; c <= 0xFFFF; c++)
        {
            var s = ((char)c).ToString();
            foreach (var a in ascii)
                if (string.Equals(s, a, StringComparison.OrdinalIgnoreCase)) offenders.Add($"U+{c:X4}={a}");
        }
        Assert.Empty(offenders);
        Assert.Equal("A", "a", ignoreCase: true); // the comparison does fold ASCII
    }

    [Fact]
    public void The_ascii_byte_search_agrees_with_string_contains_on_random_text()
    {
        var rng = new Random(3);
        const string alphabet = "abcdeABCDE-_ .0xyzXYZüÜßİıK\u212Aſé";
        string Random(int n) => new([.. Enumerable.Range(0, n).Select(_ => alphabet[rng.Next(alphabet.Length)])]);
        var asciiOnly = alphabet.Where(c => c < 0x80).ToArray();
        var disagreements = 0;
        var found = 0;
        for (var round = 0; round < 40_000; round++)
        {
            var needle = new string([.. Enumerable.Range(0, rng.Next(0, 6)).Select(_ => asciiOnly[rng.Next(asciiOnly.Length)])]);
            var hay = Random(rng.Next(0, 80));
            if (rng.Next(2) == 0 && hay.Length >= needle.Length)
            {
                // Plant the needle, re-cased, anywhere: also across the 16-byte steps and at the very end.
                var at = rng.Next(hay.Length - needle.Length + 1);
                var planted = string.Concat(needle.Select(c => rng.Next(2) == 0 ? char.ToUpperInvariant(c) : c));
                hay = hay[..at] + planted + hay[(at + needle.Length)..];
            }
            var expected = hay.Contains(needle, StringComparison.OrdinalIgnoreCase);
            var actual = Utf8Text.ContainsAsciiIgnoreCase(Encoding.UTF8.GetBytes(hay), Utf8Text.AsciiLower(needle)!);
            if (expected != actual) disagreements++;
            if (expected) found++;
        }
        Assert.Equal(0, disagreements);
        Assert.InRange(found, 10_000, 35_000);
        Assert.Null(Utf8Text.AsciiLower("straße"));
    }

    [Fact]
    public void Strings_equal_ignoring_case_hash_alike_and_others_apart()
    {
        Assert.Equal(Utf8Text.FoldedHash("srv-042.Plant.example"), Utf8Text.FoldedHash("SRV-042.plant.EXAMPLE"));
        Assert.Equal(Utf8Text.FoldedHash("İstanbul-GW"), Utf8Text.FoldedHash("İSTANBUL-gw"));
        Assert.NotEqual(Utf8Text.FoldedHash("srv-042"), Utf8Text.FoldedHash("srv-043"));
        Assert.NotEqual(Utf8Text.FoldedHash(""), Utf8Text.FoldedHash("a"));
        var rng = new Random(5);
        const string alphabet = "aAbBzZ09-.éÉüÜßẞİiIıſsSKk\u212A";
        for (var round = 0; round < 20_000; round++)
        {
            var a = new string([.. Enumerable.Range(0, rng.Next(0, 10)).Select(_ => alphabet[rng.Next(alphabet.Length)])]);
            var b = new string([.. a.Select(c => rng.Next(3) switch { 0 => char.ToUpperInvariant(c), 1 => char.ToLowerInvariant(c), _ => alphabet[rng.Next(alphabet.Length)] })]);
            if (string.Equals(a, b, StringComparison.OrdinalIgnoreCase))
                Assert.True(Utf8Text.FoldedHash(a) == Utf8Text.FoldedHash(b), $"'{a}' and '{b}' are equal ignoring case but hash apart");
        }
        // Long values take the pooled path.
        Assert.Equal(Utf8Text.FoldedHash(new string('x', 300)), Utf8Text.FoldedHash(new string('X', 300)));
    }
}

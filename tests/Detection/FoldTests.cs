using Redoubt.Detection.Matching;

namespace Redoubt.Tests.Detection;

/// <summary>Case folding (ASCII vectorised, the rest by table) is char.ToLowerInvariant of each UTF-16 unit.</summary>
public class FoldTests
{
    [Fact]
    public void Folding_is_invariant_lower_case_of_every_char_wherever_ascii_stops()
    {
        var all = new char[65536];
        for (var i = 0; i < all.Length; i++) all[i] = (char)i;
        // Every char, in runs that start with ASCII and switch to other text at each offset (the vector path stops there).
        foreach (var text in new[] { new string(all), "ABCdef", "Ünïcödé", "C:\\WINDOWS\\System32\\ÅÄÖ\\CMD.EXE /C WHOAMI", "İSTANBUL ΣΊΣΥΦΟΣ" })
        {
            for (var cut = 0; cut < Math.Min(text.Length, 80); cut++)
            {
                var s = text[cut..];
                var folded = new char[s.Length];
                Fold.Span(s, folded);
                var expected = s.Select(char.ToLowerInvariant).ToArray();
                Assert.Equal(expected, folded);
            }
        }
    }
}

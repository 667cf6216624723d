using Redoubt.Perf.Fuzz;
using Redoubt.Tests.Support;
using Xunit.Abstractions;

namespace Redoubt.Tests.Parsing;

/// <summary>
/// A bounded run of the fuzzer perf/Fuzz runs for millions of inputs: random bytes, syntax soup and mutated real
/// lines through the framer, the header parser and every payload decoder. Nothing may throw; a failure prints the
/// input (base64) so it becomes a test of its own. Fixed seeds: the same inputs on every run.
/// </summary>
public sealed class FuzzTests(ITestOutputHelper output)
{
    private static readonly Lazy<List<byte[]>> Seeds = new(() => ParserFuzzer.RealSeeds(SharedData.Root).ToList());

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Random_and_mutated_real_lines_never_break_the_parser(int seed)
    {
        var fuzzer = new ParserFuzzer(seed, Seeds.Value);
        fuzzer.Run(iterations: 25_000, budget: TimeSpan.FromSeconds(30));
        output.WriteLine($"seed {seed}: {fuzzer.Inputs} inputs, {fuzzer.Frames} frames, {fuzzer.ParseErrors} parse errors, " +
                         $"{fuzzer.DecoderErrors} decoder errors, slowest {fuzzer.Slowest.TotalMilliseconds:F1} ms");
        Assert.True(fuzzer.Inputs >= 1000, $"only {fuzzer.Inputs} inputs in the time budget");
        Assert.True(fuzzer.ParseErrors > 0 && fuzzer.DecoderErrors > 0, "the fuzzer no longer reaches the error paths");
    }
}

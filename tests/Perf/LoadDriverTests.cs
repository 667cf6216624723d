using System.Buffers;
using System.Text;
using Redoubt.Ingest.Syslog;
using Redoubt.Perf.Load;
using Redoubt.Tests.Support;

namespace Redoubt.Tests.Perf;

/// <summary>The load driver's own logic (perf/Load, linked in): its percentile math and the message mix it reads from the real logs.</summary>
public class LoadDriverTests
{
    [Fact]
    public void Nearest_rank_percentiles_of_one_to_a_hundred()
    {
        var samples = Enumerable.Range(1, 100).Select(i => (double)i).Reverse().ToArray(); // order must not matter
        Assert.Equal(50, Percentiles.Of(samples, 50));
        Assert.Equal(99, Percentiles.Of(samples, 99));
        Assert.Equal(100, Percentiles.Of(samples, 100));
        Assert.Equal(1, Percentiles.Of(samples, 0.5));
    }

    [Fact]
    public void A_p99_of_few_samples_is_the_largest_and_no_samples_is_NaN()
    {
        Assert.Equal(40, Percentiles.Of([10, 40, 20, 30], 99));
        Assert.Equal(20, Percentiles.Of([10, 40, 20, 30], 50));
        Assert.True(double.IsNaN(Percentiles.Of([], 50)));
        Assert.Throws<ArgumentOutOfRangeException>(() => Percentiles.Of([1], 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => Percentiles.Of([1], 101));
    }

    [Fact]
    public void Median_of_odd_and_even_counts()
    {
        Assert.Equal(3, Percentiles.Median([5, 1, 3]));
        Assert.Equal(2.5, Percentiles.Median([4, 1, 3, 2]));
        Assert.True(double.IsNaN(Percentiles.Median([])));
    }

    [Fact]
    public void The_mix_holds_every_non_empty_line_of_the_real_logs_each_with_a_PRI()
    {
        var mix = MessageMix.Load(SharedData.PathOf("logs"));
        var linux = File.ReadLines(SharedData.PathOf("logs", "loghub", "Linux", "Linux_2k.log")).Count(l => l.TrimEnd('\r').Length > 0);
        Assert.Equal(linux, mix.BySource[Path.Combine("loghub", "Linux", "Linux_2k.log")]);
        Assert.Equal(mix.BySource.Values.Sum(), mix.Lines.Count);
        Assert.Contains(mix.BySource.Keys, k => k.StartsWith(Path.Combine("wazuh-ruleset-tests", "by-vendor-log"), StringComparison.Ordinal));
        Assert.All(mix.Lines, l => Assert.StartsWith("<", l));
        Assert.Contains("<13>Dec 10 06:55:46 LabSZ sshd[24200]: Invalid user webmaster from 173.234.31.186", mix.Lines);
    }

    [Fact]
    public void Octet_counted_batches_are_read_back_by_the_appliance_framer_line_for_line()
    {
        var mix = MessageMix.Load(SharedData.PathOf("logs"));
        var start = mix.Lines.Count - 20; // wraps around the end of the cycle
        var bytes = new ReadOnlySequence<byte>(mix.OctetCounted(start, 50));
        var framer = new SyslogFramer(64 * 1024);
        var frames = new List<string>();
        while (framer.TryReadFrame(ref bytes, isCompleted: true, out var frame, out var truncated))
        {
            Assert.False(truncated);
            frames.Add(Encoding.UTF8.GetString(frame));
        }
        Assert.Equal(Enumerable.Range(start, 50).Select(i => mix[i]), frames);
    }

    [Fact]
    public void A_paced_sender_writes_about_two_hundred_times_a_second()
    {
        Assert.Equal(50, Pacer.BatchFor(10_000, 256));
        Assert.Equal(1, Pacer.BatchFor(100, 256));
        Assert.Equal(256, Pacer.BatchFor(1_000_000, 256));
        Assert.Equal(256, Pacer.BatchFor(0, 256)); // unpaced: whole batches
    }
}

using System.Diagnostics;

namespace Redoubt.Perf.Load;

/// <summary>Holds a sender to an offered rate: before sending message N, wait until N / rate seconds have passed. Rate 0 = no limit.</summary>
public sealed class Pacer(double ratePerSecond)
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    public async ValueTask WaitForAsync(long messagesSentSoFar, CancellationToken ct)
    {
        if (ratePerSecond <= 0) return;
        var due = TimeSpan.FromSeconds(messagesSentSoFar / ratePerSecond);
        var ahead = due - _clock.Elapsed;
        if (ahead > TimeSpan.FromMilliseconds(1)) await Task.Delay(ahead, ct);
    }

    /// <summary>Messages per write so a paced sender writes about 200 times a second (at least one message).</summary>
    public static int BatchFor(double ratePerSecondPerConnection, int unpaced) =>
        ratePerSecondPerConnection <= 0 ? unpaced : Math.Clamp((int)(ratePerSecondPerConnection / 200), 1, unpaced);
}

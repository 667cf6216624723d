namespace Redoubt.Perf.Load;

/// <summary>Percentiles and medians of measured samples (nearest-rank on the sorted samples).</summary>
public static class Percentiles
{
    /// <summary>
    /// The nearest-rank percentile: the smallest sample with at least <paramref name="p"/> % of the
    /// samples at or below it. p in (0, 100]; NaN for no samples.
    /// </summary>
    public static double Of(IReadOnlyCollection<double> samples, double p)
    {
        if (p is <= 0 or > 100) throw new ArgumentOutOfRangeException(nameof(p), p, "a percentile is in (0, 100]");
        if (samples.Count == 0) return double.NaN;
        var sorted = samples.Order().ToArray();
        var rank = (int)Math.Ceiling(p / 100 * sorted.Length);
        return sorted[Math.Clamp(rank, 1, sorted.Length) - 1];
    }

    /// <summary>The median: the middle sample, or the mean of the two middle ones. NaN for no samples.</summary>
    public static double Median(IReadOnlyCollection<double> samples)
    {
        if (samples.Count == 0) return double.NaN;
        var sorted = samples.Order().ToArray();
        var mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }
}

using Redoubt.Storage.Events;

namespace Redoubt.Tests.Storage;

public sealed class TimeRangesTests
{
    [Fact]
    public void A_far_outlier_keeps_its_own_range_while_close_times_merge()
    {
        var r = new TimeRanges();
        for (var t = 1000; t < 1100; t++) r.Add(t * 10);
        r.Add(5); // a very late event
        var bounds = r.ToArray();
        Assert.True(r.Count <= TimeRanges.MaxRanges);
        Assert.Equal(5, bounds[0]);
        Assert.Equal(5, bounds[1]);
        Assert.False(TimeRanges.Overlaps(bounds, 100, 9000)); // the gap between the outlier and the bulk
        Assert.True(TimeRanges.Overlaps(bounds, 0, 6));
        Assert.True(TimeRanges.Overlaps(bounds, 10_500, 10_501));
        Assert.Equal(10_990, bounds[^1]);
    }

    [Fact]
    public void Ranges_round_trip_through_their_persisted_form()
    {
        var r = new TimeRanges();
        foreach (var t in new long[] { 50, 10, 30, 20, 40 }) r.Add(t);
        Assert.Equal(r.ToArray(), TimeRanges.FromArray(r.ToArray()).ToArray());
        Assert.Equal([10, 10, 20, 20, 30, 30, 40, 40, 50, 50], r.ToArray());
    }
}

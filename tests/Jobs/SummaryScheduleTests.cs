using Cronos;
using Redoubt.Configuration;
using Redoubt.Jobs;
using Redoubt.Summary;

namespace Redoubt.Tests.Jobs;

/// <summary>The windows a Cronos schedule owes: contiguous, catch-up bounded, the excess folded into one gap.</summary>
public class SummaryScheduleTests
{
    private static readonly CronExpression Hourly = CronExpression.Parse("0 * * * *");
    private static readonly DateTimeOffset T0 = new(2026, 12, 1, 10, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Nothing_is_due_before_the_next_occurrence()
    {
        Assert.Empty(SummaryJobs.Due(Hourly, TimeZoneInfo.Utc, T0, T0.AddMinutes(59), maxCatchUp: 48));
    }

    [Fact]
    public void First_window_runs_from_the_mark_to_the_occurrence_and_windows_are_contiguous()
    {
        var mark = T0.AddMinutes(17);
        var due = SummaryJobs.Due(Hourly, TimeZoneInfo.Utc, mark, T0.AddHours(3).AddMinutes(5), maxCatchUp: 48);
        Assert.Equal([mark, T0.AddHours(1), T0.AddHours(2)], due.Select(w => w.Since));
        Assert.Equal([T0.AddHours(1), T0.AddHours(2), T0.AddHours(3)], due.Select(w => w.Until));
        Assert.All(due, w => Assert.False(w.Gap));
    }

    [Fact]
    public void Runs_missed_beyond_the_catch_up_limit_become_one_gap_before_the_computed_ones()
    {
        // Down for 10 hours with room for 3 catch-up runs: 7 missed runs in one gap, then the latest 3.
        var due = SummaryJobs.Due(Hourly, TimeZoneInfo.Utc, T0, T0.AddHours(10).AddMinutes(1), maxCatchUp: 3);
        Assert.Equal(4, due.Count);
        var gap = due[0];
        Assert.True(gap.Gap);
        Assert.Equal(7, gap.Missed);
        Assert.Equal(T0, gap.Since);
        Assert.Equal(T0.AddHours(7), gap.Until);
        Assert.Equal([T0.AddHours(8), T0.AddHours(9), T0.AddHours(10)], due.Skip(1).Select(w => w.Until));
        Assert.All(due.Skip(1), w => Assert.False(w.Gap));
        Assert.Equal(due.Skip(1).Select(w => w.Since), due.Take(3).Select(w => w.Until)); // no hole, no overlap
    }

    [Fact]
    public void A_year_of_a_per_second_schedule_is_counted_not_listed()
    {
        var everySecond = CronExpression.Parse("* * * * * *", CronFormat.IncludeSeconds);
        var due = SummaryJobs.Due(everySecond, TimeZoneInfo.Utc, T0, T0.AddDays(2), maxCatchUp: 2);
        Assert.Equal(3, due.Count);
        Assert.Equal(2 * 86_400 - 2, due[0].Missed);
        Assert.Equal(T0.AddDays(2), due[^1].Until);
    }

    [Fact]
    public void Daily_runs_follow_the_configured_time_zone()
    {
        var zone = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");
        var due = SummaryJobs.Due(CronExpression.Parse("0 0 * * *"), zone, T0, T0.AddDays(1), maxCatchUp: 48);
        Assert.Equal(new DateTimeOffset(2026, 12, 1, 23, 0, 0, TimeSpan.Zero), Assert.Single(due).Until); // midnight CET
    }

    [Theory]
    [InlineData("Schedules:hourly", "0 * * *", "is not a cron expression")]
    [InlineData("Schedules:bad name", "0 * * * *", "is not a schedule name")]
    [InlineData("TimeZone", "Mars/Olympus", "is not a known time zone")]
    [InlineData("RetentionDays", "0", "RetentionDays must be at least 1")]
    public void Bad_settings_stop_the_start_with_the_setting_named(string setting, string value, string message)
    {
        var options = new SummaryOptions();
        switch (setting)
        {
            case "TimeZone": options.TimeZone = value; break;
            case "RetentionDays": options.RetentionDays = int.Parse(value); break;
            default: options.Schedules[setting["Schedules:".Length..]] = value; break;
        }
        var e = Assert.Throws<StartupException>(() => SummaryJobs.Parse(options));
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void An_empty_expression_switches_a_schedule_off()
    {
        var options = new SummaryOptions();
        options.Schedules["daily"] = "";
        Assert.Equal(["hourly"], SummaryJobs.Parse(options).Select(s => s.Name));
    }
}

using Cronos;
using Redoubt.Configuration;
using Redoubt.Summary;

namespace Redoubt.Jobs;

/// <summary>One configured summary schedule: its name and parsed cron expression.</summary>
public sealed record SummarySchedule(string Name, string Cron, CronExpression Expression);

/// <summary>A window a schedule owes: computed, or (beyond the catch-up limit) recorded as a gap.</summary>
public sealed record DueWindow(DateTimeOffset Since, DateTimeOffset Until, bool Gap, int Missed);

/// <summary>
/// Precomputed summaries (Summary:Schedules, Cronos cron expressions in Summary:TimeZone). Each run covers
/// the time since the schedule's previous run, is stored with the redaction policy applied, and moves the
/// schedule's mark (state store "summary-runs") only once stored, so a crash repeats a run rather than
/// skipping it. On start, the runs that fell due while the appliance was down are computed at once and
/// marked late; past Summary:MaxCatchUpRuns the oldest ones are recorded as one gap. Summaries older than
/// Summary:RetentionDays are deleted after each run.
/// </summary>
public sealed class SummaryJobs(SummaryBuilder builder, SummaryStore store, SummaryOptions options, IReadOnlyList<SummarySchedule> schedules,
    TimeProvider clock, ILogger<SummaryJobs> logger) : BackgroundService
{
    private readonly DateTimeOffset _startedAt = clock.GetUtcNow();
    private long _runs, _gaps, _failures;

    public long Runs => Interlocked.Read(ref _runs);
    public long Gaps => Interlocked.Read(ref _gaps);
    public long Failures => Interlocked.Read(ref _failures);

    public static IReadOnlyList<SummarySchedule> Parse(SummaryOptions options)
    {
        var list = new List<SummarySchedule>();
        foreach (var (name, cron) in options.Schedules.OrderBy(s => s.Key, StringComparer.Ordinal))
        {
            if (string.IsNullOrWhiteSpace(cron)) continue; // switched off
            if (name.Length is 0 or > 40 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
                throw new StartupException($"Summary:Schedules: '{name}' is not a schedule name (letters, digits, - and _, at most 40)");
            var fields = cron.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;
            try
            {
                list.Add(new SummarySchedule(name, cron.Trim(), CronExpression.Parse(cron.Trim(), fields == 6 ? CronFormat.IncludeSeconds : CronFormat.Standard)));
            }
            catch (CronFormatException e)
            {
                throw new StartupException($"Summary:Schedules:{name} '{cron}' is not a cron expression: {e.Message}", e);
            }
        }
        if (options.RetentionDays < 1) throw new StartupException("Summary:RetentionDays must be at least 1");
        if (options.SettleSeconds is < 0 or > 3600) throw new StartupException("Summary:SettleSeconds must be within 0..3600");
        if (options.MaxCatchUpRuns < 0) throw new StartupException("Summary:MaxCatchUpRuns must be 0 or more");
        TimeZone(options);
        return list;
    }

    public static TimeZoneInfo TimeZone(SummaryOptions options)
    {
        try { return TimeZoneInfo.FindSystemTimeZoneById(options.TimeZone); }
        catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            throw new StartupException($"Summary:TimeZone '{options.TimeZone}' is not a known time zone", e);
        }
    }

    /// <summary>
    /// The windows a schedule owes at <paramref name="now"/> after its last one ended at <paramref name="lastUntil"/>:
    /// every occurrence up to now, the oldest folded into one gap when there are more than <paramref name="maxCatchUp"/>.
    /// </summary>
    public static List<DueWindow> Due(CronExpression cron, TimeZoneInfo zone, DateTimeOffset lastUntil, DateTimeOffset now, int maxCatchUp)
    {
        var ends = new List<DateTimeOffset>();
        var at = lastUntil;
        // Bounded: a year of a per-second schedule is not walked; the oldest beyond the limit only need counting.
        var missedBeyond = 0;
        DateTimeOffset? gapUntil = null;
        while (cron.GetNextOccurrence(at, zone) is { } next && next <= now)
        {
            ends.Add(next);
            at = next;
            if (ends.Count > maxCatchUp + 1)
            {
                missedBeyond++;
                gapUntil = ends[0];
                ends.RemoveAt(0);
            }
        }
        var windows = new List<DueWindow>();
        var since = lastUntil;
        if (ends.Count > maxCatchUp)
        {
            // The oldest still listed joins the gap too, so exactly maxCatchUp windows are computed.
            missedBeyond++;
            gapUntil = ends[0];
            ends.RemoveAt(0);
        }
        if (gapUntil is { } g)
        {
            windows.Add(new DueWindow(since, g, Gap: true, missedBeyond));
            since = g;
        }
        foreach (var end in ends)
        {
            windows.Add(new DueWindow(since, end, Gap: false, 1));
            since = end;
        }
        return windows;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (schedules.Count == 0) return;
        var zone = TimeZone(options);
        await Task.WhenAll(schedules.Select(s => RunScheduleAsync(s, zone, stoppingToken)));
    }

    private async Task RunScheduleAsync(SummarySchedule schedule, TimeZoneInfo zone, CancellationToken ct)
    {
        try
        {
            var run = store.Run(schedule.Name);
            if (run is null || run.Cron != schedule.Cron)
            {
                // First start with this schedule: the first window runs from now to the next occurrence.
                run = new ScheduleRun { LastUntilMs = clock.GetUtcNow().ToUnixTimeMilliseconds(), Cron = schedule.Cron };
                await store.SetRunAsync(schedule.Name, run);
                logger.LogInformation("summary schedule {Name} ({Cron}) starts now", schedule.Name, schedule.Cron);
            }
            var lastUntil = DateTimeOffset.FromUnixTimeMilliseconds(run.LastUntilMs);
            while (!ct.IsCancellationRequested)
            {
                var now = clock.GetUtcNow() - TimeSpan.FromSeconds(options.SettleSeconds);
                foreach (var w in Due(schedule.Expression, zone, lastUntil, now, options.MaxCatchUpRuns))
                {
                    ct.ThrowIfCancellationRequested();
                    await StoreAsync(schedule, w, ct);
                    lastUntil = w.Until;
                    await store.SetRunAsync(schedule.Name, new ScheduleRun { LastUntilMs = w.Until.ToUnixTimeMilliseconds(), Cron = schedule.Cron });
                }
                await ForgetOldAsync();
                if (schedule.Expression.GetNextOccurrence(lastUntil, zone) is not { } next) return; // a cron with no future occurrence
                // A little after the window ends, so the last events of it are through detection first.
                var wait = next + TimeSpan.FromSeconds(options.SettleSeconds) - clock.GetUtcNow();
                if (wait > TimeSpan.Zero) await Task.Delay(wait, clock, ct);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested) { }
        catch (Exception e)
        {
            Interlocked.Increment(ref _failures);
            logger.LogError(e, "summary schedule {Name} stopped", schedule.Name);
        }
    }

    private async Task StoreAsync(SummarySchedule schedule, DueWindow w, CancellationToken ct)
    {
        var id = SummaryStore.IdOf(schedule.Name, w.Until);
        SummaryDocument doc;
        if (w.Gap)
        {
            doc = builder.Gap(w.Since, w.Until, id, schedule.Name, w.Missed,
                $"the appliance was not running when {w.Missed} run(s) fell due; only the latest {options.MaxCatchUpRuns} were computed on start (Summary:MaxCatchUpRuns)");
            Interlocked.Increment(ref _gaps);
            logger.LogWarning("summary {Id}: {Missed} missed runs of {Name} recorded as a gap", id, w.Missed, schedule.Name);
        }
        else
        {
            // Due before this process started: the appliance was down when it should have run.
            var late = w.Until + TimeSpan.FromSeconds(options.SettleSeconds) < _startedAt;
            doc = await builder.BuildAsync(w.Since, w.Until, id, schedule.Name, late, ct);
            if (late) logger.LogInformation("summary {Id} computed late (the appliance was down when it fell due)", id);
        }
        await store.PutAsync(doc, ct);
        Interlocked.Increment(ref _runs);
    }

    private async Task ForgetOldAsync()
    {
        var horizon = clock.GetUtcNow().AddDays(-options.RetentionDays).ToUnixTimeMilliseconds();
        foreach (var old in store.List().Where(s => s.UntilMs < horizon).Select(s => s.Id).ToList())
            await store.DeleteAsync(old);
    }
}

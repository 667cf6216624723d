using Cronos;
using Microsoft.Extensions.Options;
using Redoubt.Configuration;
using Redoubt.Storage.Events;

namespace Redoubt.Jobs;

/// <summary>
/// Applies the retention policy (Storage:Retention) on its cron schedule, and at once when the log
/// reports the disk full. Retention itself lives in the event log (whole index blocks, oldest first,
/// never past a retention floor).
/// </summary>
public sealed class RetentionJob(EventLog log, IOptions<RedoubtOptions> options, TimeProvider clock, ILogger<RetentionJob> logger) : BackgroundService
{
    private readonly SemaphoreSlim _diskFull = new(0, 1);
    private long _nextRunMs;

    public RetentionPolicy Policy { get; } = PolicyFrom(options.Value.Storage.Retention);
    public string Schedule => options.Value.Storage.Retention.Schedule;
    public DateTimeOffset? NextRun => Interlocked.Read(ref _nextRunMs) is var ms and > 0 ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null;

    public static RetentionPolicy PolicyFrom(RetentionOptions o) => new(
        o.MaxAgeDays > 0 ? TimeSpan.FromDays(o.MaxAgeDays) : null,
        o.MaxBytes > 0 ? o.MaxBytes : null);

    /// <summary>Five fields (minute precision) or six (with seconds first); a bad expression stops start-up.</summary>
    public static CronExpression ParseSchedule(string schedule)
    {
        var fields = schedule.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;
        try { return CronExpression.Parse(schedule, fields == 6 ? CronFormat.IncludeSeconds : CronFormat.Standard); }
        catch (CronFormatException e) { throw new StartupException($"Storage:Retention:Schedule '{schedule}' is not a cron expression: {e.Message}"); }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var cron = ParseSchedule(Schedule);
        log.DiskFull += OnDiskFull;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                var now = clock.GetUtcNow();
                var next = cron.GetNextOccurrence(now, TimeZoneInfo.Utc);
                Interlocked.Exchange(ref _nextRunMs, next?.ToUnixTimeMilliseconds() ?? 0);
                var delay = next is { } n ? n - now : Timeout.InfiniteTimeSpan;
                var byDiskFull = false;
                try
                {
                    using var wake = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                    var timer = Task.Delay(delay, clock, wake.Token);
                    var disk = _diskFull.WaitAsync(wake.Token);
                    byDiskFull = await Task.WhenAny(timer, disk) == disk && disk.IsCompletedSuccessfully;
                    await wake.CancelAsync();
                }
                catch (OperationCanceledException) { break; }
                if (stoppingToken.IsCancellationRequested) break;
                await RunOnceAsync(byDiskFull ? "the disk is full" : "schedule", stoppingToken);
            }
        }
        finally { log.DiskFull -= OnDiskFull; }
    }

    private void OnDiskFull()
    {
        if (_diskFull.CurrentCount == 0) try { _diskFull.Release(); } catch (SemaphoreFullException) { }
    }

    public async Task<RetentionResult?> RunOnceAsync(string why, CancellationToken cancellationToken)
    {
        if (Policy.IsUnlimited)
        {
            if (why != "schedule")
                logger.LogWarning("retention: {Why} but no limit is set (Storage:Retention:MaxAgeDays / MaxBytes); nothing is dropped", why);
            return null;
        }
        try
        {
            var r = await log.ApplyRetentionAsync(Policy, cancellationToken);
            if (r.Truncated)
                logger.LogInformation("retention ({Why}, by {Reason}): dropped {Events} events, {Bytes:N0} bytes; the log now begins at {Begin}",
                    why, r.Reason, r.DroppedEvents, r.DroppedBytes, r.NewBegin);
            if (r.HeldBackBy is { } floor)
                logger.LogWarning("retention: held back by '{Floor}', which still needs events from {Begin} on", floor, r.NewBegin);
            return r;
        }
        catch (OperationCanceledException) { throw; }
        catch (Exception e)
        {
            logger.LogError(e, "retention run failed");
            return null;
        }
    }
}

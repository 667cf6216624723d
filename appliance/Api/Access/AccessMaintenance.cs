using Microsoft.Extensions.Options;

namespace Redoubt.Api.Access;

/// <summary>
/// Hourly, and once at start: removes expired sessions and audit entries past the retention, so the
/// state store (held in memory) does not grow without bound on a box that runs for months.
/// </summary>
public sealed class AccessMaintenance(SessionStore sessions, AuditLog audit, TimeProvider clock, IOptions<AccessOptions> options,
    ILogger<AccessMaintenance> log) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromHours(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, clock);
        do
        {
            try
            {
                await RunOnceAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                log.LogError(e, "access maintenance failed; retrying in {Interval}", Interval);
            }
        } while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    public async Task RunOnceAsync(CancellationToken ct = default)
    {
        var ended = await sessions.DeleteExpiredAsync(ct);
        var pruned = await audit.DeleteOlderThanAsync(clock.GetUtcNow().AddDays(-options.Value.AuditRetentionDays), ct);
        if (ended + pruned > 0)
            log.LogInformation("access maintenance: {Sessions} expired session(s) and {Audit} audit entries older than {Days} days removed",
                ended, pruned, options.Value.AuditRetentionDays);
    }
}

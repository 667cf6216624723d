using Redoubt.Commit;
using Redoubt.Configuration;
using Redoubt.Jobs;
using Redoubt.Storage.State;

namespace Redoubt.Summary;

public static class SummarySetup
{
    /// <summary>Registers the ingestion history sink, the redaction policy (site secret made now), the builder, the store and the schedules.</summary>
    public static void AddSummaries(this IServiceCollection services, RedoubtOptions options)
    {
        var summary = options.Summary;
        summary.QuietAfterMinutes ??= (int)Math.Ceiling(options.Ingest.QuietAfter.TotalMinutes);
        var schedules = SummaryJobs.Parse(summary);
        var policy = new RedactionPolicy(summary.Redaction, SiteSecret.LoadOrCreate(options.DataDir));
        services.AddSingleton(summary);
        services.AddSingleton(policy);
        services.AddSingleton<Storage.Backup.IBackupParticipant>(new SiteSecretBackup(options.DataDir));
        services.AddSingleton(schedules);
        services.AddSingleton(sp => new IngestHistory(sp.GetRequiredService<StateStore>(), summary.IngestHistoryDays));
        services.AddSingleton<IngestHistorySink>();
        services.AddSingleton<IEventSink>(sp => sp.GetRequiredService<IngestHistorySink>());
        services.AddSingleton<SummaryBuilder>();
        services.AddSingleton<SummaryStore>();
        services.AddSingleton<SummaryJobs>();
        services.AddHostedService(sp => sp.GetRequiredService<SummaryJobs>());
    }
}

using System.Net;
using Microsoft.Extensions.Options;
using Redoubt.Api;
using Redoubt.Api.Access;
using Redoubt.Commit;
using Redoubt.Configuration;
using Redoubt.Hosting;
using Redoubt.Hosting.Admin;
using Redoubt.Console;
using Redoubt.Detection;
using Redoubt.Graph;
using Redoubt.Graph.Api;
using Redoubt.Graph.Extraction;
using Redoubt.Graph.Store;
using Redoubt.Ingest;
using Redoubt.Ingest.Forward;
using Redoubt.Ingest.Http;
using Redoubt.Ingest.Listeners;
using Redoubt.Jobs;
using Redoubt.Storage;
using Redoubt.Storage.Backup;
using Redoubt.Storage.Checkpoints;
using Redoubt.Storage.Events;
using Redoubt.Storage.Graph;
using Redoubt.Storage.State;
using Redoubt.Summary;

namespace Redoubt;

public static class Program
{
    public static Task<int> Main(string[] args) => Cli.Cli.DispatchAsync(args);

    /// <summary>`redoubt run`: the appliance itself, until SIGTERM.</summary>
    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Any(a => a is "-h" or "--help"))
        {
            System.Console.WriteLine(CommandLine.Usage);
            return 0;
        }
        if (CommandLine.Check(args) is { } usageError)
        {
            await System.Console.Error.WriteLineAsync("redoubt: " + usageError);
            return 2;
        }

        try
        {
            args = Demo.DemoMode.Prepare(args, DateTimeOffset.UtcNow);
            await using var app = Build(args);
            var log = app.Services.GetRequiredService<EventLog>();
            var state = app.Services.GetRequiredService<StateStore>();
            var graph = app.Services.GetRequiredService<GraphStore>();
            // Resolved now, to close them in order below.
            var timeline = app.Services.GetRequiredService<StartupTimeline>();
            var checkpointedSinks = timeline.Time("sinks", () => app.Services.GetServices<IEventSink>().OfType<CheckpointedSink>().ToList());
            // Retention never drops events a derived store would need to replay after a crash.
            var floors = checkpointedSinks.Select(s => log.Floors.Register(s.Name + "-checkpoint", () => s.RetentionFloor)).ToList();
            // Hosted services (listeners, fan-out, graph, jobs) start, then Kestrel listens: ends at "ready".
            timeline.Begin("services");
            try
            {
                // Not RunAsync: it disposes the service provider as the host stops, newest singleton first,
                // and a singleton resolved late (the state store as a backup participant, at the first
                // backup) then closed before the sinks that checkpoint into it. The provider is disposed
                // at the end of this block's scope, after the ordered close below (each close is idempotent).
                await app.StartAsync();
                await app.WaitForShutdownAsync();
                app.Logger.LogInformation("redoubt stopping: listeners and API closed; sinks take their last checkpoints, then the stores close");
            }
            finally
            {
                // Listeners, API and fan-out have stopped: derived sinks apply what they hold and take
                // their final checkpoint, then the stores close, the event log last.
                // One store failing to close (a full disk refusing its last checkpoint) must not keep
                // the others, the event log last, from closing: each failure is reported, not thrown.
                var failed = 0;
                foreach (var sink in checkpointedSinks) failed += await CloseAsync(sink.Name + " sink", sink.DisposeAsync);
                failed += await CloseAsync("graph store", graph.DisposeAsync);
                failed += await CloseAsync("state store", state.DisposeAsync);
                failed += await CloseAsync("event log", log.DisposeAsync);
                // So a log shows a clean stop apart from a crash or a kill -9 (which write nothing).
                if (failed == 0) app.Logger.LogInformation("redoubt stopped: every sink checkpointed and every store closed");
                else app.Logger.LogWarning("redoubt stopped: {Failed} of the sinks and stores failed to close (see above); the next start recovers from the log", failed);
            }
            return 0;
        }
        catch (Exception e) when (Explain(e) is { } line)
        {
            // One clear line the admin can act on; the stack trace helps nobody at start-up.
            await System.Console.Error.WriteLineAsync("redoubt: " + line);
            return 2;
        }
    }

    /// <summary>Closes one sink or store; 1 if that failed (reported), else 0.</summary>
    private static async Task<int> CloseAsync(string what, Func<ValueTask> dispose)
    {
        try { await dispose(); return 0; }
        catch (Exception e) { await System.Console.Error.WriteLineAsync($"redoubt: closing the {what} failed: {e.Message}"); return 1; }
    }

    private static string? Explain(Exception e) => e switch
    {
        StartupException s => s.Message,
        StoreFormatException f => f.Message,
        StoreDamagedException d => d.Message,
        StoreLockedException l => l.Message,
        StoreRecoveryException r => r.Message,
        Detection.LogSources.LogSourceMapException m => "log source map: " + m.Message,
        IOException io when io.Message.StartsWith("Failed to bind", StringComparison.Ordinal) =>
            $"cannot listen for http: {io.InnerException?.Message ?? io.Message} ({io.Message})",
        AggregateException { InnerExceptions.Count: 1 } a => Explain(a.InnerException!),
        // A file the process may not read or write (a store file with a directory in its place or owned by root, a key file); the message names it.
        UnauthorizedAccessException u => "cannot use a file it needs: " + u.Message,
        IOException io => "cannot use a file it needs: " + io.Message,
        _ => null,
    };

    public static WebApplication Build(string[] args)
    {
        var timeline = new StartupTimeline();
        timeline.SinceStart("runtime");
        timeline.Begin("configuration");
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        LoadConfiguration(builder.Configuration, args);
        builder.Host.UseSystemd();
        if (SdNotify.FromEnvironment() is not null)
        {
            // Under systemd (Type=notify): journal-friendly log lines, and readiness sent by us (see SystemdNotifications).
            builder.Logging.ClearProviders();
            builder.Logging.AddSystemdConsole();
            builder.Services.AddHostedService<SystemdNotifications>();
        }
        // A start-up failure is reported as one line by Main; the host's own stack-trace dump would bury it.
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.None);

        var options = builder.Configuration.Get<RedoubtOptions>() ?? new RedoubtOptions();
        ValidateAndPrepare(options);
        // Before any store opens: a second process on the same data directory would corrupt its logs.
        var dataLock = DataDirLock.Acquire(options.DataDir, "appliance");
        builder.Services.AddSingleton(_ => dataLock); // a factory registration: disposed (unlocked) with the host
        var httpBind = Endpoints.Parse(options.Http, "http listener");

        var clock = TimeProvider.System;
        builder.Services.AddSingleton(timeline);
        // The graph of hosts, accounts and addresses, derived from the log and checkpointed with the
        // address it covers (its sink replays what came after), and the in-memory graph built from it:
        // the start's longest steps with a large graph, so they run on their own task beside the
        // certificate, the state store and the host's setup, and are awaited where they are registered.
        var graphOptions = GraphSetup.ReadOptions(builder.Configuration);
        var graphOpen = Task.Run(() =>
        {
            var store = timeline.Time("graph store", () => GraphStore.Open(new GraphStoreOptions
            {
                Directory = Path.Combine(options.DataDir, "graph"),
                MemorySizeBytes = (long)options.Graph.MemoryMiB << 20,
                IndexSizeBytes = (long)options.Graph.IndexMiB << 20,
            }));
            return (Store: store, Loaded: timeline.Time("graph load", () => GraphSetup.Load(store, graphOptions)));
        });
        timeline.End();
        var tls = timeline.Time("tls", () => TlsCertificate.LoadOrCreate(options.Tls, options.DataDir, httpBind, clock));
        builder.Services.AddSingleton(tls); // syslog-TLS and RELP-TLS listeners present it unless they name their own
        var https = ConsoleHttps.Options(tls.Certificate); // its chain is built from now on, beside the stores' opening
        var ingest = options.Ingest;
        // State kept beside the log, checkpointed with it and rebuilt at open from the checkpoint and
        // the events after it (or, without one, from the log's recent part): last-seen times of
        // sources, idempotency keys.
        var sources = new SourceTable(ingest.MaxSources, ingest.QuietAfter, ingest.ForgetSourceAfter, clock);
        var keys = new IdempotencyKeys(ingest.IdempotencyKeyLifetime, ingest.MaxIdempotencyKeys, ingest.MaxIdempotencyIds, clock);
        var ingestState = new IngestState(new SourceHistory(ingest.MaxSources, ingest.ForgetSourceAfter, clock), keys, sources);
        var recoverWindow = TimeSpan.FromTicks(Math.Max(ingest.IdempotencyKeyLifetime.Ticks, Math.Min(ingest.RecoverSourcesFor.Ticks, ingest.ForgetSourceAfter.Ticks)));
        // Opened when first resolved (RunAsync does that before the host starts), with the host's logger.
        builder.Services.AddSingleton(sp => timeline.Time("event log", () => EventLog.Open(EventLogOptionsFrom(options, sp.GetRequiredService<ILoggerFactory>(),
            state: ingestState, recoverWindow: recoverWindow))));
        builder.Services.AddSingleton<IBackupParticipant>(sp => sp.GetRequiredService<EventLog>());
        builder.Services.AddSingleton<RetentionJob>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<RetentionJob>());
        var registry = new ListenerRegistry(sources);
        var ndjson = new NdjsonListener(registry.Add(new ListenerState("ingest", "http-ndjson", httpBind.ToString()) { Status = "listening" }));
        // Users, sessions, tokens, alerts and settings: durable on ack, checkpointed, replayed at start.
        var state = timeline.Time("state store", () => OpenState(options.DataDir));
        builder.Services.AddSingleton(state);
        builder.Services.AddSingleton<IBackupParticipant>(sp => sp.GetRequiredService<StateStore>());
        AccessSetup.AddServices(builder.Services, options.Access);
        // Declarative extraction rules (shipped YAML, replaced or extended from /etc/redoubt/extraction).
        var extraction = timeline.Time("extraction rules", () => ExtractionSetup.Load(options.Graph));
        builder.Services.AddSingleton(extraction);
        builder.Services.AddSingleton<RuleExtractor>();
        builder.Services.AddSingleton<IGraphExtractor>(sp => sp.GetRequiredService<RuleExtractor>());
        // Inventory rows (POST /api/v1/import/{kind}) are events too: the same sink applies them, in log order.
        builder.Services.AddSingleton<IGraphExtractor, Graph.Import.InventoryExtractor>();
        options.Import.Validate();
        builder.Services.AddSingleton(options.Import);
        // So are graph import documents (POST /api/v1/graph/import): one event per node or edge.
        builder.Services.AddSingleton<IGraphExtractor, Graph.Import.GraphImportExtractor>();
        builder.Services.AddSingleton<GraphStoreSink>();
        builder.Services.AddSingleton<IEventSink>(sp => sp.GetRequiredService<GraphStoreSink>());
        builder.Services.AddSingleton<IBackupParticipant>(sp => new CheckpointedSinkBackup(sp.GetRequiredService<GraphStoreSink>(), sp.GetRequiredService<GraphStore>()));
        builder.Services.Configure<RedoubtOptions>(builder.Configuration);
        builder.Services.AddSingleton(clock);
        builder.Services.AddSingleton(registry);
        builder.Services.AddSingleton(ndjson);
        builder.Services.AddSingleton(keys);
        builder.Services.AddSingleton(new IngestBudget(ingest.MaxPendingBytes));
        builder.Services.AddHostedService<ListenersService>();
        builder.Services.AddHostedService<ForwardService>();
        // After commit: every IEventSink registered here sees every durable event, in log order.
        builder.Services.AddDetection(builder.Configuration, options.DataDir);
        builder.Services.AddSingleton<EventFanout>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<EventFanout>());
        // systemd: WATCHDOG=1 while the event log is healthy (READY=1 comes from UseSystemd once Kestrel listens).
        builder.Services.AddSingleton<WatchdogKeepAlive>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<WatchdogKeepAlive>());
        // `redoubt status`, `redoubt token …` against the running process: DATA/admin.sock, root and the service user only.
        builder.Services.AddHostedService<AdminSocketServer>();
        // The in-memory security graph: loaded from the graph store before the fan-out replays
        // anything, then following it; many concurrent readers (Graph section of the configuration).
        var (graph, loadedGraph) = timeline.Time("graph wait", () => graphOpen.GetAwaiter().GetResult());
        builder.Services.AddSingleton(graph);
        builder.AddGraph(loadedGraph);
        // The SOC summaries: ingestion history after commit, the redaction policy, the scheduled runs.
        builder.Services.AddSummaries(options);
        ApiDocument.AddServices(builder.Services);
        if (options.Demo.Enabled)
        {
            // `redoubt run --demo`: the demo site seeded once the listeners are up (DemoMode).
            builder.Services.AddSingleton<Demo.IInventorySeed, Demo.GraphImportSeed>();
            builder.Services.AddHostedService<Demo.DemoSeeder>();
        }
        builder.WebHost.ConfigureKestrel(k =>
        {
            // HTTPS only, also on loopback: session cookies are Secure, and there is no plain listener to forget to close.
            k.Listen(httpBind, l => l.UseHttps(https));
            k.AddServerHeader = false;
            k.Limits.MaxConcurrentConnections = options.HttpLimits.MaxConnections;
            k.Limits.KeepAliveTimeout = options.HttpLimits.KeepAliveTimeout;
            k.Limits.RequestHeadersTimeout = options.HttpLimits.RequestHeadersTimeout;
        });

        var app = timeline.Time("host", builder.Build);
        app.Services.GetRequiredService<DataDirLock>(); // resolved, so the host owns it and unlocks it on dispose
        ConsoleFiles.UseSecurityHeaders(app);
        // After routing, before any endpoint: access is checked against the matched endpoint's metadata.
        app.UseRouting();
        app.UseMiddleware<AccessMiddleware>();
        ApiEndpoints.Map(app);
        SystemEndpoint.Map(app);
        AccessSetup.MapEndpoints(app);
        DetectionEndpoints.Map(app);
        Detection.Alerts.AlertEndpoints.Map(app);
        Detection.Iocs.IocEndpoints.Map(app);
        GraphEndpoints.Map(app);
        Summary.SummaryEndpoints.Map(app);
        ApiDocument.Map(app);
        ExtractionSetup.Map(app);
        Graph.Import.InventoryImport.Map(app);
        ConsoleFiles.Map(app);
        // Started-callbacks run last-registered first: the setup code (if any) is printed after "ready", where it is seen.
        AccessSetup.Prepare(app, $"https://{httpBind}/");
        if (options.Appliance.SetupCodeFile is { Length: > 0 } setupCodeFile)
            SetupCodeFile.Attach(app, app.Services.GetRequiredService<SetupCode>(), setupCodeFile);
        app.Lifetime.ApplicationStarted.Register(() =>
            app.Logger.LogInformation("redoubt ready: console https://{Http}/ , data in {Data}, {Events} events stored; TLS certificate {Cert} ({Kind}, SHA-256 {Fingerprint}); {Started}",
                httpBind, Path.GetFullPath(options.DataDir), app.Services.GetRequiredService<EventLog>().Count, tls.Source, tls.SelfSigned ? "self-signed" : "installed",
                TlsCertificate.Fingerprint(tls.Certificate), timeline.Describe()));
        return app;
    }

    /// <summary>The state store (users, sessions, tokens, audit; alerts and settings later) in DATA/state.</summary>
    internal static StateStore OpenState(string dataDir) =>
        StateStore.Open(new StateStoreOptions { Directory = Path.Combine(dataDir, "state") });

    /// <summary>/etc/redoubt, or REDOUBT_CONFIG_DIR (tests point it elsewhere so the machine's config never leaks in).</summary>
    public static string ConfigDir => Environment.GetEnvironmentVariable("REDOUBT_CONFIG_DIR") ?? "/etc/redoubt";

    public static EventLogOptions EventLogOptionsFrom(RedoubtOptions options, ILoggerFactory? loggers = null,
        ILogState? state = null, TimeSpan? recoverWindow = null)
    {
        var s = options.Storage;
        return new EventLogOptions
        {
            Directory = Path.Combine(options.DataDir, "events"),
            PageSizeBits = s.PageSizeBits,
            MemorySizeBits = s.MemorySizeBits,
            SegmentSizeBits = s.SegmentSizeBits,
            CommitDelay = TimeSpan.FromMilliseconds(s.CommitDelayMs),
            CommitMaxEvents = s.CommitMaxEvents,
            QueueCapacity = s.QueueCapacity,
            IndexBlockMaxEvents = s.IndexBlockMaxEvents,
            IndexBlockMaxBytes = s.IndexBlockMaxBytes,
            IndexBlockMaxSpan = TimeSpan.FromMinutes(s.IndexBlockMaxMinutes),
            MinFreeBytes = s.MinFreeBytes,
            TailRecords = s.TailRecords,
            Logger = loggers?.CreateLogger("Redoubt.Storage.EventLog"),
            // Sources and idempotency keys: checkpointed beside the log; an open replays what came after.
            State = state,
            StateCheckpointEvents = s.StateCheckpointEvents,
            RecoverWindow = recoverWindow ?? TimeSpan.FromDays(1),
        };
    }

    /// <summary>appsettings.json, then /etc/redoubt/*.json, then REDOUBT__ environment variables, then the command line.</summary>
    internal static void LoadConfiguration(ConfigurationManager config, string[] args)
    {
        config.Sources.Clear();
        config.AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true, reloadOnChange: false);
        var etc = ConfigDir;
        if (Directory.Exists(etc))
            foreach (var file in Directory.GetFiles(etc, "*.json").Order(StringComparer.Ordinal))
                config.AddJsonFile(file, optional: false, reloadOnChange: false);
        config.AddEnvironmentVariables("REDOUBT__");
        config.AddCommandLine(args, CommandLine.Switches);
    }

    private static void ValidateAndPrepare(RedoubtOptions options)
    {
        if (options.Syslog.MaxMessageBytes is < 480 or > 1024 * 1024)
            throw new StartupException($"Syslog:MaxMessageBytes {options.Syslog.MaxMessageBytes} is outside 480..1048576");
        var ingest = options.Ingest;
        // An event holds its line (or record) and the message lifted from it: both must fit one log entry.
        if (ingest.MaxLineBytes is < 1024 or > 1024 * 1024)
            throw new StartupException($"Ingest:MaxLineBytes {ingest.MaxLineBytes} is outside 1024..1048576");
        if (ingest.MaxBodyBytes < ingest.MaxLineBytes)
            throw new StartupException($"Ingest:MaxBodyBytes {ingest.MaxBodyBytes} is below Ingest:MaxLineBytes {ingest.MaxLineBytes}");
        // A batch larger than the whole budget could never be admitted: it would be "busy" forever.
        if (ingest.MaxPendingBytes < ingest.MaxBodyBytes)
            throw new StartupException($"Ingest:MaxPendingBytes {ingest.MaxPendingBytes} is below Ingest:MaxBodyBytes {ingest.MaxBodyBytes}");
        if (options.Forward.Enabled && ingest.MaxPendingBytes < options.Forward.MaxFrameBytes)
            throw new StartupException($"Ingest:MaxPendingBytes {ingest.MaxPendingBytes} is below Forward:MaxFrameBytes {options.Forward.MaxFrameBytes}");
        if (ingest.MaxSources < 1 || ingest.MaxIdempotencyKeys < 1 || ingest.MaxIdempotencyIds < 1)
            throw new StartupException("Ingest:MaxSources, MaxIdempotencyKeys and MaxIdempotencyIds must be at least 1");
        if (options.HttpLimits.MaxConnections < 1) throw new StartupException("HttpLimits:MaxConnections must be at least 1");
        var storage = options.Storage;
        if (storage.PageSizeBits is < 16 or > 30) throw new StartupException($"Storage:PageSizeBits {storage.PageSizeBits} is outside 16..30");
        if (storage.SegmentSizeBits < storage.PageSizeBits || storage.SegmentSizeBits > 40)
            throw new StartupException($"Storage:SegmentSizeBits {storage.SegmentSizeBits} must be from PageSizeBits ({storage.PageSizeBits}) to 40");
        if (storage.MemorySizeBits <= storage.PageSizeBits || storage.MemorySizeBits > 34)
            throw new StartupException($"Storage:MemorySizeBits {storage.MemorySizeBits} must be above PageSizeBits ({storage.PageSizeBits}) and at most 34");
        if (storage.CommitDelayMs is < 0 or > 1000) throw new StartupException($"Storage:CommitDelayMs {storage.CommitDelayMs} is outside 0..1000");
        if (storage.CommitMaxEvents < 1) throw new StartupException("Storage:CommitMaxEvents must be at least 1");
        if (storage.MinFreeBytes < 0) throw new StartupException("Storage:MinFreeBytes cannot be negative");
        if (storage.StateCheckpointEvents < 1) throw new StartupException("Storage:StateCheckpointEvents must be at least 1");
        if (storage.Retention.MaxAgeDays < 0 || storage.Retention.MaxBytes < 0) throw new StartupException("Storage:Retention limits cannot be negative");
        RetentionJob.ParseSchedule(storage.Retention.Schedule);
        options.DataDir = Path.GetFullPath(options.DataDir);
        try
        {
            Directory.CreateDirectory(options.DataDir);
            var probe = Path.Combine(options.DataDir, ".write-probe");
            File.WriteAllText(probe, "ok");
            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new StartupException($"data directory {options.DataDir} is not writable: {e.Message}", e);
        }
    }
}

using System.Net;
using Microsoft.Extensions.Options;
using Redoubt.Api;
using Redoubt.Commit;
using Redoubt.Configuration;
using Redoubt.Console;
using Redoubt.Detection;
using Redoubt.Ingest;
using Redoubt.Ingest.Forward;
using Redoubt.Ingest.Http;
using Redoubt.Ingest.Syslog;
using Redoubt.Storage;
using Redoubt.Storage.Events;

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

        try
        {
            await using var app = Build(args);
            var log = app.Services.GetRequiredService<EventLog>();
            try
            {
                await app.RunAsync();
            }
            finally
            {
                // Listeners have stopped: commit what is queued, then close the store.
                await log.DisposeAsync();
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

    private static string? Explain(Exception e) => e switch
    {
        StartupException s => s.Message,
        StoreFormatException f => f.Message,
        Detection.LogSources.LogSourceMapException m => "log source map: " + m.Message,
        IOException io when io.Message.StartsWith("Failed to bind", StringComparison.Ordinal) =>
            $"cannot listen for http: {io.InnerException?.Message ?? io.Message} ({io.Message})",
        AggregateException { InnerExceptions.Count: 1 } a => Explain(a.InnerException!),
        _ => null,
    };

    public static WebApplication Build(string[] args)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        LoadConfiguration(builder.Configuration, args);
        builder.Host.UseSystemd();
        // A start-up failure is reported as one line by Main; the host's own stack-trace dump would bury it.
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.None);

        var options = builder.Configuration.Get<RedoubtOptions>() ?? new RedoubtOptions();
        ValidateAndPrepare(options);
        var httpBind = Endpoints.Parse(options.Http, "http listener");

        var clock = TimeProvider.System;
        var ingest = options.Ingest;
        // State kept beside the log and rebuilt from it: last-seen times of sources, idempotency keys.
        var sources = new SourceTable(ingest.MaxSources, ingest.QuietAfter, ingest.ForgetSourceAfter, clock);
        var keys = new IdempotencyKeys(ingest.IdempotencyKeyLifetime, ingest.MaxIdempotencyKeys, ingest.MaxIdempotencyIds, clock);
        var log = EventLog.Open(new EventLogOptions
        {
            Directory = Path.Combine(options.DataDir, "events"),
            OnRecovered = (id, e) => { sources.Restore(e); keys.Observe(id, e); },
            OnCommitted = keys.Observe,
        });
        var registry = new ListenerRegistry(sources);
        var ndjson = new NdjsonListener(registry.Add(new ListenerState("ingest", "http-ndjson", httpBind.ToString()) { Status = "listening" }));
        builder.Services.AddSingleton(log);
        builder.Services.Configure<RedoubtOptions>(builder.Configuration);
        builder.Services.AddSingleton(clock);
        builder.Services.AddSingleton(registry);
        builder.Services.AddSingleton(ndjson);
        builder.Services.AddSingleton(keys);
        builder.Services.AddSingleton(new IngestBudget(ingest.MaxPendingBytes));
        builder.Services.AddHostedService<SyslogService>();
        builder.Services.AddHostedService<ForwardService>();
        // After commit: every IEventSink registered here sees every durable event, in log order.
        builder.Services.AddDetection(builder.Configuration, options.DataDir);
        builder.Services.AddSingleton<EventFanout>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<EventFanout>());
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(httpBind);
            k.AddServerHeader = false;
            k.Limits.MaxConcurrentConnections = options.HttpLimits.MaxConnections;
            k.Limits.KeepAliveTimeout = options.HttpLimits.KeepAliveTimeout;
            k.Limits.RequestHeadersTimeout = options.HttpLimits.RequestHeadersTimeout;
        });

        var app = builder.Build();
        ConsoleFiles.UseSecurityHeaders(app);
        ApiEndpoints.Map(app);
        DetectionEndpoints.Map(app);
        ConsoleFiles.Map(app);
        app.Lifetime.ApplicationStarted.Register(() =>
            app.Logger.LogInformation("redoubt ready: console http://{Http}/ , data in {Data}, {Events} events stored",
                httpBind, Path.GetFullPath(options.DataDir), log.Count));
        return app;
    }

    /// <summary>appsettings.json, then /etc/redoubt/*.json, then REDOUBT__ environment variables, then the command line.</summary>
    private static void LoadConfiguration(ConfigurationManager config, string[] args)
    {
        config.Sources.Clear();
        config.AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true, reloadOnChange: false);
        var etc = Environment.GetEnvironmentVariable("REDOUBT_CONFIG_DIR") ?? "/etc/redoubt";
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

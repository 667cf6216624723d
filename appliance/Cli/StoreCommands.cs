using System.Globalization;
using System.Net.Http.Headers;
using Redoubt.Storage.Backup;
using Redoubt.Storage.Events;
using Redoubt.Storage.State;

namespace Redoubt.Cli;

/// <summary>
/// `redoubt backup`, `redoubt restore`, `redoubt export`. Backup and export talk to the running
/// appliance over its API (the store is open there and locked against a second process); restore
/// works on files, into an empty directory, with no appliance running on it.
/// </summary>
public static class StoreCommands
{
    public const string BackupUsage = "usage: redoubt backup --out FILE [--stores events,state,…] [--url URL | --http ADDR:PORT] [--token TOKEN] [--cert FILE | --data DIR]";
    public const string RestoreUsage = "usage: redoubt restore FILE --data DIR";
    public const string ExportUsage = "usage: redoubt export [--from TIME] [--to TIME] [--host H] [--app A] [--severity S] [--q TEXT] [--out FILE] [--url URL | --http ADDR:PORT] [--token TOKEN] [--cert FILE | --data DIR]";

    /// <summary>Downloads an online backup into FILE (through FILE.partial), then reads it back and checks every hash.</summary>
    public static async Task<int> BackupAsync(string[] args)
    {
        if (!TryParse(args, BackupUsage, out var opts, out var rest) || rest.Count > 0 || !opts.TryGetValue("--out", out var output))
            return await UsageAsync(BackupUsage);
        if (CliArgs.NotHttps(opts.GetValueOrDefault("--url")) is { } clear) return await RefuseAsync(clear);
        var partial = output + ".partial";
        try
        {
            using var http = Client(opts);
            var path = "/api/v1/admin/backup" + (opts.TryGetValue("--stores", out var stores) ? "?stores=" + Uri.EscapeDataString(stores) : "");
            using (var response = await http.GetAsync(path, HttpCompletionOption.ResponseHeadersRead))
            {
                if (!response.IsSuccessStatusCode)
                    return await FailAsync($"backup refused: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
                await using var body = await response.Content.ReadAsStreamAsync();
                await using var file = new FileStream(partial, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true);
                await body.CopyToAsync(file);
                file.Flush(flushToDisk: true);
            }
            BackupManifest manifest;
            await using (var check = File.OpenRead(partial)) manifest = await Backup.VerifyAsync(check);
            File.Move(partial, output, overwrite: true);
            System.Console.WriteLine($"backup {output}: {Describe(manifest)}");
            return 0;
        }
        catch (Exception e) when (e is HttpRequestException or IOException or BackupException or TaskCanceledException)
        {
            try { File.Delete(partial); } catch (IOException) { }
            return await FailAsync("backup failed: " + Explain(e));
        }
    }

    /// <summary>Restores FILE into an empty DIR, then opens the event log there and checks it holds what the backup says.</summary>
    public static async Task<int> RestoreAsync(string[] args)
    {
        if (!TryParse(args, RestoreUsage, out var opts, out var rest) || rest.Count != 1 || !opts.TryGetValue("--data", out var data))
            return await UsageAsync(RestoreUsage);
        try
        {
            BackupManifest manifest;
            await using (var input = File.OpenRead(rest[0])) manifest = await Backup.RestoreAsync(input, data);
            var events = manifest.Stores.FirstOrDefault(s => s.Kind == EventLog.FormatKind);
            if (events is not null)
            {
                await using var log = EventLog.Open(new EventLogOptions { Directory = Path.Combine(data, events.Directory), MinFreeBytes = 0 });
                var expected = long.Parse(events.Facts["events"], CultureInfo.InvariantCulture);
                var committed = long.Parse(events.Facts["committedUntil"], CultureInfo.InvariantCulture);
                if (log.Count != expected || log.CommittedUntil != committed)
                    return await FailAsync($"restored event log holds {log.Count} events up to {log.CommittedUntil}; the backup recorded {expected} up to {committed}");
            }
            if (manifest.Stores.FirstOrDefault(s => s.Kind == StateStore.FormatKind) is { } stateEntry)
            {
                // Opening it recovers the copied checkpoint and replays the copied WAL: a bad copy fails here, not at the next start.
                await using var state = StateStore.Open(new StateStoreOptions { Directory = Path.Combine(data, stateEntry.Directory) });
                if (stateEntry.Facts.TryGetValue("entries", out var entries) && state.TotalEntries != long.Parse(entries, CultureInfo.InvariantCulture))
                    return await FailAsync($"restored state store holds {state.TotalEntries} entries; the backup recorded {entries}");
            }
            System.Console.WriteLine($"restored {rest[0]} into {Path.GetFullPath(data)}: {Describe(manifest)}");
            return 0;
        }
        catch (Exception e) when (e is IOException or InvalidDataException or FormatException or BackupException or StoreDamagedException or Storage.StoreFormatException or Storage.Checkpoints.StoreRecoveryException or UnauthorizedAccessException)
        {
            return await FailAsync("restore failed: " + e.Message);
        }
    }

    /// <summary>Streams matching events as NDJSON to FILE (or standard output).</summary>
    public static async Task<int> ExportAsync(string[] args)
    {
        if (!TryParse(args, ExportUsage, out var opts, out var rest) || rest.Count > 0) return await UsageAsync(ExportUsage);
        if (CliArgs.NotHttps(opts.GetValueOrDefault("--url")) is { } clear) return await RefuseAsync(clear);
        var query = string.Join('&', new[] { "from", "to", "host", "app", "severity", "q" }
            .Where(k => opts.ContainsKey("--" + k))
            .Select(k => $"{k}={Uri.EscapeDataString(opts["--" + k])}"));
        try
        {
            using var http = Client(opts);
            http.Timeout = Timeout.InfiniteTimeSpan;
            using var response = await http.GetAsync("/api/v1/export" + (query.Length > 0 ? "?" + query : ""), HttpCompletionOption.ResponseHeadersRead);
            if (!response.IsSuccessStatusCode)
                return await FailAsync($"export refused: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            await using var body = await response.Content.ReadAsStreamAsync();
            if (opts.TryGetValue("--out", out var output))
            {
                await using var file = new FileStream(output, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true);
                await body.CopyToAsync(file);
            }
            else
            {
                await using var stdout = System.Console.OpenStandardOutput();
                await body.CopyToAsync(stdout);
            }
            return 0;
        }
        catch (Exception e) when (e is HttpRequestException or IOException or TaskCanceledException)
        {
            return await FailAsync("export failed: " + Explain(e));
        }
    }

    /// <summary>
    /// HTTPS to the appliance with a bearer token (--token or REDOUBT_TOKEN). The appliance's own
    /// certificate is pinned when it is known — --cert FILE, or DIR/tls/redoubt.crt with --data DIR or
    /// in the appliance's configured data directory — otherwise the system's trust store decides (an
    /// installed, CA-signed certificate).
    /// </summary>
    private static async Task<int> RefuseAsync(string why)
    {
        await System.Console.Error.WriteLineAsync("redoubt: " + why);
        return 2;
    }

    private static HttpClient Client(Dictionary<string, string> opts)
    {
        // Defaults are the appliance's own settings (appsettings, /etc/redoubt, REDOUBT__…): its HTTPS
        // address, and the self-signed certificate it keeps in its data directory, when that is there.
        var appliance = CliArgs.ApplianceSettings();
        var url = opts.GetValueOrDefault("--url") ?? "https://" + (opts.GetValueOrDefault("--http") ?? appliance.Http);
        var pinned = opts.GetValueOrDefault("--cert");
        if (pinned is null)
        {
            var dataDir = Path.GetFullPath(opts.GetValueOrDefault("--data") ?? appliance.DataDir);
            var selfSigned = Path.Combine(dataDir, "tls", "redoubt.crt");
            if (opts.ContainsKey("--data") || File.Exists(selfSigned)) pinned = selfSigned;
        }
        var handler = new SocketsHttpHandler();
        if (pinned is not null)
        {
            var expected = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(File.ReadAllText(pinned));
            handler.SslOptions.RemoteCertificateValidationCallback = (_, cert, _, _) =>
                cert is not null && expected.RawData.AsSpan().SequenceEqual(cert.GetRawCertData());
        }
        var http = new HttpClient(handler) { BaseAddress = new Uri(url), Timeout = TimeSpan.FromHours(6) };
        var token = opts.GetValueOrDefault("--token") ?? Environment.GetEnvironmentVariable("REDOUBT_TOKEN");
        if (!string.IsNullOrEmpty(token)) http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return http;
    }

    /// <summary>One line a person can act on: the innermost cause, and for a TLS failure what to pin.</summary>
    private static string Explain(Exception e)
    {
        if (e is HttpRequestException { InnerException: System.Security.Authentication.AuthenticationException tls })
            return $"the appliance's certificate was not trusted ({tls.Message}); give --data DIR (its self-signed certificate is DIR/tls/redoubt.crt) or --cert FILE";
        var inner = e;
        while (inner.InnerException is not null) inner = inner.InnerException;
        return inner == e ? e.Message : $"{e.Message} ({inner.Message})";
    }

    private static string Describe(BackupManifest m) =>
        $"{m.Files.Count} files, {m.Files.Sum(f => f.Bytes):N0} bytes; stores: " +
        string.Join(", ", m.Stores.Select(s => s.Directory + (s.Facts.TryGetValue("events", out var n) ? $" ({n} events)" : ""))) +
        (m.Omitted.Count > 0 ? "; omitted on request: " + string.Join(", ", m.Omitted) : "");

    /// <summary>"--name value" pairs and positional arguments.</summary>
    private static bool TryParse(string[] args, string usage, out Dictionary<string, string> options, out List<string> positional)
    {
        options = new Dictionary<string, string>(StringComparer.Ordinal);
        positional = [];
        for (var i = 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal)) { positional.Add(args[i]); continue; }
            if (i + 1 >= args.Length || !usage.Contains(args[i] + " ", StringComparison.Ordinal)) return false;
            options[args[i]] = args[++i];
        }
        return true;
    }

    private static async Task<int> UsageAsync(string usage)
    {
        await System.Console.Error.WriteLineAsync(usage);
        return 2;
    }

    private static async Task<int> FailAsync(string message)
    {
        await System.Console.Error.WriteLineAsync("redoubt: " + message);
        return 1;
    }
}

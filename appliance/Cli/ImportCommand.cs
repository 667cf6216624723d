using System.Net.Http.Headers;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Redoubt.Configuration;
using Redoubt.Graph.Import;

namespace Redoubt.Cli;

/// <summary>
/// <c>redoubt import KIND FILE</c>: sends an inventory file to the running appliance's
/// <c>POST /api/v1/import/{kind}</c> and prints its report (bad rows by line). The token comes from
/// REDOUBT_TOKEN or --token-file, never the command line (other users can read it there); the
/// appliance's certificate is pinned to DATA/tls/redoubt.crt unless --cacert names another.
/// </summary>
public static class ImportCommand
{
    private const string Usage = """
        usage: redoubt import KIND FILE [--source NAME] [--url https://HOST:PORT] [--token-file FILE] [--cacert FILE] [--data DIR]
        KIND: assets, identities, vulnerabilities, reachability, datastores. FILE: .csv or .json ('-' reads stdin, CSV unless it starts with '[').
        The token (scope imports:write) is read from REDOUBT_TOKEN or --token-file. Exit 0: every row stored;
        1: some or all rows refused (listed by line) or the appliance said no; 2: usage.
        """;

    public static async Task<int> RunAsync(string[] args)
    {
        CliArgs a;
        try
        {
            a = CliArgs.Parse(args, ["--source", "--url", "--token-file", "--cacert", "--data"], []);
            if (a.Positionals.Count != 2) throw new UsageException("expected KIND and FILE");
            if (!InventoryKinds.IsKind(a.Positionals[0])) throw new UsageException($"unknown import kind '{a.Positionals[0]}' (known: {string.Join(", ", InventoryKinds.Names)}, iocs)");
        }
        catch (UsageException e)
        {
            await System.Console.Error.WriteLineAsync($"redoubt: {e.Message}\n{Usage}");
            return 2;
        }
        var (kind, file) = (a.Positionals[0], a.Positionals[1]);
        // Streamed, never read whole: the appliance reads it row by row and stores it in batches.
        Stream body;
        try { body = file == "-" ? System.Console.OpenStandardInput() : new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            await System.Console.Error.WriteLineAsync($"redoubt: cannot read {file}: {e.Message}");
            return 1;
        }
        await using var _ = body;
        // By the name; otherwise the appliance tells JSON from CSV by the first character.
        var contentType = file.EndsWith(".json", StringComparison.OrdinalIgnoreCase) ? "application/json"
            : file.EndsWith(".csv", StringComparison.OrdinalIgnoreCase) ? "text/csv" : "application/octet-stream";

        string? token;
        try { token = a["--token-file"] is { } tf ? (await File.ReadAllTextAsync(tf)).Trim() : Environment.GetEnvironmentVariable("REDOUBT_TOKEN")?.Trim(); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            await System.Console.Error.WriteLineAsync($"redoubt: cannot read the token file: {e.Message}");
            return 1;
        }
        if (string.IsNullOrEmpty(token))
        {
            await System.Console.Error.WriteLineAsync("redoubt: no token: set REDOUBT_TOKEN or pass --token-file (a token with scope imports:write)");
            return 2;
        }
        if (CliArgs.NotHttps(a["--url"]) is { } clear)
        {
            await System.Console.Error.WriteLineAsync("redoubt: " + clear);
            return 2;
        }
        var url = a["--url"] ?? "https://" + Configured().Http;
        var certFile = a["--cacert"] ?? Path.Combine(a.DataDir(), "tls", "redoubt.crt");
        if (!File.Exists(certFile))
        {
            await System.Console.Error.WriteLineAsync($"redoubt: no certificate at {certFile} to trust the appliance by (use --cacert FILE or --data DIR)");
            return 2;
        }
        using var pinned = X509Certificate2.CreateFromPem(await File.ReadAllTextAsync(certFile));
        using var handler = new SocketsHttpHandler
        {
            // Pinning: exactly this appliance's certificate (self-signed by default), nothing else.
            SslOptions = { RemoteCertificateValidationCallback = (_, cert, _, _) => cert is not null && pinned.RawData.AsSpan().SequenceEqual(cert.GetRawCertData()) },
        };
        using var client = new HttpClient(handler) { Timeout = TimeSpan.FromMinutes(10) };
        var source = a["--source"] ?? Path.GetFileNameWithoutExtension(file == "-" ? kind : file);
        using var request = new HttpRequestMessage(HttpMethod.Post, $"{url.TrimEnd('/')}/api/v1/import/{kind}?source={Uri.EscapeDataString(source)}")
        {
            Content = new StreamContent(body, 1 << 16) { Headers = { ContentType = new MediaTypeHeaderValue(contentType) } },
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        HttpResponseMessage response;
        try { response = await client.SendAsync(request); }
        catch (HttpRequestException e)
        {
            await System.Console.Error.WriteLineAsync($"redoubt: cannot reach the appliance at {url}: {e.Message}");
            return 1;
        }
        using (response)
        {
            var answer = await response.Content.ReadAsStringAsync();
            JsonElement report;
            try { report = JsonDocument.Parse(answer).RootElement; }
            catch (JsonException)
            {
                await System.Console.Error.WriteLineAsync($"redoubt: the appliance answered {(int)response.StatusCode} without a report");
                return 1;
            }
            if (!report.TryGetProperty("accepted", out var acceptedElement))
            {
                var code = report.TryGetProperty("error", out var c) ? c.GetString() : "error";
                var message = report.TryGetProperty("message", out var m) ? m.GetString() : "";
                await System.Console.Error.WriteLineAsync($"redoubt: {(int)response.StatusCode} {code}: {message}");
                return 1;
            }
            var accepted = acceptedElement.GetInt32();
            var rejected = report.GetProperty("rejected").GetInt32();
            System.Console.WriteLine($"{kind} import {report.GetProperty("importId").GetInt64()} ('{source}'): {accepted} rows stored, {rejected} refused");
            foreach (var e in report.GetProperty("errors").EnumerateArray())
                System.Console.WriteLine($"{file}:{e.GetProperty("line").GetInt32()}: {e.GetProperty("error").GetString()}: {e.GetProperty("message").GetString()}");
            if (report.TryGetProperty("errorsNotListed", out var notListed) && notListed.GetInt32() > 0)
                System.Console.WriteLine($"{file}: {notListed.GetInt32()} more refused rows not listed");
            // Stopped early: the rows before the line are stored or refused above, none from it on.
            var complete = !report.TryGetProperty("stopped", out var stopped) || stopped.ValueKind != JsonValueKind.Object;
            if (!complete)
                System.Console.WriteLine($"{file}:{stopped.GetProperty("line").GetInt32()}: stopped: {stopped.GetProperty("error").GetString()}: {stopped.GetProperty("message").GetString()} (nothing from this line on was stored)");
            return complete && rejected == 0 && response.IsSuccessStatusCode ? 0 : 1;
        }
    }

    private static RedoubtOptions Configured()
    {
        var config = new ConfigurationManager();
        Program.LoadConfiguration(config, []);
        return config.Get<RedoubtOptions>() ?? new RedoubtOptions();
    }
}

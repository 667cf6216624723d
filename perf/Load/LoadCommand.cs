using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Redoubt.Perf.Load;

/// <summary>
/// `Redoubt.Perf load ...`: drives the real appliance process (and, in the same invocation, a real
/// rsyslogd and syslog-ng's loggen) with the real message mix and prints a Markdown table of figures.
/// See perf/RESULTS.md for the options run.sh uses.
/// </summary>
public static class LoadCommand
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    private sealed record Options
    {
        public string Shared { get; init; } = "";
        public string Dll { get; init; } = "appliance/bin/Release/net10.0/redoubt.dll";
        public HashSet<string> Scenarios { get; init; } = ["tcp", "rsyslog", "udp", "relp", "forward", "ndjson", "loggen", "restart"];
        public long Count { get; init; } = 300_000;
        public int Connections { get; init; } = 4;
        public int Repeat { get; init; } = 3;
        public double LatencyRate { get; init; } = 2_000;
        public double LatencySeconds { get; init; } = 10;
        public double[] UdpRates { get; init; } = [5_000, 20_000, 0];
        public double UdpSeconds { get; init; } = 5;
        public string? Rules { get; init; }
        public string? Loggen { get; init; }
        public string? Out { get; init; }
        /// <summary>Configuration given to the appliance as `--KEY=VALUE` (A/B of a setting on one build).</summary>
        public List<string> Settings { get; init; } = [];
        /// <summary>Unmeasured TCP runs before the measured ones (JIT and tiering).</summary>
        public int WarmupRuns { get; init; } = 1;
    }

    private sealed record Row(string Bench, string Figure, string Value, string Note);

    public static int Run(string[] args)
    {
        Options o;
        try { o = Parse(args); }
        catch (ArgumentException e) { System.Console.Error.WriteLine("load: " + e.Message); return 2; }
        return RunAsync(o).GetAwaiter().GetResult();
    }

    private static Options Parse(string[] args)
    {
        var o = new Options();
        for (var i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            o = args[i] switch
            {
                "--data" => o with { Shared = Next() },
                "--dll" => o with { Dll = Next() },
                "--scenarios" => o with { Scenarios = [.. Next().Split(',', StringSplitOptions.RemoveEmptyEntries)] },
                "--count" => o with { Count = long.Parse(Next(), Inv) },
                "--connections" => o with { Connections = int.Parse(Next(), Inv) },
                "--repeat" => o with { Repeat = int.Parse(Next(), Inv) },
                "--latency-rate" => o with { LatencyRate = double.Parse(Next(), Inv) },
                "--latency-seconds" => o with { LatencySeconds = double.Parse(Next(), Inv) },
                "--udp-rates" => o with { UdpRates = [.. Next().Split(',').Select(r => double.Parse(r, Inv))] },
                "--udp-seconds" => o with { UdpSeconds = double.Parse(Next(), Inv) },
                "--rules" => o with { Rules = Next() },
                "--loggen" => o with { Loggen = Next() },
                "--out" => o with { Out = Next() },
                "--set" => o with { Settings = [.. o.Settings, Next()] },
                "--warmup-runs" => o with { WarmupRuns = int.Parse(Next(), Inv) },
                _ => throw new ArgumentException($"unknown option {args[i]}"),
            };
        }
        if (o.Shared.Length == 0) throw new ArgumentException("--data SHARED_DATA is required (the folder holding logs/)");
        var unknown = o.Scenarios.Except(["tcp", "rsyslog", "udp", "relp", "forward", "ndjson", "loggen", "restart"]).ToArray();
        if (unknown.Length > 0) throw new ArgumentException("unknown scenario(s): " + string.Join(',', unknown));
        return o;
    }

    private static async Task<int> RunAsync(Options o)
    {
        var mix = MessageMix.Load(Path.Combine(o.Shared, "logs"));
        Log($"message mix: {mix.Lines.Count:N0} real lines from {mix.BySource.Count} files, {mix.MeanBytes:F0} bytes on average");
        var rows = new List<Row>();
        var extra = new List<string>();
        if (o.Rules is not null) { extra.Add("--rules"); extra.Add(o.Rules); }
        foreach (var setting in o.Settings) extra.Add("--" + setting);
        await using var app = await ApplianceUnderTest.StartAsync(Path.GetFullPath(o.Dll), extra);
        Log($"appliance pid {app.Pid} on https://127.0.0.1:{app.HttpPort}, syslog {app.SyslogPort}, relp {app.RelpPort}, forward {app.ForwardPort}");
        try
        {
            if (o.Scenarios.Contains("tcp") || o.Scenarios.Contains("rsyslog")) await TcpAsync(o, mix, app, rows);
            if (o.Scenarios.Contains("loggen")) await LoggenAsync(o, app, rows);
            if (o.Scenarios.Contains("udp")) await UdpAsync(o, mix, app, rows);
            if (o.Scenarios.Contains("relp")) await RelpAsync(o, mix, app, rows);
            if (o.Scenarios.Contains("forward")) await ForwardAsync(o, mix, app, rows);
            if (o.Scenarios.Contains("ndjson")) await NdjsonAsync(o, mix, app, rows);
            var (events, _) = await app.ProgressAsync();
            var bytes = await app.GetJsonAsync("/api/v1/stats");
            rows.Add(new Row("appliance", "event store on disk per event", $"{bytes.GetProperty("storeBytes").GetInt64() / (double)Math.Max(1, events):F0} B", $"{events:N0} events, {bytes.GetProperty("storeBytes").GetInt64() / 1e6:N0} MB (FASTER log, MessagePack)"));
            if (bytes.TryGetProperty("storage", out var storage) && storage.TryGetProperty("commit", out var commit))
                rows.Add(new Row("appliance", "group commit (whole invocation)",
                    $"{commit.GetProperty("batchEventsMean").GetDouble():N0} events/commit",
                    $"{commit.GetProperty("commits").GetInt64():N0} commits; commit p50 / p99 {commit.GetProperty("commitMsP50").GetDouble()} / {commit.GetProperty("commitMsP99").GetDouble()} ms; ack p50 / p99 {commit.GetProperty("ackMsP50").GetDouble()} / {commit.GetProperty("ackMsP99").GetDouble()} ms"));
            rows.Add(new Row("appliance", "RSS after the run", $"{app.RssBytes() / 1e6:F0} MB", $"{events:N0} events stored; {(double)app.RssBytes() / Math.Max(1, events):F0} B of RSS per stored event (upper bound: includes the runtime and caches)"));
            if (o.Scenarios.Contains("restart"))
            {
                var seconds = await app.CrashAndRestartAsync();
                var (after, _) = await app.ProgressAsync();
                Log($"kill -9 and restart with {events:N0} events: healthy after {seconds:F1} s, {after:N0} events");
                rows.Add(new Row("appliance", "kill -9 → restarted and healthy", $"{seconds:F1} s", $"with {events:N0} events stored (event log recovery + index rebuild + all sinks' stores); {after:N0} events after the restart" + (after < events ? " — **EVENTS LOST**" : "")));
            }
        }
        catch (Exception e)
        {
            System.Console.Error.WriteLine($"load: failed: {e.Message}\n--- appliance output (last 4000 chars) ---\n{Tail(app.Output, 4000)}");
            Write(o, rows);
            return 1;
        }
        Write(o, rows);
        return 0;
    }

    // ---- syslog TCP, and the rsyslog peer on the very same bytes ----------------------------------

    private static async Task TcpAsync(Options o, MessageMix mix, ApplianceUnderTest app, List<Row> rows)
    {
        const int batch = 256;
        var batches = Senders.TcpBatches(mix, o.Count, o.Connections, batch);
        var total = batches.Sum(c => c.Sum(b => (long)CountFrames(b)));
        var stored = new List<double>();
        var endToEnd = new List<double>();
        var cpuPerEvent = new List<double>();
        var peer = new List<double>();
        var ratios = new List<double>();
        var withPeer = o.Scenarios.Contains("rsyslog");
        if (withPeer && !CommandExists("rsyslogd")) throw new InvalidOperationException("rsyslog scenario: rsyslogd not found (apt-get install rsyslog)");
        if (o.Scenarios.Contains("tcp"))
        {
            // Warm-up, not measured: the first run pays for JIT and tiering (seen: 7.9k/s cold, 35k/s warm, same bytes);
            // the tiered JIT was still ~6 % of the CPU a run or two later (perf), hence --warmup-runs.
            for (var w = 0; w < o.WarmupRuns; w++)
            {
                var (w0, _) = await app.ProgressAsync();
                var sww = Stopwatch.StartNew();
                await Senders.SyslogTcpAsync(app.SyslogPort, batches, batch, 0, CancellationToken.None);
                var (warmAt, _, warmGot) = await WaitStoredAsync(app, w0, total, sww);
                Log($"tcp warm-up {w + 1}: {warmGot:N0} stored in {warmAt:F1} s ({warmGot / warmAt:N0}/s, not counted)");
            }
        }
        for (var run = 0; run < o.Repeat; run++)
        {
            if (o.Scenarios.Contains("tcp"))
            {
                var (base0, _) = await app.ProgressAsync();
                var cpu0 = app.CpuSeconds();
                var sw = Stopwatch.StartNew();
                var sent = await Senders.SyslogTcpAsync(app.SyslogPort, batches, batch, 0, CancellationToken.None);
                var (storedAt, allAt, got) = await WaitStoredAsync(app, base0, total, sw);
                var rate = got / storedAt;
                stored.Add(rate);
                endToEnd.Add(got / allAt);
                cpuPerEvent.Add((app.CpuSeconds() - cpu0) / got * 1e6);
                Log($"tcp run {run + 1}: {got:N0}/{total:N0} stored in {storedAt:F1} s ({rate:N0}/s), all sinks caught up at {allAt:F1} s; sent in {sent.Seconds:F1} s");
                if (got < total) rows.Add(new Row("syslog TCP", $"run {run + 1} LOST", $"{total - got:N0}", "TCP events sent but never stored"));
            }
            if (withPeer)
            {
                using var rs = await RsyslogPeer.StartAsync();
                var sw = Stopwatch.StartNew();
                var cpu0 = rs.CpuSeconds();
                await Senders.SyslogTcpAsync(rs.Port, batches, batch, 0, CancellationToken.None);
                var written = await WaitAsync(() => Task.FromResult(rs.Written()), total, sw);
                var rate = written.Count / written.Seconds;
                peer.Add(rate);
                Log($"rsyslog run {run + 1}: {written.Count:N0}/{total:N0} written in {written.Seconds:F1} s ({rate:N0}/s), {(rs.CpuSeconds() - cpu0) / written.Count * 1e6:F1} us CPU/event");
                if (stored.Count == peer.Count) ratios.Add(stored[^1] / rate);
            }
        }
        var note = $"{total:N0} msgs of the mix, octet-counted, {o.Connections} connections, unpaced; {o.Repeat} runs after {o.WarmupRuns} unmeasured warm-up run(s)";
        if (stored.Count > 0)
        {
            rows.Add(new Row("syslog TCP → Redoubt", "events/s, sent → stored (durable, queryable)", Rate(Percentiles.Median(stored)), note + Runs(stored)));
            rows.Add(new Row("syslog TCP → Redoubt", "events/s, sent → every sink applied (detection, graph)", Rate(Percentiles.Median(endToEnd)), o.Rules is null ? "no Sigma rules loaded" : $"rules from {o.Rules}"));
            rows.Add(new Row("syslog TCP → Redoubt", "appliance CPU per event", $"{Percentiles.Median(cpuPerEvent):F1} µs", "utime+stime from /proc over the run"));
        }
        if (peer.Count > 0) rows.Add(new Row("syslog TCP → rsyslog imtcp → omfile", "events/s, sent → written", Rate(Percentiles.Median(peer)), "same bytes, same connections, run right after each Redoubt run" + Runs(peer)));
        if (ratios.Count > 0) rows.Add(new Row("**ratio Redoubt / rsyslog (TCP)**", "median of the per-pair ratios", $"**{Percentiles.Median(ratios):F2}×**", "goal ≥ 1.0×; pairs: " + string.Join(", ", ratios.Select(r => r.ToString("F2", Inv)))));
        if (o.Scenarios.Contains("tcp"))
        {
            var lat = await LatencyAsync(app, o, "syslog TCP", (m, ct) => SendTcpProbeAsync(app.SyslogPort, m, ct),
                ct => Senders.SyslogTcpAsync(app.SyslogPort, Senders.TcpBatches(mix, (long)(o.LatencyRate * o.LatencySeconds), o.Connections, 16), 16, o.LatencyRate, ct));
            rows.AddRange(lat);
        }
    }

    private static int CountFrames(byte[] octetCounted)
    {
        var n = 0;
        for (var i = 0; i < octetCounted.Length; n++)
        {
            var sp = Array.IndexOf(octetCounted, (byte)' ', i);
            i = sp + 1 + int.Parse(octetCounted.AsSpan(i, sp - i), Inv);
        }
        return n;
    }

    private static async Task SendTcpProbeAsync(int port, string marker, CancellationToken ct)
    {
        using var s = new System.Net.Sockets.TcpClient { NoDelay = true };
        await s.ConnectAsync(System.Net.IPAddress.Loopback, port, ct);
        var body = Encoding.UTF8.GetBytes($"<13>1 {DateTime.UtcNow:yyyy-MM-ddTHH:mm:ss.ffffffZ} perf-probe loadprobe - - - {marker}");
        await s.GetStream().WriteAsync(Encoding.ASCII.GetBytes($"{body.Length} ").Concat(body).ToArray(), ct);
    }

    // ---- loggen (syslog-ng) against Redoubt ------------------------------------------------------

    private static async Task LoggenAsync(Options o, ApplianceUnderTest app, List<Row> rows)
    {
        var loggen = o.Loggen ?? (CommandExists("loggen") ? "loggen" : throw new InvalidOperationException("loggen scenario: no loggen (pass --loggen PATH; run.sh unpacks syslog-ng-core)"));
        var n = o.Count / 2;
        var (base0, _) = await app.ProgressAsync();
        var psi = new ProcessStartInfo(loggen) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in (string[])["-i", "-S", "-P", "-n", n.ToString(Inv), "-r", "10000000", $"--active-connections={o.Connections}", "127.0.0.1", app.SyslogPort.ToString(Inv)])
            psi.ArgumentList.Add(a);
        var sw = Stopwatch.StartNew();
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        var loggenSeconds = sw.Elapsed.TotalSeconds;
        var stderr = await err;
        // loggen -n counts per connection or in all depending on version: take the count it reports.
        var line = stderr.Split('\n').LastOrDefault(l => l.Contains("average rate", StringComparison.Ordinal)) ?? "";
        var count = line.Split(',').Select(f => f.Trim()).FirstOrDefault(f => f.StartsWith("count=", StringComparison.Ordinal)) is { } c ? long.Parse(c[6..], Inv) : n;
        var (storedAt, allAt, got) = await WaitStoredAsync(app, base0, count, sw);
        Log($"loggen: {count:N0} sent ({line.Trim()}), {got:N0} stored in {storedAt:F1} s");
        rows.Add(new Row("loggen -i -S -P → Redoubt", "events/s, loggen start → stored", Rate(got / storedAt), $"{count:N0} msgs (loggen's 256-byte RFC 5424, octet-counted), {o.Connections} connections; loggen itself sent in {loggenSeconds:F1} s" + (got < count ? $"; **{count - got:N0} not stored**" : "")));
    }

    // ---- UDP: loss per offered rate --------------------------------------------------------------

    private static async Task UdpAsync(Options o, MessageMix mix, ApplianceUnderTest app, List<Row> rows)
    {
        foreach (var rate in o.UdpRates)
        {
            var (base0, _) = await app.ProgressAsync();
            var total = rate > 0 ? (long)(rate * o.UdpSeconds) : o.Count / 2;
            var sw = Stopwatch.StartNew();
            var sent = await Senders.SyslogUdpAsync(app.SyslogPort, mix, total, rate, CancellationToken.None);
            var (storedAt, _, got) = await WaitStoredAsync(app, base0, sent.Sent, sw, stall: TimeSpan.FromSeconds(5));
            var loss = 1 - (double)got / sent.Sent;
            Log($"udp offered {sent.OfferedRate:N0}/s: {got:N0}/{sent.Sent:N0} stored, loss {loss:P2}");
            rows.Add(new Row("syslog UDP → Redoubt", rate > 0 ? $"loss at {rate:N0}/s offered" : $"loss unpaced ({sent.OfferedRate:N0}/s offered)",
                $"{loss:P2}", $"{sent.Sent:N0} datagrams, {got:N0} stored; stored rate {got / Math.Max(storedAt, sent.Seconds):N0}/s"));
        }
        rows.AddRange(await LatencyAsync(app, o, "syslog UDP", (m, ct) => SendUdpProbeAsync(app.SyslogPort, m),
            ct => Senders.SyslogUdpAsync(app.SyslogPort, mix, (long)(o.LatencyRate * o.LatencySeconds), o.LatencyRate, ct)));
    }

    private static Task SendUdpProbeAsync(int port, string marker)
    {
        using var s = new System.Net.Sockets.UdpClient();
        var body = Encoding.UTF8.GetBytes($"<13>1 {DateTime.UtcNow:yyyy-MM-ddTHH:mm:ss.ffffffZ} perf-probe loadprobe - - - {marker}");
        s.Send(body, body.Length, new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, port));
        return Task.CompletedTask;
    }

    // ---- RELP, forward, NDJSON: acked transports -------------------------------------------------

    private static async Task RelpAsync(Options o, MessageMix mix, ApplianceUnderTest app, List<Row> rows)
    {
        var total = o.Count / 3;
        var (rates, acks) = await AckedRunsAsync(o, app, rows, "RELP → Redoubt", "relp", "acked", () => Senders.RelpAsync(app.RelpPort, mix, total, o.Connections, 128, 0, CancellationToken.None));
        rows.Add(new Row("RELP → Redoubt", "events/s acked (ack after durable commit)", Rate(Percentiles.Median(rates)), $"{total:N0} msgs × {o.Repeat} runs, window 128 (librelp's default), {o.Connections} connections" + Runs(rates)));
        rows.Add(new Row("RELP → Redoubt", "window round trip p50 / p99", $"{Percentiles.Of(acks, 50):F1} / {Percentiles.Of(acks, 99):F1} ms", "send 128 frames → last ack, unpaced"));
        rows.AddRange(await LatencyAsync(app, o, "RELP", (m, ct) => Senders.RelpAsync(app.RelpPort, MarkerMix(m), 1, 1, 1, 0, ct),
            ct => Senders.RelpAsync(app.RelpPort, mix, (long)(o.LatencyRate * o.LatencySeconds), o.Connections, 16, o.LatencyRate, ct)));
    }

    private static async Task ForwardAsync(Options o, MessageMix mix, ApplianceUnderTest app, List<Row> rows)
    {
        var total = o.Count;
        var (rates, acks) = await AckedRunsAsync(o, app, rows, "forward (PackedForward) → Redoubt", "forward", "acked", () => Senders.ForwardAsync(app.ForwardPort, mix, total, o.Connections, 500, 0, CancellationToken.None));
        rows.Add(new Row("forward (PackedForward) → Redoubt", "events/s acked (ack after durable commit)", Rate(Percentiles.Median(rates)), $"{total:N0} records × {o.Repeat} runs, 500 per message, one in flight per connection, {o.Connections} connections" + Runs(rates)));
        rows.Add(new Row("forward (PackedForward) → Redoubt", "message → ack p50 / p99", $"{Percentiles.Of(acks, 50):F1} / {Percentiles.Of(acks, 99):F1} ms", "500 records per message, unpaced"));
        rows.AddRange(await LatencyAsync(app, o, "forward", async (m, ct) =>
            {
                using var tcp = new System.Net.Sockets.TcpClient { NoDelay = true };
                await tcp.ConnectAsync(System.Net.IPAddress.Loopback, app.ForwardPort, ct);
                await tcp.GetStream().WriteAsync(Senders.ForwardFrame(MarkerMix(m), 0, 1, "probe"), ct);
                await Senders.ReadForwardAckAsync(tcp.GetStream(), new byte[64], ct);
            },
            ct => Senders.ForwardAsync(app.ForwardPort, mix, (long)(o.LatencyRate * o.LatencySeconds), o.Connections, 50, o.LatencyRate, ct)));
    }

    private static async Task NdjsonAsync(Options o, MessageMix mix, ApplianceUnderTest app, List<Row> rows)
    {
        var total = o.Count;
        var (rates, acks) = await AckedRunsAsync(o, app, rows, "HTTP NDJSON → Redoubt", "ndjson", "accepted", () => Senders.NdjsonAsync(app.Http, mix, total, o.Connections, 500, 0, CancellationToken.None));
        rows.Add(new Row("HTTP NDJSON → Redoubt", "events/s accepted (reply after durable commit)", Rate(Percentiles.Median(rates)), $"{total:N0} lines × {o.Repeat} runs, 500 per POST over HTTPS, {o.Connections} requests in flight" + Runs(rates)));
        rows.Add(new Row("HTTP NDJSON → Redoubt", "POST → reply p50 / p99", $"{Percentiles.Of(acks, 50):F1} / {Percentiles.Of(acks, 99):F1} ms", "500 lines per POST, unpaced"));
        rows.AddRange(await LatencyAsync(app, o, "HTTP NDJSON", async (m, ct) =>
            {
                using var content = new ByteArrayContent(Senders.NdjsonBody(MarkerMix(m), 0, 1));
                using var r = await app.Http.PostAsync("/api/v1/ingest", content, ct);
                r.EnsureSuccessStatusCode();
            },
            ct => Senders.NdjsonAsync(app.Http, mix, (long)(o.LatencyRate * o.LatencySeconds), o.Connections, 50, o.LatencyRate, ct)));
    }

    /// <summary>One run of an acked transport: the acked rate, then the wait until every sink applied it, and the appliance CPU per event over both.</summary>
    /// <summary>
    /// <see cref="Options.Repeat"/> acked runs of <paramref name="send"/>: adds the rows every acked
    /// transport shares (rate until every sink applied, CPU per event) and returns each run's acked rate
    /// and every ack latency for the transport's own rows.
    /// </summary>
    private static async Task<(List<double> Rates, List<double> Acks)> AckedRunsAsync(Options o, ApplianceUnderTest app, List<Row> rows,
        string name, string logName, string verb, Func<Task<SendResult>> send)
    {
        var rates = new List<double>();
        var acks = new List<double>();
        var all = new List<double>();
        var cpu = new List<double>();
        for (var w = 0; w < o.WarmupRuns; w++)
        {
            var (r, _, _) = await AckedRunAsync(app, send); // this path's own JIT and tiering, not measured
            Log($"{logName} warm-up {w + 1}: {r.Sent:N0} {verb} in {r.Seconds:F1} s ({r.Sent / r.Seconds:N0}/s, not counted)");
        }
        for (var run = 0; run < o.Repeat; run++)
        {
            var (r, allRate, cpuUs) = await AckedRunAsync(app, send);
            all.Add(allRate);
            cpu.Add(cpuUs);
            rates.Add(r.Sent / r.Seconds);
            acks.AddRange(r.AckMs);
            Log($"{logName} run {run + 1}: {r.Sent:N0} {verb} in {r.Seconds:F1} s ({r.Sent / r.Seconds:N0}/s)");
        }
        rows.Add(new Row(name, "events/s, sent → every sink applied (detection, graph)", Rate(Percentiles.Median(all)), "same runs" + Runs(all)));
        rows.Add(new Row(name, "appliance CPU per event (until every sink applied)", $"{Percentiles.Median(cpu):F1} µs", "utime+stime from /proc"));
        return (rates, acks);
    }

    private static async Task<(SendResult Sent, double AllRate, double CpuUs)> AckedRunAsync(ApplianceUnderTest app, Func<Task<SendResult>> send)
    {
        var (base0, _) = await app.ProgressAsync();
        var cpu0 = app.CpuSeconds();
        var sw = Stopwatch.StartNew();
        var r = await send();
        var (_, allAt, got) = await WaitStoredAsync(app, base0, r.Sent, sw);
        return (r, got / allAt, (app.CpuSeconds() - cpu0) / Math.Max(1, got) * 1e6);
    }

    private static MessageMix MarkerMix(string marker) => MessageMix.Of([$"<13>1 {DateTime.UtcNow:yyyy-MM-ddTHH:mm:ss.ffffffZ} perf-probe loadprobe - - - {marker}"]);

    // ---- shared ----------------------------------------------------------------------------------

    /// <summary>Paced load at the latency rate, with a probe every 250 ms; p50/p99 of send → queryable.</summary>
    private static async Task<List<Row>> LatencyAsync(ApplianceUnderTest app, Options o, string name,
        Func<string, CancellationToken, Task> sendProbe, Func<CancellationToken, Task<SendResult>> load)
    {
        var probe = new LatencyProbe(app, sendProbe);
        using var stop = new CancellationTokenSource();
        var probing = probe.RunAsync(TimeSpan.FromMilliseconds(250), stop.Token);
        var sent = await load(CancellationToken.None);
        await stop.CancelAsync();
        await probing;
        var l = probe.LatenciesMs;
        Log($"{name} latency at {sent.OfferedRate:N0}/s: {l.Count} probes, p50 {Percentiles.Of(l, 50):F1} ms, p99 {Percentiles.Of(l, 99):F1} ms, {probe.TimedOut} timed out");
        return [new Row(name + " → Redoubt", $"send → queryable p50 / p99 at {sent.OfferedRate:N0}/s offered",
            $"{Percentiles.Of(l, 50):F1} / {Percentiles.Of(l, 99):F1} ms", $"{l.Count} probes (one each 250 ms, found by reading the API's newest events)" + (probe.TimedOut > 0 ? $"; {probe.TimedOut} not found within 30 s" : ""))];
    }

    /// <summary>
    /// Waits until the store holds <paramref name="expected"/> events more than <paramref name="base0"/> (or stops
    /// growing for <paramref name="stall"/>); seconds on <paramref name="sw"/> until stored and until every sink caught up, and how many were stored.
    /// </summary>
    private static async Task<(double StoredAt, double AllAt, long Got)> WaitStoredAsync(ApplianceUnderTest app, long base0, long expected, Stopwatch sw, TimeSpan? stall = null)
    {
        var stored = await WaitAsync(async () => (await app.ProgressAsync()).Events - base0, expected, sw, stall);
        var allAt = double.NaN;
        var deadline = sw.Elapsed + TimeSpan.FromSeconds(300);
        while (sw.Elapsed < deadline)
        {
            if ((await app.ProgressAsync()).SinksCaughtUp) { allAt = sw.Elapsed.TotalSeconds; break; }
            await Task.Delay(50);
        }
        return (stored.Seconds, allAt, stored.Count);
    }

    private sealed record Waited(long Count, double Seconds);

    private static async Task<Waited> WaitAsync(Func<Task<long>> count, long target, Stopwatch sw, TimeSpan? stall = null)
    {
        var last = -1L;
        var lastChange = sw.Elapsed;
        while (true)
        {
            var n = await count();
            if (n >= target) return new Waited(n, sw.Elapsed.TotalSeconds);
            if (n != last) { last = n; lastChange = sw.Elapsed; }
            else if (sw.Elapsed - lastChange > (stall ?? TimeSpan.FromSeconds(20))) return new Waited(n, lastChange.TotalSeconds);
            await Task.Delay(50);
        }
    }

    private static string Rate(double r) => $"{r:N0}";
    private static string Runs(List<double> runs) => "; runs: " + string.Join(", ", runs.Select(r => r.ToString("N0", Inv)));
    private static string Tail(string s, int n) => s.Length <= n ? s : s[^n..];
    private static void Log(string s) => System.Console.Error.WriteLine($"[{DateTime.UtcNow:HH:mm:ss}] {s}");

    private static bool CommandExists(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Any(d => File.Exists(Path.Combine(d, name)));

    private static void Write(Options o, List<Row> rows)
    {
        var sb = new StringBuilder();
        sb.AppendLine("| benchmark | figure | median | how |");
        sb.AppendLine("|---|---|---|---|");
        foreach (var r in rows) sb.AppendLine($"| {r.Bench} | {r.Figure} | {r.Value} | {r.Note.Replace("|", "\\|", StringComparison.Ordinal)} |");
        System.Console.Write(sb.ToString());
        if (o.Out is not null) File.WriteAllText(o.Out, sb.ToString());
    }
}

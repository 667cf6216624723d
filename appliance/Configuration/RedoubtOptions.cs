using System.Net;

namespace Redoubt.Configuration;

/// <summary>
/// The appliance's settings. Read, in order, from appsettings.json, /etc/redoubt/*.json,
/// environment variables REDOUBT__KEY (REDOUBT__SYSLOG__BIND=…), and the command line.
/// Defaults are a safe dev run: data in ./var, loopback-only unprivileged ports.
/// </summary>
public sealed class RedoubtOptions
{
    public string DataDir { get; set; } = "var";
    /// <summary>Console and API listener, "ADDR:PORT". Always HTTPS (see <see cref="Tls"/>).</summary>
    public string Http { get; set; } = "127.0.0.1:8443";
    public TlsOptions Tls { get; set; } = new();
    public Redoubt.Api.Access.AccessOptions Access { get; set; } = new();
    public SyslogOptions Syslog { get; set; } = new();
    public SyslogTlsOptions SyslogTls { get; set; } = new();
    public RelpOptions Relp { get; set; } = new();
    public ForwardOptions Forward { get; set; } = new();
    /// <summary>Further listeners beyond the three above (another port, other tags or sender networks).</summary>
    public List<ListenerOptions> Listeners { get; set; } = [];
    public IngestOptions Ingest { get; set; } = new();
    public StorageOptions Storage { get; set; } = new();
    public HttpLimitsOptions HttpLimits { get; set; } = new();
    public GraphOptions Graph { get; set; } = new();
    /// <summary>Inventory and graph imports: body, row and batch limits.</summary>
    public Redoubt.Graph.Import.ImportOptions Import { get; set; } = new();
    public ApplianceOptions Appliance { get; set; } = new();
    public Redoubt.Summary.SummaryOptions Summary { get; set; } = new();
    public Redoubt.Demo.DemoOptions Demo { get; set; } = new();
}

/// <summary>How the process sits on its box (the VM image sets these in /etc/redoubt/redoubt.json).</summary>
public sealed class ApplianceOptions
{
    /// <summary>The local admin socket; empty = admin.sock in the data directory (where the CLI looks for it).</summary>
    public string AdminSocket { get; set; } = "";
    /// <summary>
    /// When set, the one-time setup code is also written here (mode 0640) while setup is pending, and
    /// the file is removed once setup is done, so the image's banner unit can show it on the VM console.
    /// </summary>
    public string? SetupCodeFile { get; set; }
}

/// <summary>The event log (see docs/storage.md). Page and segment size apply only when a store is created.</summary>
public sealed class StorageOptions
{
    /// <summary>FasterLog page, 2^n bytes; bounds the largest event (22 = 4 MiB).</summary>
    public int PageSizeBits { get; set; } = 22;
    /// <summary>Log memory, 2^n bytes (25 = 32 MiB).</summary>
    public int MemorySizeBits { get; set; } = 25;
    /// <summary>Segment file, 2^n bytes (28 = 256 MiB): the step in which retention frees disk.</summary>
    public int SegmentSizeBits { get; set; } = 28;
    /// <summary>Group commit: longest a write waits for others to share its commit (ms; 0 = commit as soon as the queue is drained).</summary>
    public double CommitDelayMs { get; set; } = 2;
    /// <summary>Group commit: most events per commit.</summary>
    public int CommitMaxEvents { get; set; } = 16384;
    /// <summary>Write requests queued for the appender before writers wait.</summary>
    public int QueueCapacity { get; set; } = 4096;
    /// <summary>Time index block: at most this many events…</summary>
    public int IndexBlockMaxEvents { get; set; } = 4096;
    /// <summary>…this many bytes of log…</summary>
    public int IndexBlockMaxBytes { get; set; } = 1 << 20;
    /// <summary>…and this many minutes of received time.</summary>
    public double IndexBlockMaxMinutes { get; set; } = 60;
    /// <summary>Writes stop (503 disk_full) while free space is below this; they resume by themselves.</summary>
    public long MinFreeBytes { get; set; } = 256L << 20;
    /// <summary>Ingest state (sources' last-seen, idempotency keys) is checkpointed after this many events: an open after kill -9 replays at most about this many.</summary>
    public int StateCheckpointEvents { get; set; } = 65_536;
    /// <summary>Events of the latest commits handed to the sinks from memory instead of decoded again (0 = always decode).</summary>
    public int TailRecords { get; set; } = 32_768;
    public RetentionOptions Retention { get; set; } = new();
}

public sealed class RetentionOptions
{
    /// <summary>Drop events received longer ago than this many days (0 = keep regardless of age).</summary>
    public double MaxAgeDays { get; set; }
    /// <summary>Keep at most this many bytes of log (0 = no size limit beyond the disk's).</summary>
    public long MaxBytes { get; set; }
    /// <summary>When retention runs (cron, UTC, Cronos syntax with optional seconds); it also runs when the disk fills.</summary>
    public string Schedule { get; set; } = "*/10 * * * *";
}

public sealed class GraphOptions
{
    /// <summary>The graph store is checkpointed this long after the first event not yet covered (and at shutdown).</summary>
    public int CheckpointSeconds { get; set; } = 60;
    /// <summary>...or once this many events are applied since the last checkpoint: bounds the replay at start.</summary>
    public long CheckpointAfterEvents { get; set; } = 1_000_000;
    /// <summary>FasterKV memory for the graph; edges beyond it stay on disk and are read back when touched.</summary>
    public int MemoryMiB { get; set; } = 256;
    /// <summary>FasterKV hash index; 64 MiB suits about 2 million edges and nodes (32 bytes per record).</summary>
    public int IndexMiB { get; set; } = 64;
    /// <summary>
    /// Folder of extraction rule files (*.yaml): a file named like a shipped one replaces it, others add
    /// rules. Default: /etc/redoubt/extraction (REDOUBT_CONFIG_DIR/extraction). docs/graph.md, "Extraction rules".
    /// </summary>
    public string? ExtractionRules { get; set; }
}

public sealed class TlsOptions
{
    /// <summary>PEM certificate (chain) of the console and API; unset = a self-signed one in DATA/tls/.</summary>
    public string? CertificateFile { get; set; }
    /// <summary>PEM private key (PKCS#8 or traditional) matching <see cref="CertificateFile"/>.</summary>
    public string? KeyFile { get; set; }
}

/// <summary>
/// Plain syslog, UDP and TCP on the same "ADDR:PORT". <see cref="MaxMessageBytes"/> and
/// <see cref="TimeZone"/> apply to every listener that carries syslog (TLS and RELP too).
/// </summary>
public sealed class SyslogOptions : ListenerCommonOptions
{
    public SyslogOptions() => Bind = "127.0.0.1:5514";
    /// <summary>Longer messages are cut to this and marked truncated (RFC 5425 asks for at least 2 KiB; 64 KiB default).</summary>
    public int MaxMessageBytes { get; set; } = 64 * 1024;
    /// <summary>Time zone of RFC 3164 timestamps, which carry none (IANA id, e.g. "Europe/Paris").</summary>
    public string TimeZone { get; set; } = "UTC";
    /// <summary>Kernel receive buffer asked for the UDP socket; bursts beyond it are lost by the kernel.</summary>
    public int UdpReceiveBufferBytes { get; set; } = 8 * 1024 * 1024;
    /// <summary>Open TCP connections beyond this are closed at once and counted as refused.</summary>
    public int MaxConnections { get; set; } = 1024;
    /// <summary>A TCP connection that sends nothing for this long is closed (0 = never).</summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromHours(1);
}

/// <summary>The Fluent forward protocol listener (Fluentd, Fluent Bit, fluent-logger, Docker's fluentd driver).</summary>
public sealed class ForwardOptions
{
    public bool Enabled { get; set; } = true;
    /// <summary>TCP "ADDR:PORT"; the appliance listens on 0.0.0.0:24224, a dev run on loopback.</summary>
    public string Bind { get; set; } = "127.0.0.1:24224";
    /// <summary>When set (or <see cref="SharedKeyFile"/>), every connection must pass the HELO/PING/PONG handshake with this key.</summary>
    public string? SharedKey { get; set; }
    /// <summary>File holding the shared key (first line), so the secret need not sit in a JSON file.</summary>
    public string? SharedKeyFile { get; set; }
    /// <summary>Name this server gives in PONG; defaults to the machine name. Must differ from the clients' own.</summary>
    public string? ServerHostname { get; set; }
    public int MaxConnections { get; set; } = 1024;
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromHours(1);
    /// <summary>How long a client may take between connecting and a valid PING: one deadline for the whole handshake, not extended by bytes arriving.</summary>
    public TimeSpan HandshakeTimeout { get; set; } = TimeSpan.FromSeconds(30);
    /// <summary>Largest forward message (one MessagePack array) accepted; a larger one closes the connection.</summary>
    public int MaxFrameBytes { get; set; } = 32 * 1024 * 1024;
    /// <summary>Largest CompressedPackedForward payload once inflated.</summary>
    public int MaxDecompressedBytes { get; set; } = 128 * 1024 * 1024;
    /// <summary>How long a frame that asked for an ack waits for room in the ingest budget before it is refused (no ack).</summary>
    public TimeSpan BusyWait { get; set; } = TimeSpan.FromSeconds(2);
}

public sealed class IngestOptions
{
    /// <summary>Longest NDJSON line accepted; longer lines are reported, not stored.</summary>
    public int MaxLineBytes { get; set; } = 1024 * 1024;
    /// <summary>Largest NDJSON request body, counted after gzip decoding; larger answers 413.</summary>
    public long MaxBodyBytes { get; set; } = 64L * 1024 * 1024;
    /// <summary>
    /// Bytes all listeners together may hold that are not yet durable. When the store falls behind
    /// and this fills, HTTP answers 503 + Retry-After, forward withholds its ack, TCP syslog reads wait.
    /// </summary>
    public long MaxPendingBytes { get; set; } = 256L * 1024 * 1024;
    /// <summary>Retry-After (seconds) sent with a busy or unavailable answer.</summary>
    public int RetryAfterSeconds { get; set; } = 5;
    /// <summary>How long a batch's Idempotency-Key is remembered.</summary>
    public TimeSpan IdempotencyKeyLifetime { get; set; } = TimeSpan.FromHours(24);
    /// <summary>Most keys remembered; the oldest are forgotten first.</summary>
    public int MaxIdempotencyKeys { get; set; } = 100_000;
    /// <summary>Most event ids held for replayed answers, over all remembered keys.</summary>
    public int MaxIdempotencyIds { get; set; } = 2_000_000;
    /// <summary>A source with no event for this long is flagged quiet in stats and metrics.</summary>
    public TimeSpan QuietAfter { get; set; } = TimeSpan.FromHours(1);
    /// <summary>A source not seen for this long is no longer listed.</summary>
    public TimeSpan ForgetSourceAfter { get; set; } = TimeSpan.FromDays(30);
    /// <summary>
    /// At start, the log's events received this recently are replayed to rebuild source last-seen
    /// times (and, over at least IdempotencyKeyLifetime, idempotency keys). A source silent for longer
    /// before a restart is listed again when it next sends. Longer windows make starts slower.
    /// </summary>
    public TimeSpan RecoverSourcesFor { get; set; } = TimeSpan.FromDays(3);
    /// <summary>Most sources counted one by one; events of further sources are counted under "(other)".</summary>
    public int MaxSources { get; set; } = 10_000;
}

/// <summary>Limits of the HTTP listener (console, API and NDJSON ingest).</summary>
public sealed class HttpLimitsOptions
{
    public int MaxConnections { get; set; } = 512;
    public TimeSpan KeepAliveTimeout { get; set; } = TimeSpan.FromMinutes(2);
    public TimeSpan RequestHeadersTimeout { get; set; } = TimeSpan.FromSeconds(30);
}

public static class Endpoints
{
    /// <summary>Parses "ADDR:PORT" (IPv6 as "[::1]:PORT"); "*" or "0.0.0.0" means every IPv4 address.</summary>
    public static IPEndPoint Parse(string value, string what)
    {
        var text = value.Trim();
        if (text.StartsWith("*:", StringComparison.Ordinal)) text = "0.0.0.0" + text[1..];
        if (IPEndPoint.TryParse(text, out var endpoint) && endpoint.Port != 0 && text.Contains(':'))
            return endpoint;
        throw new StartupException($"{what}: '{value}' is not ADDR:PORT (for example 127.0.0.1:5514 or [::1]:5514)");
    }
}

/// <summary>A start-up failure the admin can fix; printed as one line, then the process exits.</summary>
public sealed class StartupException(string message, Exception? inner = null) : Exception(message, inner);

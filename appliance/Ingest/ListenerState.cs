using Redoubt.Storage.Events;

namespace Redoubt.Ingest;

/// <summary>
/// What a listener reports about itself in /api/v1/stats and /metrics: where it listens and what it
/// saw. Event counters count events as they arrive (a batch refused as busy and retried is counted
/// each time it comes); the store's own counters say what is stored.
/// </summary>
public sealed class ListenerState(string name, string transport, string bind)
{
    private long _received, _parsed, _parseErrors, _truncated, _dropped, _busy, _malformed, _bytes, _lastSeenMs;
    private long _connections, _openConnections, _connectionErrors, _refused, _idleClosed, _authFailures;
    private readonly long[] _rejections = new long[Rejections.Count];
    private readonly long[] _lastLoggedTicks = new long[Rejections.Count];
    private readonly long[] _unlogged = new long[Rejections.Count];

    public string Name { get; } = name;
    public string Transport { get; } = transport;
    public string Bind { get; } = bind;
    public string Status { get; set; } = "starting";
    /// <summary>How TLS is set up ("server certificate …, client certificate required"), or null for plain listeners.</summary>
    public string? Tls { get; set; }
    /// <summary>Sender networks allowed (empty: any), as configured.</summary>
    public IReadOnlyList<string> AllowedNetworks { get; set; } = [];
    public IReadOnlyDictionary<string, string>? Tags { get; set; }
    /// <summary>Per-source counters; set by the registry.</summary>
    internal SourceTable? Sources { get; set; }

    /// <summary>Events (messages, records, lines) that arrived, good or bad.</summary>
    public long Received => Interlocked.Read(ref _received);
    public long Parsed => Interlocked.Read(ref _parsed);
    /// <summary>Events that did not parse (stored raw and marked), or NDJSON lines rejected back to the client.</summary>
    public long ParseErrors => Interlocked.Read(ref _parseErrors);
    public long Truncated => Interlocked.Read(ref _truncated);
    /// <summary>Events lost before storage (UDP: the store's queue was full). Never silent: counted here and per source.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);
    /// <summary>Batches refused because the ingest budget was full; the client was told (503, no ack) and retries.</summary>
    public long Busy => Interlocked.Read(ref _busy);
    /// <summary>Frames or connections that did not follow the protocol; the connection was closed.</summary>
    public long Malformed => Interlocked.Read(ref _malformed);
    /// <summary>Bytes read from the network.</summary>
    public long Bytes => Interlocked.Read(ref _bytes);
    /// <summary>Unix ms of the last event, or 0.</summary>
    public long LastSeenMs => Interlocked.Read(ref _lastSeenMs);
    public long Connections => Interlocked.Read(ref _connections);
    public long OpenConnections => Interlocked.Read(ref _openConnections);
    /// <summary>Connections that ended with an error (reset, bad data); the listener kept going.</summary>
    public long ConnectionErrors => Interlocked.Read(ref _connectionErrors);
    /// <summary>Connections closed at once because the listener already had its maximum open.</summary>
    public long RefusedConnections => Interlocked.Read(ref _refused);
    public long IdleClosed => Interlocked.Read(ref _idleClosed);
    public long AuthFailures => Interlocked.Read(ref _authFailures);

    /// <summary>One event built from <paramref name="bytes"/> bytes of payload: counted here and for its source.</summary>
    public void CountEvent(EventRecord e, long bytes)
    {
        Interlocked.Increment(ref _received);
        if ((e.Flags & EventFlags.ParseError) != 0) Interlocked.Increment(ref _parseErrors);
        else Interlocked.Increment(ref _parsed);
        if ((e.Flags & EventFlags.Truncated) != 0) Interlocked.Increment(ref _truncated);
        Interlocked.Exchange(ref _lastSeenMs, e.ReceivedAtMs);
        Sources?.Count(e, bytes, Name);
    }

    /// <summary>A line or record that was rejected rather than stored (NDJSON lines, empty UDP datagrams): received and a parse error, here and for its source.</summary>
    public void CountRejected(string? senderAddress, long bytes, long nowMs)
    {
        Interlocked.Increment(ref _received);
        Interlocked.Increment(ref _parseErrors);
        Sources?.CountRejected(senderAddress, bytes, nowMs, Name);
    }

    /// <summary><paramref name="n"/> more entries that arrived and did not parse, reported by an event already counted (forward: entries past the per-message limit).</summary>
    public void CountParseErrors(long n)
    {
        Interlocked.Add(ref _received, n);
        Interlocked.Add(ref _parseErrors, n);
    }

    public void CountDropped(EventRecord e)
    {
        Interlocked.Increment(ref _dropped);
        Sources?.CountDropped(e);
    }

    public void CountBytes(long n) => Interlocked.Add(ref _bytes, n);
    public void CountBusy() => Interlocked.Increment(ref _busy);
    public void CountMalformed() => Interlocked.Increment(ref _malformed);
    public void CountRefused() => Interlocked.Increment(ref _refused);
    public void CountIdleClosed() => Interlocked.Increment(ref _idleClosed);
    public void CountAuthFailure() => Interlocked.Increment(ref _authFailures);
    /// <summary>
    /// Reserves one of <paramref name="max"/> connection slots at accept, atomically: the check and the
    /// count are one step, so a burst of accepts cannot all pass the check before any is counted.
    /// False (nothing counted) when all are taken; <see cref="ConnectionClosed"/> frees a slot.
    /// </summary>
    public bool TryOpenConnection(long max)
    {
        if (Interlocked.Increment(ref _openConnections) > max)
        {
            Interlocked.Decrement(ref _openConnections);
            return false;
        }
        Interlocked.Increment(ref _connections);
        return true;
    }

    public void ConnectionClosed(bool failed)
    {
        Interlocked.Decrement(ref _openConnections);
        if (failed) Interlocked.Increment(ref _connectionErrors);
    }

    /// <summary>Connections, datagrams or frames turned away, by reason (stable names, see <see cref="Rejections"/>).</summary>
    public IReadOnlyDictionary<string, long> Rejected
    {
        get
        {
            var result = new Dictionary<string, long>(StringComparer.Ordinal);
            for (var i = 0; i < _rejections.Length; i++)
            {
                var n = Interlocked.Read(ref _rejections[i]);
                if (n > 0) result[Rejections.Name((RejectionReason)i)] = n;
            }
            return result;
        }
    }

    public long RejectedCount(RejectionReason reason) => Interlocked.Read(ref _rejections[(int)reason]);

    /// <summary>
    /// Counts a rejection and logs it with its detail, at most once per reason every ten seconds
    /// (a flood from a refused network must not flood the journal); the next line says how many were not logged.
    /// </summary>
    public void Reject(RejectionReason reason, ILogger logger, string detail)
    {
        var i = (int)reason;
        Interlocked.Increment(ref _rejections[i]);
        var now = Environment.TickCount64;
        var last = Interlocked.Read(ref _lastLoggedTicks[i]);
        if (last != 0 && now - last < 10_000) { Interlocked.Increment(ref _unlogged[i]); return; }
        if (Interlocked.CompareExchange(ref _lastLoggedTicks[i], now, last) != last) { Interlocked.Increment(ref _unlogged[i]); return; }
        var unlogged = Interlocked.Exchange(ref _unlogged[i], 0);
        logger.LogWarning("listener {Listener} ({Transport}, {Bind}): rejected ({Reason}): {Detail}{More}", Name, Transport, Bind,
            Rejections.Name(reason), detail, unlogged > 0 ? $" ({unlogged} more of this kind since the last report)" : "");
    }
}

/// <summary>Why a listener turned something away. The names are part of the stats API: add, never rename.</summary>
public enum RejectionReason
{
    /// <summary>The sender's address is outside the listener's allowed networks.</summary>
    SenderNotAllowed,
    /// <summary>The TLS handshake failed (protocol or cipher mismatch, not TLS at all, timeout).</summary>
    TlsHandshakeFailed,
    /// <summary>Mutual TLS is required and the client presented no certificate.</summary>
    ClientCertificateMissing,
    /// <summary>The client's certificate does not chain to the configured client CA (or is expired).</summary>
    ClientCertificateUntrusted,
    /// <summary>A RELP frame that cannot be parsed; the session cannot resynchronise and is closed.</summary>
    RelpBadFrame,
    /// <summary>A well-formed RELP frame answered with "500": unknown command, syslog before open, empty message.</summary>
    RelpCommandRefused,
    /// <summary>The listener already had its maximum of open connections.</summary>
    ConnectionLimit,
    /// <summary>A UDP datagram with no message in it (zero bytes, or only line ends and NULs): nothing to store.</summary>
    EmptyDatagram,
}

public static class Rejections
{
    public static readonly int Count = Enum.GetValues<RejectionReason>().Length;

    public static string Name(RejectionReason reason) => reason switch
    {
        RejectionReason.SenderNotAllowed => "sender-not-allowed",
        RejectionReason.TlsHandshakeFailed => "tls-handshake-failed",
        RejectionReason.ClientCertificateMissing => "client-certificate-missing",
        RejectionReason.ClientCertificateUntrusted => "client-certificate-untrusted",
        RejectionReason.RelpBadFrame => "relp-bad-frame",
        RejectionReason.RelpCommandRefused => "relp-command-refused",
        RejectionReason.ConnectionLimit => "connection-limit",
        RejectionReason.EmptyDatagram => "empty-datagram",
        _ => "unknown",
    };
}

/// <summary>All listeners, for the stats endpoint, the metrics and the console.</summary>
public sealed class ListenerRegistry(SourceTable sources)
{
    private readonly List<ListenerState> _listeners = [];

    public SourceTable Sources { get; } = sources;

    public ListenerState Add(ListenerState state)
    {
        state.Sources = Sources;
        lock (_listeners) _listeners.Add(state);
        return state;
    }

    public IReadOnlyList<ListenerState> All { get { lock (_listeners) return _listeners.ToArray(); } }
}

namespace Redoubt.Ingest;

/// <summary>What a listener reports about itself in /api/v1/stats: where it listens and what it saw.</summary>
public sealed class ListenerState(string name, string transport, string bind)
{
    private long _received, _dropped, _connections, _openConnections, _connectionErrors;
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
    public long Received => Interlocked.Read(ref _received);
    /// <summary>Messages lost before storage (UDP only: the queue was full).</summary>
    public long Dropped => Interlocked.Read(ref _dropped);
    public long Connections => Interlocked.Read(ref _connections);
    public long OpenConnections => Interlocked.Read(ref _openConnections);
    /// <summary>Connections that ended with an error (reset, bad data); the listener kept going.</summary>
    public long ConnectionErrors => Interlocked.Read(ref _connectionErrors);

    public void CountReceived(long n = 1) => Interlocked.Add(ref _received, n);
    public void CountDropped() => Interlocked.Increment(ref _dropped);
    public void ConnectionOpened() { Interlocked.Increment(ref _connections); Interlocked.Increment(ref _openConnections); }
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
        _ => "unknown",
    };
}

/// <summary>All listeners, for the stats endpoint and the console.</summary>
public sealed class ListenerRegistry
{
    private readonly List<ListenerState> _listeners = [];
    public ListenerState Add(ListenerState state) { lock (_listeners) _listeners.Add(state); return state; }
    public IReadOnlyList<ListenerState> All { get { lock (_listeners) return _listeners.ToArray(); } }
}

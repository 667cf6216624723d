namespace Redoubt.Ingest;

/// <summary>What a listener reports about itself in /api/v1/stats: where it listens and what it saw.</summary>
public sealed class ListenerState(string name, string transport, string bind)
{
    private long _received, _dropped, _connections, _openConnections, _connectionErrors;

    public string Name { get; } = name;
    public string Transport { get; } = transport;
    public string Bind { get; } = bind;
    public string Status { get; set; } = "starting";
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
}

/// <summary>All listeners, for the stats endpoint and the console.</summary>
public sealed class ListenerRegistry
{
    private readonly List<ListenerState> _listeners = [];
    public ListenerState Add(ListenerState state) { lock (_listeners) _listeners.Add(state); return state; }
    public IReadOnlyList<ListenerState> All { get { lock (_listeners) return _listeners.ToArray(); } }
}

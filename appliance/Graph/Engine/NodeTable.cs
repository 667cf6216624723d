using Redoubt.Storage.Graph;

namespace Redoubt.Graph.Engine;

/// <summary>Tags the algorithms read in their inner loops, kept as bits; other tags live in <see cref="NodeExtras"/>.</summary>
[Flags]
public enum NodeFlags : ushort
{
    None = 0,
    CrownJewel = 1,      // tag crown_jewel: a target of attack paths
    InternetFacing = 2,  // tag internet_facing (or an EXPOSED_TO_INTERNET edge): a source of attack paths
    Compromised = 4,     // tag compromised: a source with no entry cost
    KnownExploited = 8,  // Vulnerability in a known-exploited catalogue (e.g. CISA KEV)
    Alerted = 16,        // the target of a RAISED edge: an alert names it
}

public enum Criticality : byte { Unknown = 0, Low = 1, Medium = 2, High = 3, Critical = 4 }

/// <summary>Rarely read node properties: free-form tags and string properties (OS, owner, zone...). Immutable; replaced whole.</summary>
public sealed record NodeExtras(IReadOnlyList<string> Tags, IReadOnlyDictionary<string, string> Properties)
{
    public static readonly NodeExtras Empty = new([], new Dictionary<string, string>());
}

/// <summary>
/// Node columns. Ids are dense, assigned in insertion order, never reused or moved while the process
/// runs (the durable identity of a node is its kind and key). The writer appends and updates in
/// place; readers read ids below their snapshot's node count. The key index is the only part
/// readers must lock, and they touch it once per query, not per step.
/// </summary>
internal sealed class NodeTable
{
    public const byte NoCvss = 255;

    public readonly ChunkedArray<byte> Kind = new();
    public readonly ChunkedArray<NodeFlags> Flags = new();
    public readonly ChunkedArray<Criticality> Criticality = new();
    public readonly ChunkedArray<byte> CvssTenths = new(NoCvss);
    public readonly ChunkedArray<long> FirstSeen = new();
    public readonly ChunkedArray<long> LastSeen = new();
    /// <summary>Milli-cost to exploit this node over the network, derived from its vulnerabilities by the cost model.</summary>
    public readonly ChunkedArray<int> ExploitCost = new();
    public readonly ChunkedArray<string> Key = new();
    public readonly ChunkedArray<NodeExtras?> Extras = new();

    private readonly Dictionary<string, int>[] _byKey = new Dictionary<string, int>[GraphModel.NodeKindSlots];
    private readonly Lock _indexLock = new();

    public int Count { get; private set; }

    public NodeTable()
    {
        // Keys are exact, as in the graph store this graph mirrors: writers normalise them (extraction
        // lower-cases host names), so one entity is one node here and there.
        for (var i = 0; i < _byKey.Length; i++) _byKey[i] = new Dictionary<string, int>(StringComparer.Ordinal);
    }

    /// <summary>Readers and writer.</summary>
    public bool TryFind(NodeKind kind, string key, out int id)
    {
        lock (_indexLock) return _byKey[(int)kind].TryGetValue(key, out id);
    }

    /// <summary>Writer only: the node's id, adding it when new.</summary>
    public int GetOrAdd(NodeKind kind, string key, int exploitCost, out bool added)
    {
        // The writer is the only mutator, so its own lookup needs no lock.
        if (_byKey[(int)kind].TryGetValue(key, out var id)) { added = false; return id; }
        id = Count;
        var n = id + 1;
        Kind.EnsureCapacity(n); Flags.EnsureCapacity(n); Criticality.EnsureCapacity(n); CvssTenths.EnsureCapacity(n);
        FirstSeen.EnsureCapacity(n); LastSeen.EnsureCapacity(n); ExploitCost.EnsureCapacity(n); Key.EnsureCapacity(n); Extras.EnsureCapacity(n);
        Kind[id] = (byte)kind;
        Key[id] = key;
        FirstSeen[id] = long.MaxValue;
        LastSeen[id] = long.MinValue;
        ExploitCost[id] = exploitCost;
        lock (_indexLock) _byKey[(int)kind].Add(key, id);
        Count = n;
        added = true;
        return id;
    }

    public int CountOf(NodeKind kind)
    {
        lock (_indexLock) return _byKey[(int)kind].Count;
    }

    public long ApproximateBytes()
    {
        long bytes = Kind.AllocatedBytes(1) + Flags.AllocatedBytes(2) + Criticality.AllocatedBytes(1) + CvssTenths.AllocatedBytes(1)
            + FirstSeen.AllocatedBytes(8) + LastSeen.AllocatedBytes(8) + ExploitCost.AllocatedBytes(4) + Key.AllocatedBytes(8) + Extras.AllocatedBytes(8);
        return bytes;
    }
}

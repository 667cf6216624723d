using Redoubt.Storage.Graph;

namespace Redoubt.Graph.Engine;

/// <summary>One edge seen from a node: the edge id, the node at its other end, its type.</summary>
public readonly record struct Adjacent(int Edge, int Peer, EdgeType Type);

/// <summary>
/// Enumerates a node's out- or in-edges in a snapshot without allocating: first the contiguous CSR
/// run, then the delta list, skipping edges added after the snapshot.
/// </summary>
public ref struct AdjacencyEnumerator
{
    private readonly ReadOnlySpan<int> _peers;
    private readonly ReadOnlySpan<byte> _types;
    private readonly ReadOnlySpan<int> _edges; // in-edges: their ids; out-edges: empty, the id is the position
    private readonly int _firstId;
    private int _i;
    private readonly EdgeDelta? _delta;
    private readonly ChunkedArray<int>? _next;
    private readonly ChunkedArray<int>? _deltaPeer;
    private readonly int _bound;
    private int _cursor;
    private Adjacent _current;

    internal AdjacencyEnumerator(ReadOnlySpan<int> peers, ReadOnlySpan<byte> types, ReadOnlySpan<int> edges, int firstId,
        EdgeDelta delta, bool outgoing, int node, int bound)
    {
        _peers = peers;
        _types = types;
        _edges = edges;
        _firstId = firstId;
        _i = -1;
        _delta = delta;
        _next = outgoing ? delta.NextOut : delta.NextIn;
        _deltaPeer = outgoing ? delta.Target : delta.Source;
        _bound = bound - delta.FirstId;
        var heads = outgoing ? delta.HeadOut : delta.HeadIn;
        _cursor = node < heads.Capacity ? Volatile.Read(ref heads[node]) : -1;
        _current = default;
    }

    public readonly AdjacencyEnumerator GetEnumerator() => this;

    public readonly Adjacent Current => _current;

    public bool MoveNext()
    {
        if (++_i < _peers.Length)
        {
            _current = new Adjacent(_edges.IsEmpty ? _firstId + _i : _edges[_i], _peers[_i], (EdgeType)_types[_i]);
            return true;
        }
        while (_cursor >= 0)
        {
            var d = _cursor;
            _cursor = _next![d];
            if (d >= _bound) continue; // added after this snapshot
            _current = new Adjacent(_delta!.FirstId + d, _deltaPeer![d], (EdgeType)_delta.Type[d]);
            return true;
        }
        return false;
    }
}

using Redoubt.Detection.Matching;

namespace Redoubt.Detection.Events;

public enum ValueKind : byte { String, Number, Bool, Null }

/// <summary>
/// The field names some loaded rule or log source reads, each given a slot number. Built once per
/// compiled rule set; looked up by span while an event is read, so reading never allocates.
/// Names compare case-insensitively: feeds disagree on case (ProcessGuid, ProcessGUID).
/// </summary>
public sealed class FieldNames
{
    /// <summary>Slot 0 collects every string value, for Sigma keyword lists.</summary>
    public const int Keywords = 0;

    private readonly Dictionary<string, int> _slots = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<string> _names = ["(keywords)"];
    private readonly List<int> _alias = [-1];
    private Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _lookup;

    public FieldNames() => _lookup = _slots.GetAlternateLookup<ReadOnlySpan<char>>();

    public int Count => _names.Count;
    public string NameOf(int slot) => _names[slot];

    public int Intern(string name)
    {
        if (_slots.TryGetValue(name, out var slot)) return slot;
        slot = _names.Count;
        _names.Add(name);
        _alias.Add(-1);
        _slots[name] = slot;
        return slot;
    }

    public bool TryGet(ReadOnlySpan<char> name, out int slot) => _lookup.TryGetValue(name, out slot);

    /// <summary>A value read under <paramref name="from"/> is also a value of <paramref name="to"/> (feed names → Sigma names).</summary>
    public void SetAlias(int from, int to) { if (from != to) _alias[from] = to; }

    /// <summary>The slot a value of this slot also fills, or -1.</summary>
    public int AliasOf(int slot) => _alias[slot];
}

/// <summary>
/// One event's values, by slot, read once and shared by every rule. Reused from event to event
/// (generation stamps instead of clearing), so after warm-up an event costs no allocation.
/// A slot may hold several values (JSON arrays); a rule item matches when any of them does.
/// Not thread-safe: one instance per evaluating thread.
/// </summary>
public sealed class EventFields
{
    private struct Entry
    {
        public int Start, Length, Next;
        public ValueKind Kind;
    }

    private int[] _head;
    private int[] _tail;
    private int[] _stamp;
    private int _generation = 1;
    private Entry[] _entries = new Entry[64];
    private int _entryCount;
    private char[] _text = new char[4096];
    private char[] _folded = new char[4096];
    private int _used;

    public FieldNames Names { get; }
    /// <summary>When set, every string value is also kept under <see cref="FieldNames.Keywords"/>.</summary>
    public bool CollectKeywords { get; set; }

    public EventFields(FieldNames names)
    {
        Names = names;
        _head = new int[names.Count];
        _tail = new int[names.Count];
        _stamp = new int[names.Count];
    }

    public void Reset()
    {
        _entryCount = 0;
        _used = 0;
        if (++_generation == int.MaxValue)
        {
            Array.Clear(_stamp);
            _generation = 1;
        }
    }

    public bool Has(int slot) => _stamp[slot] == _generation;

    /// <summary>First value of a slot, or -1. Walk with <see cref="Next"/>.</summary>
    public int First(int slot) => _stamp[slot] == _generation ? _head[slot] : -1;
    public int Next(int entry) => _entries[entry].Next;
    public ValueKind KindOf(int entry) => _entries[entry].Kind;
    public ReadOnlySpan<char> Text(int entry) { ref var e = ref _entries[entry]; return _text.AsSpan(e.Start, e.Length); }
    public ReadOnlySpan<char> Folded(int entry) { ref var e = ref _entries[entry]; return _folded.AsSpan(e.Start, e.Length); }

    public ReadOnlySpan<char> RawText(int start, int length) => _text.AsSpan(start, length);

    /// <summary>Room for <paramref name="length"/> chars of a value about to be written with <see cref="Commit"/>.</summary>
    public Span<char> Reserve(int length)
    {
        if (_used + length > _text.Length)
        {
            var size = Math.Max(_text.Length * 2, _used + length);
            Array.Resize(ref _text, size);
            Array.Resize(ref _folded, size);
        }
        return _text.AsSpan(_used, length);
    }

    /// <summary>Stores the <paramref name="length"/> chars just written into <see cref="Reserve"/> and returns the value's start.</summary>
    public int Commit(int length)
    {
        var start = _used;
        Fold.Span(_text.AsSpan(start, length), _folded.AsSpan(start, length));
        _used += length;
        return start;
    }

    public void Add(int slot, ReadOnlySpan<char> value, ValueKind kind)
    {
        value.CopyTo(Reserve(value.Length));
        Link(slot, Commit(value.Length), value.Length, kind);
    }

    /// <summary>Adds a value already stored (by <see cref="Commit"/>) to a slot.</summary>
    public void Link(int slot, int start, int length, ValueKind kind)
    {
        if (_entryCount == _entries.Length) Array.Resize(ref _entries, _entries.Length * 2);
        var index = _entryCount++;
        _entries[index] = new Entry { Start = start, Length = length, Next = -1, Kind = kind };
        if (_stamp[slot] != _generation)
        {
            _stamp[slot] = _generation;
            _head[slot] = index;
        }
        else _entries[_tail[slot]].Next = index;
        _tail[slot] = index;
    }
}

using Redoubt.Detection.Events;

namespace Redoubt.Detection.Engine;

/// <summary>
/// From field literals to the members (rules, or log sources) they gate: per slot, a hash of exact
/// values and one automaton for prefixes, suffixes and substrings. <see cref="Mark"/> reads each
/// indexed field of an event once and sets the bit of every member one of whose literals it holds.
/// </summary>
public sealed class LiteralIndex
{
    private sealed class SlotIndex
    {
        public required int Slot;
        public Dictionary<string, int[]>? Exact;
        public Dictionary<string, int[]>.AlternateLookup<ReadOnlySpan<char>> ExactLookup;
        public Automaton? Automaton;
        /// <summary>Patterns with non-ASCII characters, apart: their large alphabet would multiply the main table.</summary>
        public Automaton? Wide;
    }

    private readonly SlotIndex[] _slots;

    public int IndexedSlots => _slots.Length;
    public int Patterns => _slots.Sum(s => (s.Exact?.Count ?? 0) + (s.Automaton?.Patterns ?? 0) + (s.Wide?.Patterns ?? 0));
    public long AutomatonBytes => _slots.Sum(s => (s.Automaton?.TableBytes ?? 0) + (s.Wide?.TableBytes ?? 0));
    public IEnumerable<(int Slot, int States, int Patterns, long Bytes)> Describe() =>
        _slots.Select(s => (s.Slot, (s.Automaton?.States ?? 0) + (s.Wide?.States ?? 0),
            (s.Exact?.Count ?? 0) + (s.Automaton?.Patterns ?? 0) + (s.Wide?.Patterns ?? 0),
            (s.Automaton?.TableBytes ?? 0) + (s.Wide?.TableBytes ?? 0)));

    /// <param name="atoms">(member, slot, kind, folded text) for every gate atom.</param>
    public LiteralIndex(IEnumerable<(int Member, int Slot, AtomKind Kind, string Text)> atoms)
    {
        var list = atoms.Distinct().ToList();

        var slots = new List<SlotIndex>();
        foreach (var bySlot in list.GroupBy(a => a.Slot).OrderBy(g => g.Key))
        {
            var index = new SlotIndex { Slot = bySlot.Key };
            var exact = bySlot.Where(a => a.Kind == AtomKind.Exact).GroupBy(a => a.Text, StringComparer.Ordinal).ToList();
            if (exact.Count > 0)
            {
                index.Exact = exact.ToDictionary(g => g.Key, g => g.Select(a => a.Member).Distinct().ToArray(), StringComparer.Ordinal);
                index.ExactLookup = index.Exact.GetAlternateLookup<ReadOnlySpan<char>>();
            }
            var patterns = bySlot.Where(a => a.Kind != AtomKind.Exact)
                .GroupBy(a => (a.Text, a.Kind))
                .Select(g => (g.Key.Text, g.Key.Kind, (IReadOnlyList<int>)g.Select(a => a.Member).Distinct().ToList()))
                .ToList();
            var ascii = patterns.Where(p => p.Text.All(char.IsAscii)).ToList();
            var wide = patterns.Where(p => !p.Text.All(char.IsAscii)).ToList();
            if (ascii.Count > 0) index.Automaton = new Automaton(ascii);
            if (wide.Count > 0) index.Wide = new Automaton(wide);
            slots.Add(index);
        }
        _slots = slots.ToArray();
    }

    public void Mark(EventFields fields, ulong[] bits)
    {
        foreach (var index in _slots)
        {
            for (var e = fields.First(index.Slot); e >= 0; e = fields.Next(e))
            {
                if (fields.KindOf(e) == ValueKind.Null) continue;
                var value = fields.Folded(e);
                if (index.Exact is not null && index.ExactLookup.TryGetValue(value, out var members))
                    foreach (var m in members) bits[m >> 6] |= 1UL << m;
                index.Automaton?.Scan(value, bits);
                index.Wide?.Scan(value, bits);
            }
        }
    }
}

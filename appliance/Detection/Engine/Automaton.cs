namespace Redoubt.Detection.Engine;

/// <summary>
/// Aho-Corasick over folded text, compiled to a dense DFA (one table lookup per character) over a
/// compressed alphabet: the characters that occur in some pattern, every other character being
/// one "elsewhere" symbol. Finds every pattern occurrence in one pass, whatever the pattern count.
/// </summary>
public sealed class Automaton
{
    private readonly ushort[] _alphabet;
    /// <summary>The alphabet's first 128 entries again: text is mostly ASCII, and this stays in L1 cache.</summary>
    private readonly ushort[] _ascii;
    private readonly int _width;
    /// <summary>
    /// Transitions, by row (state × width) + symbol, to the target's row offset; the complement (negative)
    /// when the target state has outputs, so the scan tests one sign instead of loading the output range per character.
    /// </summary>
    private readonly int[] _delta;
    private readonly int[] _outStart;
    private readonly int[] _outPatterns;
    private readonly AtomKind[] _kinds;
    private readonly int[] _lengths;
    private readonly int[] _memberStart;
    private readonly int[] _members;

    public int States => _outStart.Length - 1;
    public int Patterns => _kinds.Length;
    public long TableBytes => (long)_delta.Length * 4 + _alphabet.Length * 2;

    public Automaton(IReadOnlyList<(string Text, AtomKind Kind, IReadOnlyList<int> Members)> patterns)
    {
        // The alphabet: characters that occur in some pattern; 0 stands for every other character.
        var alphabet = new ushort[65536];
        var size = 1;
        foreach (var p in patterns)
            foreach (var c in p.Text)
                if (alphabet[c] == 0) alphabet[c] = checked((ushort)size++);
        _alphabet = alphabet;
        _ascii = alphabet[..128];
        _width = size;
        _kinds = patterns.Select(p => p.Kind).ToArray();
        _lengths = patterns.Select(p => p.Text.Length).ToArray();
        _memberStart = new int[patterns.Count + 1];
        var members = new List<int>();
        for (var i = 0; i < patterns.Count; i++)
        {
            _memberStart[i] = members.Count;
            members.AddRange(patterns[i].Members);
        }
        _memberStart[patterns.Count] = members.Count;
        _members = members.ToArray();

        // Trie.
        var children = new List<Dictionary<int, int>> { new() };
        var own = new List<List<int>> { new() };
        for (var p = 0; p < patterns.Count; p++)
        {
            var state = 0;
            foreach (var c in patterns[p].Text)
            {
                var symbol = alphabet[c];
                if (!children[state].TryGetValue(symbol, out var next))
                {
                    next = children.Count;
                    children.Add(new Dictionary<int, int>());
                    own.Add([]);
                    children[state][symbol] = next;
                }
                state = next;
            }
            own[state].Add(p);
        }

        // Failure links breadth-first, filling the full transition table as we go.
        var states = children.Count;
        _delta = new int[states * _width];
        var fail = new int[states];
        var outputs = new List<int>[states];
        var queue = new Queue<int>();
        outputs[0] = own[0];
        foreach (var (symbol, child) in children[0])
        {
            _delta[symbol] = child;
            fail[child] = 0;
            queue.Enqueue(child);
        }
        while (queue.Count > 0)
        {
            var s = queue.Dequeue();
            outputs[s] = [.. own[s], .. outputs[fail[s]]];
            for (var a = 0; a < _width; a++)
            {
                if (children[s].TryGetValue(a, out var child))
                {
                    fail[child] = _delta[fail[s] * _width + a];
                    _delta[s * _width + a] = child;
                    queue.Enqueue(child);
                }
                else _delta[s * _width + a] = _delta[fail[s] * _width + a];
            }
        }
        _outStart = new int[states + 1];
        var outList = new List<int>();
        for (var s = 0; s < states; s++)
        {
            _outStart[s] = outList.Count;
            outList.AddRange(outputs[s]);
        }
        _outStart[states] = outList.Count;
        _outPatterns = outList.ToArray();
        checked { _ = states * _width; } // row offsets fit an int
        for (var i = 0; i < _delta.Length; i++)
        {
            var target = _delta[i];
            var row = target * _width;
            _delta[i] = outputs[target].Count > 0 ? ~row : row;
        }
    }

    /// <summary>Sets the member bit of every pattern found in <paramref name="text"/> (folded) with its anchoring.</summary>
    public void Scan(ReadOnlySpan<char> text, ulong[] bits)
    {
        var row = 0;
        var delta = _delta;
        var ascii = _ascii;
        var alphabet = _alphabet;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            var next = delta[row + (c < 128 ? ascii[c] : alphabet[c])];
            if (next >= 0) { row = next; continue; }
            row = ~next;
            Found(row / _width, i, text.Length, bits);
        }
    }

    /// <summary>The patterns ending at <paramref name="i"/> in state <paramref name="state"/>: their members' bits, when the anchoring holds.</summary>
    private void Found(int state, int i, int length, ulong[] bits)
    {
        for (var o = _outStart[state]; o < _outStart[state + 1]; o++)
        {
            var p = _outPatterns[o];
            var ok = _kinds[p] switch
            {
                AtomKind.Prefix => i + 1 == _lengths[p],
                AtomKind.Suffix => i == length - 1,
                AtomKind.Exact => i + 1 == _lengths[p] && i == length - 1,
                _ => true,
            };
            if (!ok) continue;
            for (var m = _memberStart[p]; m < _memberStart[p + 1]; m++)
            {
                var member = _members[m];
                bits[member >> 6] |= 1UL << member;
            }
        }
    }
}

namespace Redoubt.Detection.Engine;

/// <summary>
/// Aho-Corasick over folded text, compiled to a dense DFA (one table lookup per character) over a
/// compressed alphabet: the characters that occur in some pattern, every other character being
/// one "elsewhere" symbol. Finds every pattern occurrence in one pass, whatever the pattern count.
/// </summary>
public sealed class Automaton
{
    private readonly ushort[] _alphabet;
    private readonly int _width;
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
    }

    /// <summary>Sets the member bit of every pattern found in <paramref name="text"/> (folded) with its anchoring.</summary>
    public void Scan(ReadOnlySpan<char> text, ulong[] bits)
    {
        var state = 0;
        var delta = _delta;
        var alphabet = _alphabet;
        var width = _width;
        var outStart = _outStart;
        for (var i = 0; i < text.Length; i++)
        {
            state = delta[state * width + alphabet[text[i]]];
            var o = outStart[state];
            var end = outStart[state + 1];
            for (; o < end; o++)
            {
                var p = _outPatterns[o];
                var ok = _kinds[p] switch
                {
                    AtomKind.Prefix => i + 1 == _lengths[p],
                    AtomKind.Suffix => i == text.Length - 1,
                    AtomKind.Exact => i + 1 == _lengths[p] && i == text.Length - 1,
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
}

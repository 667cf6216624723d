using Redoubt.Detection.Matching;

namespace Redoubt.Detection.Engine;

public enum AtomKind : byte { Exact, Prefix, Suffix, Contains }

/// <summary>
/// A literal (folded) that some field must hold for a rule to have a chance of matching. FieldId is an
/// index into the Sigma field table, or -1 for a keyword (any value kept under FieldNames.Keywords).
/// </summary>
public readonly record struct Atom(int FieldId, AtomKind Kind, string Text);

/// <summary>
/// A rule's gate: atoms such that whenever the rule matches an event, at least one atom holds
/// (a necessary condition, so skipping rules whose atoms all fail never loses a match).
/// Derived from the compiled condition: an item gives its values' literals; AND takes its
/// cheapest gated child; OR needs every child gated; NOT and non-literal items give none.
/// A rule without a gate is evaluated for every event of its log sources.
/// </summary>
public sealed class GateBuilder
{
    private readonly Dictionary<(int, string), int> _frequency = [];

    /// <summary>First pass: how many rules use each literal, so gates prefer rare ones.</summary>
    public void Count(Node root)
    {
        foreach (var item in Items(root))
            if (ItemAtoms(item) is { } atoms)
                foreach (var a in atoms)
                    _frequency[(a.FieldId, a.Text)] = _frequency.GetValueOrDefault((a.FieldId, a.Text)) + 1;
    }

    public List<Atom>? Derive(Node node) => Derive(node, out _);

    private List<Atom>? Derive(Node node, out double cost)
    {
        cost = 0;
        switch (node)
        {
            case FieldItem item:
                var atoms = ItemAtoms(item);
                if (atoms is not null) cost = atoms.Sum(Cost);
                return atoms;
            case AndNode and:
            {
                List<Atom>? best = null;
                var bestCost = double.MaxValue;
                foreach (var c in and.Children)
                {
                    var g = Derive(c, out var cc);
                    if (g is not null && cc < bestCost) { best = g; bestCost = cc; }
                }
                cost = bestCost;
                return best;
            }
            case OrNode or:
            {
                var all = new List<Atom>();
                foreach (var c in or.Children)
                {
                    var g = Derive(c, out var cc);
                    if (g is null) return null;
                    all.AddRange(g);
                    cost += cc;
                }
                return all;
            }
            default:
                return null;
        }
    }

    private double Cost(Atom a)
    {
        var freq = _frequency.GetValueOrDefault((a.FieldId, a.Text), 1);
        // Short literals occur in most values; exact values are selective whatever their length.
        var shortness = a.Kind == AtomKind.Exact ? 0.5 : 64.0 / Math.Max(1, a.Text.Length * a.Text.Length);
        return freq + shortness * 10;
    }

    private static List<Atom>? ItemAtoms(FieldItem item)
    {
        // Keyword items (FieldId < 0) gate too: their values are matched against the Keywords slot, which the index scans like any field.
        if (item.Kind != ItemKind.Values || item.Negated || item.Values.Length == 0) return null;
        var atoms = new List<Atom>();
        foreach (var m in item.Values)
        {
            if (m is not StringMatcher s || AtomOf(item.FieldId, s) is not { } atom)
            {
                if (item.All) continue; // with `all`, any one value's literal is already necessary
                return null;
            }
            atoms.Add(atom);
        }
        if (atoms.Count == 0) return null;
        if (item.All) return [atoms.MaxBy(a => a.Text.Length)];
        return atoms;
    }

    private static Atom? AtomOf(int fieldId, StringMatcher s)
    {
        var g = s.Pattern;
        if (s.Cased) g = g.Map(Fold.String);
        if (g.IsPlain) return new Atom(fieldId, AtomKind.Exact, g.Literal);
        if (g.Pieces.Length == 1 && !g.HasAnyOne)
        {
            var p = g.Pieces[0];
            if (p.Length == 0) return null;
            if (!g.LeadingStar && g.TrailingStar) return new Atom(fieldId, AtomKind.Prefix, p);
            if (g.LeadingStar && !g.TrailingStar) return new Atom(fieldId, AtomKind.Suffix, p);
        }
        var longest = g.Pieces.SelectMany(p => p.Split(Glob.AnyOne)).MaxBy(p => p.Length) ?? "";
        return longest.Length == 0 ? null : new Atom(fieldId, AtomKind.Contains, longest);
    }

    private static IEnumerable<FieldItem> Items(Node node)
    {
        switch (node)
        {
            case FieldItem f: yield return f; break;
            case AndNode a: foreach (var c in a.Children) foreach (var i in Items(c)) yield return i; break;
            case OrNode o: foreach (var c in o.Children) foreach (var i in Items(c)) yield return i; break;
            case NotNode n: foreach (var i in Items(n.Child)) yield return i; break;
        }
    }
}

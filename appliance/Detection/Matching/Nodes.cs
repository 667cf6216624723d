using Redoubt.Detection.Events;

namespace Redoubt.Detection.Matching;

/// <summary>
/// What a node needs to evaluate one event: its values, and where each of the rule set's Sigma
/// field names lives for this event's log source (field mappings differ per source).
/// </summary>
public sealed class MatchContext(EventFields fields)
{
    public EventFields Fields { get; } = fields;
    /// <summary>Sigma field id → slot, for the log source the rule is evaluated under.</summary>
    public int[] SlotOf { get; set; } = [];
}

/// <summary>One field of one matched item, for the detection hit.</summary>
public readonly record struct MatchedField(string Field, string Value);

/// <summary>A compiled condition: evaluated per event without allocating.</summary>
public abstract class Node
{
    public abstract bool Eval(MatchContext ctx);

    /// <summary>Adds the fields that made this node true (called only on a hit; may allocate).</summary>
    public abstract void Explain(MatchContext ctx, List<MatchedField> into);
}

public sealed class AndNode(Node[] children) : Node
{
    public Node[] Children { get; } = children;

    public override bool Eval(MatchContext ctx)
    {
        foreach (var c in Children) if (!c.Eval(ctx)) return false;
        return true;
    }

    public override void Explain(MatchContext ctx, List<MatchedField> into)
    {
        foreach (var c in Children) c.Explain(ctx, into);
    }
}

public sealed class OrNode(Node[] children) : Node
{
    public Node[] Children { get; } = children;

    public override bool Eval(MatchContext ctx)
    {
        foreach (var c in Children) if (c.Eval(ctx)) return true;
        return false;
    }

    public override void Explain(MatchContext ctx, List<MatchedField> into)
    {
        foreach (var c in Children)
            if (c.Eval(ctx)) { c.Explain(ctx, into); return; }
    }
}

public sealed class NotNode(Node child) : Node
{
    public Node Child { get; } = child;
    public override bool Eval(MatchContext ctx) => !Child.Eval(ctx);
    public override void Explain(MatchContext ctx, List<MatchedField> into) { }
}

/// <summary>`N of` a group (Sigma allows 1 and all; `all` is an AndNode).</summary>
public sealed class ConstNode(bool value) : Node
{
    public override bool Eval(MatchContext ctx) => value;
    public override void Explain(MatchContext ctx, List<MatchedField> into) { }
}

public enum ItemKind : byte { Values, Null, Exists, FieldRef }

/// <summary>
/// One `field|modifiers: values` item. Values are OR-ed (AND-ed with `all`); an event value list
/// matches when any value does; `neq` negates the whole item.
/// </summary>
public sealed class FieldItem : Node
{
    public required string FieldName { get; init; }
    /// <summary>Index into the rule set's Sigma field table; <see cref="FieldNames.Keywords"/> items use -1.</summary>
    public required int FieldId { get; init; }
    public ItemKind Kind { get; init; }
    public ValueMatcher[] Values { get; init; } = [];
    public bool All { get; init; }
    public bool Negated { get; init; }
    public bool ExistsExpected { get; init; }
    /// <summary>For fieldref: the other field's id and how the values compare.</summary>
    public int RefFieldId { get; init; } = -1;
    public string? RefFieldName { get; init; }
    public FieldRefShape RefShape { get; init; }
    public bool Cased { get; init; }

    private int Slot(MatchContext ctx) => FieldId < 0 ? FieldNames.Keywords : ctx.SlotOf[FieldId];

    public override bool Eval(MatchContext ctx) => Negated ? !Raw(ctx) : Raw(ctx);

    private bool Raw(MatchContext ctx)
    {
        var fields = ctx.Fields;
        var slot = Slot(ctx);
        switch (Kind)
        {
            case ItemKind.Exists:
                return fields.Has(slot) == ExistsExpected;
            case ItemKind.Null:
                for (var e = fields.First(slot); e >= 0; e = fields.Next(e))
                    if (fields.KindOf(e) != ValueKind.Null) return false;
                return true;
            case ItemKind.FieldRef:
                return FieldRefMatch(ctx, fields, slot);
        }
        if (All)
        {
            foreach (var m in Values)
                if (!AnyValue(fields, slot, m)) return false;
            return true;
        }
        for (var e = fields.First(slot); e >= 0; e = fields.Next(e))
            foreach (var m in Values)
                if (m.Match(fields, e)) return true;
        return false;
    }

    private static bool AnyValue(EventFields fields, int slot, ValueMatcher m)
    {
        for (var e = fields.First(slot); e >= 0; e = fields.Next(e))
            if (m.Match(fields, e)) return true;
        return false;
    }

    private bool FieldRefMatch(MatchContext ctx, EventFields fields, int slot)
    {
        var other = ctx.SlotOf[RefFieldId];
        for (var a = fields.First(slot); a >= 0; a = fields.Next(a))
        {
            if (fields.KindOf(a) == ValueKind.Null) continue;
            var left = Cased ? fields.Text(a) : fields.Folded(a);
            for (var b = fields.First(other); b >= 0; b = fields.Next(b))
            {
                if (fields.KindOf(b) == ValueKind.Null) continue;
                var right = Cased ? fields.Text(b) : fields.Folded(b);
                var ok = RefShape switch
                {
                    FieldRefShape.Exact => left.SequenceEqual(right),
                    FieldRefShape.Prefix => left.StartsWith(right, StringComparison.Ordinal),
                    FieldRefShape.Suffix => left.EndsWith(right, StringComparison.Ordinal),
                    _ => left.IndexOf(right, StringComparison.Ordinal) >= 0,
                };
                if (ok) return true;
            }
        }
        return false;
    }

    public override void Explain(MatchContext ctx, List<MatchedField> into)
    {
        if (!Eval(ctx)) return;
        var fields = ctx.Fields;
        var slot = Slot(ctx);
        var name = FieldId < 0 ? "keywords" : FieldName;
        var first = fields.First(slot);
        if (Kind == ItemKind.Values && !Negated)
        {
            for (var e = first; e >= 0; e = fields.Next(e))
                foreach (var m in Values)
                    if (m.Match(fields, e)) { into.Add(new MatchedField(name, fields.Text(e).ToString())); return; }
        }
        into.Add(new MatchedField(name, first >= 0 ? fields.Text(first).ToString() : ""));
    }
}

public enum FieldRefShape : byte { Exact, Prefix, Suffix, Contains }

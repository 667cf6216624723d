using Redoubt.Detection.Matching;
using Redoubt.Storage.Graph;

namespace Redoubt.Graph.Extraction;

/// <summary>How a rule reads values out of one field before its nodes are built: token patterns or CSV columns.</summary>
public sealed class RuleParse
{
    /// <summary>Slot of the field parsed (redoubt.message unless the rule names another).</summary>
    public required int FieldSlot { get; init; }
    public required string FieldName { get; init; }
    /// <summary>Tried in order; the first that matches gives the captures.</summary>
    public IReadOnlyList<TokenPattern> Patterns { get; init; } = [];
    /// <summary>Per pattern, capture index → slot.</summary>
    public IReadOnlyList<int[]> PatternSlots { get; init; } = [];
    /// <summary>CSV column slots (-1 = not kept), when the rule splits the field at commas.</summary>
    public int[]? CsvSlots { get; init; }
}

/// <summary>A node a rule builds: its kind, key template, optional properties, and whether it repeats per list value.</summary>
public sealed class RuleNode
{
    public required string Name { get; init; }
    public required NodeKind Kind { get; init; }
    public required KeyTemplate Key { get; init; }
    public IReadOnlyList<(string Name, KeyTemplate Value)> Properties { get; init; } = [];
    /// <summary>Slot whose every value gives one node (a list: DNS answers), or -1.</summary>
    public int EachSlot { get; init; } = -1;
    /// <summary>For <see cref="EachSlot"/>: a separator inside one value ("a;b;c"), or null.</summary>
    public string? EachSplit { get; init; }
}

public sealed class RuleEdge
{
    public required int From { get; init; }
    public required EdgeType Type { get; init; }
    public required int To { get; init; }
    public Node? Where { get; init; }
    public required int Line { get; init; }
}

/// <summary>Counters of one rule since start (single writer: the graph applier task).</summary>
public sealed class RuleCounters
{
    /// <summary>Events its when (and unless) selected.</summary>
    public long Matched;
    /// <summary>Selected events its patterns or columns could not read.</summary>
    public long Unparsed;
    /// <summary>Read events its where clause left out.</summary>
    public long Filtered;
    /// <summary>Events that gave at least one edge.</summary>
    public long Extracted;
    /// <summary>Edges observed.</summary>
    public long Edges;
    /// <summary>Edges left out because one end had no usable value (an address that was "-", a port that was not a number...).</summary>
    public long Incomplete;
}

/// <summary>One compiled extraction rule (docs/graph.md, "Extraction rules").</summary>
public sealed class ExtractionRule
{
    public required string Id { get; init; }
    public string? Description { get; init; }
    public required string File { get; init; }
    public required int Line { get; init; }
    public required Node When { get; init; }
    public Node? Unless { get; init; }
    public RuleParse? Parse { get; init; }
    public Node? Where { get; init; }
    public required RuleNode[] Nodes { get; init; }
    public required RuleEdge[] Edges { get; init; }
    /// <summary>Sigma field id → slot for where clauses: the rule's captures shadow event fields of the same name.</summary>
    public int[] SlotOf { get; set; } = [];
    /// <summary>Sigma field id → slot for when and unless, which see the event's own fields only.</summary>
    public int[] EventSlotOf { get; set; } = [];
    public RuleCounters Counters { get; } = new();
}

/// <summary>A rule or file that did not load, and why.</summary>
public sealed record ExtractionLoadError(string File, int Line, string? Rule, string Message);

using Redoubt.Detection.Matching;
using Redoubt.Detection.Rules;
using YamlDotNet.RepresentationModel;

namespace Redoubt.Detection.Compile;

/// <summary>
/// A rule's `detection` section compiled: each search identifier to a node (maps AND their items,
/// lists OR their elements, plain lists are keywords), then the condition over them.
/// </summary>
public static class RuleCompiler
{
    public static Node CompileDetection(YamlMappingNode detection, CompileContext ctx, params string[] skipKeys)
    {
        var selections = new Dictionary<string, Node>(StringComparer.Ordinal);
        var order = new List<string>();
        YamlNode? condition = null;
        foreach (var (k, v) in detection.Children)
        {
            var key = (k as YamlScalarNode)?.Value
                ?? throw new RuleException(ErrorCodes.InvalidField, "a search identifier must be a name").At(k.Start);
            if (key == "condition") { condition = v; continue; }
            if (skipKeys.Contains(key)) continue;
            if (key == "timeframe")
                throw new RuleException(ErrorCodes.Unsupported, "'timeframe' belongs to Sigma v1 aggregations; use a correlation rule").At(k.Start);
            selections[key] = Selection(v, ctx);
            order.Add(key);
        }
        if (condition is null)
            throw new RuleException(ErrorCodes.MissingField, "detection has no 'condition'").At(detection.Start);

        var conditions = condition switch
        {
            YamlScalarNode { Value: { } text } => [(text, condition)],
            YamlSequenceNode seq => seq.Children.Select(c => ((c as YamlScalarNode)?.Value
                ?? throw new RuleException(ErrorCodes.ConditionSyntax, "each condition must be text").At(c.Start), c)).ToList(),
            _ => throw new RuleException(ErrorCodes.ConditionSyntax, "condition must be text or a list of texts").At(condition.Start),
        };
        var nodes = new List<Node>();
        foreach (var (text, node) in conditions)
        {
            try { nodes.Add(Resolve(ConditionParser.Parse(text), selections, order)); }
            catch (RuleException e) { throw e.At(node.Start); }
        }
        return nodes.Count == 1 ? nodes[0] : new OrNode(nodes.ToArray()); // a list of conditions is OR-ed
    }

    public static Node Selection(YamlNode value, CompileContext ctx)
    {
        switch (value)
        {
            case YamlMappingNode map:
                return Map(map, ctx);
            case YamlSequenceNode seq:
            {
                if (seq.Children.Count == 0) throw new RuleException(ErrorCodes.InvalidValue, "a selection list is empty").At(seq.Start);
                var keywords = seq.Children.Where(c => c is YamlScalarNode).ToList();
                var parts = new List<Node>();
                if (keywords.Count > 0)
                    parts.Add(ItemCompiler.Compile("", keywords, keywords[0].Start, keywords: true, ctx));
                foreach (var child in seq.Children)
                {
                    if (child is YamlMappingNode m) parts.Add(Map(m, ctx));
                    else if (child is YamlSequenceNode)
                        throw new RuleException(ErrorCodes.InvalidValue, "a selection list cannot hold lists").At(child.Start);
                }
                return parts.Count == 1 ? parts[0] : new OrNode(parts.ToArray());
            }
            case YamlScalarNode:
                return ItemCompiler.Compile("", [value], value.Start, keywords: true, ctx);
            default:
                throw new RuleException(ErrorCodes.InvalidValue, "a selection must be a map or a list").At(value.Start);
        }
    }

    private static Node Map(YamlMappingNode map, CompileContext ctx)
    {
        if (map.Children.Count == 0) throw new RuleException(ErrorCodes.InvalidValue, "a selection map is empty").At(map.Start);
        var items = new List<Node>();
        foreach (var (k, v) in map.Children)
        {
            var key = (k as YamlScalarNode)?.Value
                ?? throw new RuleException(ErrorCodes.InvalidField, "a field name must be text").At(k.Start);
            try { items.Add(ItemCompiler.Compile(key, v, keywords: false, ctx)); }
            catch (RuleException e) { throw e.At(k.Start); }
        }
        return items.Count == 1 ? items[0] : new AndNode(items.ToArray());
    }

    private static Node Resolve(Cond cond, Dictionary<string, Node> selections, List<string> order) => cond switch
    {
        CondAnd a => Flatten<AndNode>(Resolve(a.Left, selections, order), Resolve(a.Right, selections, order)),
        CondOr o => Flatten<OrNode>(Resolve(o.Left, selections, order), Resolve(o.Right, selections, order)),
        CondNot n => new NotNode(Resolve(n.Inner, selections, order)),
        CondRef r => selections.TryGetValue(r.Name, out var node) ? node
            : throw new RuleException(ErrorCodes.UnknownSelection,
                $"condition names '{r.Name}', which is not a search identifier of this rule ({string.Join(", ", order)})"),
        CondOf of => Of(of, selections, order),
        _ => throw new InvalidOperationException(),
    };

    private static Node Of(CondOf of, Dictionary<string, Node> selections, List<string> order)
    {
        var names = of.Pattern == "them"
            ? order.Where(n => !n.StartsWith('_')).ToList()
            : order.Where(n => Glob.Parse(of.Pattern).IsMatch(n)).ToList();
        if (names.Count == 0)
            throw new RuleException(ErrorCodes.UnknownSelection, $"'{(of.All ? "all" : "1")} of {of.Pattern}' matches no search identifier of this rule");
        var nodes = names.Select(n => selections[n]).ToArray();
        return nodes.Length == 1 ? nodes[0] : of.All ? new AndNode(nodes) : new OrNode(nodes);
    }

    private static Node Flatten<T>(Node left, Node right) where T : Node
    {
        var list = new List<Node>();
        foreach (var n in (Node[])[left, right])
        {
            if (n is T && n is AndNode and0 && typeof(T) == typeof(AndNode)) list.AddRange(and0.Children);
            else if (n is T && n is OrNode or0 && typeof(T) == typeof(OrNode)) list.AddRange(or0.Children);
            else list.Add(n);
        }
        return typeof(T) == typeof(AndNode) ? new AndNode(list.ToArray()) : new OrNode(list.ToArray());
    }
}

using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Redoubt.Detection.Matching;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Redoubt.Detection.Compile;

/// <summary>
/// Compiles one detection item (`Field|mod|mod: value or list`) into a node, applying the value
/// modifiers of the Sigma modifiers appendix (v2.1) in the order written, as pySigma does.
/// Every modifier either works exactly or the rule fails to load with the reason.
/// </summary>
public static class ItemCompiler
{
    private const int MaxWindashVariants = 625;

    private enum Op { Eq, Lt, Lte, Gt, Gte, Time }

    /// <summary>One value flowing through the modifier chain.</summary>
    private abstract record Val;
    private sealed record StrVal(List<GlobToken> Tokens, byte[]? Bytes = null, string? Raw = null) : Val
    {
        public bool Plain => Tokens.All(t => t.Kind == GlobTokenKind.Text);
        public string Text => string.Concat(Tokens.Select(t => t.Text));
    }
    private sealed record NumVal(double Number, string Text) : Val;
    private sealed record BoolVal(bool Value) : Val;
    private sealed record NullVal : Val;
    private sealed record RegexVal(string Pattern) : Val;
    private sealed record CidrVal(string Text) : Val;
    private sealed record RefVal(string Field) : Val;

    private sealed class State
    {
        public bool All, Negated, Cased, Contains, Starts, Ends, Exists, Ignorecase, Multiline, Dotall;
        public Op Op = Op.Eq;
        public TimePart Part;
        public readonly List<string> Applied = [];
    }

    public static Node Compile(string key, YamlNode value, bool keywords, CompileContext ctx) =>
        Compile(key, value is YamlSequenceNode seq ? seq.Children.ToList() : [value], value.Start, keywords, ctx);

    public static Node Compile(string key, IReadOnlyList<YamlNode> nodes, Mark at, bool keywords, CompileContext ctx)
    {
        var parts = key.Split('|');
        var field = parts[0];
        if (!keywords && field.Length == 0) keywords = true; // `'|all': [...]` is a keyword list with modifiers
        var values = nodes.Select(ScalarValue).ToList();
        if (values.Count == 0) throw new RuleException(ErrorCodes.InvalidValue, $"'{key}' has an empty list of values").At(at);

        var st = new State();
        try
        {
            foreach (var raw in parts.Skip(1))
            {
                var mod = raw.Trim();
                values = Apply(mod, values, st, ctx, keywords);
                st.Applied.Add(mod);
            }
        }
        catch (RuleException e) { throw e.At(at); }

        if (keywords && !st.Contains && !st.Starts && !st.Ends)
            values = values.Select(v => v is StrVal or NumVal or BoolVal ? Wrap(AsString(v, "keyword"), true, true) : v).ToList(); // a keyword is found anywhere in the event

        return Build(field, keywords, values, st, ctx, at);
    }

    private static Val ScalarValue(YamlNode node)
    {
        if (node is not YamlScalarNode s)
            throw new RuleException(ErrorCodes.InvalidValue, "a value must be a string, number, boolean or null, not a nested structure").At(node.Start);
        var text = s.Value ?? "";
        if (s.Style is ScalarStyle.Plain or ScalarStyle.Any)
        {
            if (text is "" or "~" or "null" or "Null" or "NULL") return new NullVal();
            if (text is "true" or "True" or "TRUE") return new BoolVal(true);
            if (text is "false" or "False" or "FALSE") return new BoolVal(false);
            if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n)) return new NumVal(n, text);
            if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && text.Any(char.IsDigit)) return new NumVal(d, text);
        }
        return new StrVal(Glob.Tokenize(text), Raw: text);
    }

    private static StrVal AsString(Val v, string mod) => v switch
    {
        StrVal s => s,
        NumVal n => new StrVal([new GlobToken(GlobTokenKind.Text, n.Text)]),
        BoolVal b => new StrVal([new GlobToken(GlobTokenKind.Text, b.Value ? "true" : "false")]),
        _ => throw new RuleException(ErrorCodes.InvalidModifier, $"'{mod}' applies to strings, not to {Describe(v)}"),
    };

    private static string Describe(Val v) => v switch
    {
        NullVal => "null",
        RegexVal => "a regular expression",
        CidrVal => "a CIDR block",
        RefVal => "a field reference",
        BoolVal => "a boolean",
        NumVal => "a number",
        _ => "a string",
    };

    private static StrVal Wrap(StrVal s, bool start, bool end)
    {
        var tokens = new List<GlobToken>(s.Tokens);
        if (start && (tokens.Count == 0 || tokens[0].Kind != GlobTokenKind.Star)) tokens.Insert(0, new GlobToken(GlobTokenKind.Star, "*"));
        if (end && (tokens.Count == 0 || tokens[^1].Kind != GlobTokenKind.Star)) tokens.Add(new GlobToken(GlobTokenKind.Star, "*"));
        return new StrVal(tokens);
    }

    private static List<Val> Apply(string mod, List<Val> values, State st, CompileContext ctx, bool keywords)
    {
        switch (mod)
        {
            case "all": st.All = true; return values;
            case "neq": st.Negated = true; return values;
            case "cased": st.Cased = true; values.ForEach(v => AsString(v, mod)); return values;
            case "contains":
            case "startswith":
            case "endswith":
            {
                var start = mod is "contains" or "endswith";
                var end = mod is "contains" or "startswith";
                st.Contains |= mod == "contains"; st.Starts |= mod == "startswith"; st.Ends |= mod == "endswith";
                return values.Select(v => v switch
                {
                    RegexVal r => (Val)new RegexVal(RegexAnchors(r.Pattern, start, end)),
                    RefVal => v,
                    _ => Wrap(AsString(v, mod), start, end),
                }).ToList();
            }
            case "exists":
                if (st.Applied.Count > 0) throw new RuleException(ErrorCodes.InvalidModifier, "'exists' must be the only modifier");
                if (keywords) throw new RuleException(ErrorCodes.InvalidModifier, "'exists' needs a field name");
                if (values is not [BoolVal]) throw new RuleException(ErrorCodes.InvalidValue, "'exists' takes one value, true or false");
                st.Exists = true;
                return values;
            case "re":
                if (st.Applied.Count > 0) throw new RuleException(ErrorCodes.InvalidModifier, "'re' must come first: it applies to the value as written");
                return values.Select(v => (Val)new RegexVal(v is StrVal { Raw: { } raw } ? raw : AsString(v, mod).Text)).ToList();
            case "i": case "ignorecase":
            case "m": case "multiline":
            case "s": case "dotall":
                if (!values.All(v => v is RegexVal)) throw new RuleException(ErrorCodes.InvalidModifier, $"'{mod}' is a flag of 're' and must follow it");
                if (mod[0] == 'i') st.Ignorecase = true; else if (mod[0] == 'm') st.Multiline = true; else st.Dotall = true;
                return values;
            case "cidr":
                if (st.Applied.Count > 0) throw new RuleException(ErrorCodes.InvalidModifier, "'cidr' must come first");
                return values.Select(v => (Val)new CidrVal(AsString(v, mod).Text)).ToList();
            case "fieldref":
                return values.Select(v =>
                {
                    var s = AsString(v, mod);
                    if (!s.Plain) throw new RuleException(ErrorCodes.InvalidValue, "a field reference cannot contain wildcards");
                    return (Val)new RefVal(s.Text);
                }).ToList();
            case "gt": case "gte": case "lt": case "lte":
                st.Op = mod switch { "gt" => Op.Gt, "gte" => Op.Gte, "lt" => Op.Lt, _ => Op.Lte };
                return values.Select(v => v switch
                {
                    NumVal => v,
                    StrVal s when s.Plain && Numbers.TryParse(s.Text, out var d) => new NumVal(d, s.Text),
                    _ => throw new RuleException(ErrorCodes.InvalidValue, $"'{mod}' compares numbers; {Describe(v)} is not one"),
                }).ToList();
            case "minute": case "hour": case "day": case "week": case "month": case "year":
                st.Op = Op.Time;
                st.Part = Enum.Parse<TimePart>(mod, ignoreCase: true);
                return values.Select(v => v is NumVal ? v : throw new RuleException(ErrorCodes.InvalidValue, $"'{mod}' compares with a whole number")).ToList();
            case "wide": case "utf16le": case "utf16be": case "utf16":
                return values.Select(v => (Val)Utf16(AsString(v, mod), mod)).ToList();
            case "base64":
                return values.Select(v => (Val)Base64(AsString(v, mod), mod)).ToList();
            case "base64offset":
                return values.SelectMany(v => Base64Offset(AsString(v, mod))).ToList();
            case "windash":
                return values.SelectMany(v => Windash(AsString(v, mod))).ToList();
            case "expand":
                return values.SelectMany(v => Expand(AsString(v, mod), ctx)).ToList();
            default:
                throw new RuleException(ErrorCodes.UnknownModifier, $"unknown modifier '{mod}'");
        }
    }

    /// <summary>contains/startswith/endswith on a regex: wrap alternations, open the ends (pySigma's rules).</summary>
    private static string RegexAnchors(string pattern, bool start, bool end)
    {
        if (HasTopLevelAlternation(pattern)) pattern = "(?:" + pattern + ")";
        if (start && !pattern.StartsWith(".*", StringComparison.Ordinal) && !pattern.StartsWith('^')) pattern = ".*" + pattern;
        if (end && !EndsUnescaped(pattern, ".*") && !EndsUnescaped(pattern, "$")) pattern += ".*";
        return pattern;
    }

    private static bool EndsUnescaped(string p, string suffix)
    {
        if (!p.EndsWith(suffix, StringComparison.Ordinal)) return false;
        var head = p[..^suffix.Length];
        return (head.Length - head.TrimEnd('\\').Length) % 2 == 0;
    }

    private static bool HasTopLevelAlternation(string p)
    {
        var depth = 0;
        var inClass = false;
        for (var i = 0; i < p.Length; i++)
        {
            var c = p[i];
            if (c == '\\') { i++; continue; }
            if (inClass) { if (c == ']') inClass = false; continue; }
            if (c == '[') { inClass = true; if (i + 1 < p.Length && p[i + 1] == '^') i++; if (i + 1 < p.Length && p[i + 1] == ']') i++; }
            else if (c == '(') depth++;
            else if (c == ')') depth--;
            else if (c == '|' && depth == 0) return true;
        }
        return false;
    }

    private static StrVal Utf16(StrVal s, string mod)
    {
        if (!s.Plain) throw new RuleException(ErrorCodes.InvalidValue, $"'{mod}' cannot encode a value with wildcards");
        var text = s.Text;
        var bytes = mod switch
        {
            "utf16be" => Encoding.BigEndianUnicode.GetBytes(text),
            "utf16" => [0xFF, 0xFE, .. Encoding.Unicode.GetBytes(text)],
            _ => Encoding.Unicode.GetBytes(text),
        };
        // As text, each byte is one character (what a field holding these bytes would show).
        return new StrVal([new GlobToken(GlobTokenKind.Text, Encoding.Latin1.GetString(bytes))], bytes);
    }

    private static byte[] BytesOf(StrVal s, string mod)
    {
        if (!s.Plain) throw new RuleException(ErrorCodes.InvalidValue, $"'{mod}' cannot encode a value with wildcards");
        return s.Bytes ?? Encoding.UTF8.GetBytes(s.Text);
    }

    private static StrVal Base64(StrVal s, string mod) =>
        new([new GlobToken(GlobTokenKind.Text, Convert.ToBase64String(BytesOf(s, mod)))]);

    /// <summary>The three encodings of a value at byte offsets 0, 1, 2 of the encoded stream, edges cut.</summary>
    private static IEnumerable<Val> Base64Offset(StrVal s)
    {
        var data = BytesOf(s, "base64offset");
        int[] startCut = [0, 2, 3];
        int[] endCut = [0, 3, 2];
        for (var i = 0; i < 3; i++)
        {
            var encoded = Convert.ToBase64String([.. new byte[i].Select(_ => (byte)' '), .. data]);
            var end = encoded.Length - endCut[(data.Length + i) % 3];
            var start = startCut[i];
            var piece = end > start ? encoded[start..end] : "";
            yield return new StrVal([new GlobToken(GlobTokenKind.Text, piece)]);
        }
    }

    private static readonly Regex WindashSpot = new(@"\B[-/]\b", RegexOptions.CultureInvariant);
    private static readonly string[] Dashes = ["-", "/", "\u2013", "\u2014", "\u2015"];

    /// <summary>Every `-` or `/` that starts a word becomes each of - / en dash, em dash, horizontal bar.</summary>
    private static IEnumerable<Val> Windash(StrVal s)
    {
        var variants = new List<List<GlobToken>> { new() };
        foreach (var token in s.Tokens)
        {
            if (token.Kind != GlobTokenKind.Text) { variants.ForEach(v => v.Add(token)); continue; }
            var pieces = new List<string[]>();
            var last = 0;
            foreach (Match m in WindashSpot.Matches(token.Text))
            {
                pieces.Add([token.Text[last..m.Index]]);
                pieces.Add(Dashes);
                last = m.Index + 1;
            }
            pieces.Add([token.Text[last..]]);
            foreach (var choice in pieces)
            {
                if (choice.Length == 1) { variants.ForEach(v => v.Add(new GlobToken(GlobTokenKind.Text, choice[0]))); continue; }
                variants = variants.SelectMany(v => choice.Select(c => new List<GlobToken>(v) { new(GlobTokenKind.Text, c) })).ToList();
                if (variants.Count > MaxWindashVariants)
                    throw new RuleException(ErrorCodes.Unsupported, $"'windash' on '{s.Text}' expands to more than {MaxWindashVariants} variants");
            }
        }
        return variants.Select(v => (Val)new StrVal(v));
    }

    private static readonly Regex PlaceholderSpot = new(@"(?<!\\)%([^%\s]+)%", RegexOptions.CultureInvariant);

    /// <summary>`%name%` becomes each configured value of that placeholder (several placeholders: every combination).</summary>
    private static IEnumerable<Val> Expand(StrVal s, CompileContext ctx)
    {
        var results = new List<List<GlobToken>> { new() };
        foreach (var token in s.Tokens)
        {
            if (token.Kind != GlobTokenKind.Text) { results.ForEach(r => r.Add(token)); continue; }
            var last = 0;
            var text = token.Text;
            foreach (Match m in PlaceholderSpot.Matches(text))
            {
                var before = text[last..m.Index].Replace("\\%", "%");
                results.ForEach(r => r.Add(new GlobToken(GlobTokenKind.Text, before)));
                var name = m.Groups[1].Value;
                if (!ctx.Placeholders.TryGetValue(name, out var replacements) || replacements.Count == 0)
                    throw new RuleException(ErrorCodes.UndefinedPlaceholder,
                        $"placeholder %{name}% has no values: set Detection:Placeholders:{name} in the configuration");
                results = results.SelectMany(r => replacements.Select(rep => new List<GlobToken>(r).Concat(Glob.Tokenize(rep)).ToList())).ToList();
                last = m.Index + m.Length;
            }
            var rest = text[last..].Replace("\\%", "%");
            results.ForEach(r => r.Add(new GlobToken(GlobTokenKind.Text, rest)));
        }
        return results.Select(r => (Val)new StrVal(r));
    }

    private static Node Build(string field, bool keywords, List<Val> values, State st, CompileContext ctx, Mark at)
    {
        var fieldId = keywords ? -1 : ctx.Fields.Intern(field);
        var name = keywords ? "" : field;
        if (st.Exists)
            return new FieldItem { FieldName = name, FieldId = fieldId, Kind = ItemKind.Exists, ExistsExpected = ((BoolVal)values[0]).Value };

        var nulls = values.Count(v => v is NullVal);
        if (nulls > 0 && st.Applied.Count > 0 && !(st.Applied is ["neq"] or ["all"]))
            throw new RuleException(ErrorCodes.InvalidModifier, "null cannot be combined with value modifiers").At(at);
        var refs = values.OfType<RefVal>().ToList();
        if (refs.Count > 0)
        {
            if (keywords) throw new RuleException(ErrorCodes.InvalidModifier, "'fieldref' needs a field name").At(at);
            if (refs.Count != values.Count) throw new RuleException(ErrorCodes.InvalidValue, "a field reference list cannot mix other values").At(at);
            var shape = st.Contains ? FieldRefShape.Contains : st.Starts ? FieldRefShape.Prefix : st.Ends ? FieldRefShape.Suffix : FieldRefShape.Exact;
            var items = refs.Select(r => (Node)new FieldItem
            {
                FieldName = name, FieldId = fieldId, Kind = ItemKind.FieldRef, RefFieldId = ctx.Fields.Intern(r.Field),
                RefFieldName = r.Field, RefShape = shape, Cased = st.Cased,
            }).ToArray();
            Node combined = items.Length == 1 ? items[0] : st.All ? new AndNode(items) : new OrNode(items);
            return st.Negated ? new NotNode(combined) : combined;
        }

        var matchers = values.Where(v => v is not NullVal).Select(v => Matcher(v, st, at)).ToArray();
        var parts = new List<Node>();
        if (matchers.Length > 0)
            parts.Add(new FieldItem { FieldName = name, FieldId = fieldId, Values = matchers, All = st.All && matchers.Length > 1 });
        if (nulls > 0)
        {
            if (keywords) throw new RuleException(ErrorCodes.InvalidValue, "a keyword cannot be null").At(at);
            parts.Add(new FieldItem { FieldName = name, FieldId = fieldId, Kind = ItemKind.Null });
        }
        Node node = parts.Count == 1 ? parts[0] : st.All ? new AndNode(parts.ToArray()) : new OrNode(parts.ToArray());
        return st.Negated ? new NotNode(node) : node;
    }

    private static ValueMatcher Matcher(Val v, State st, Mark at)
    {
        try
        {
            switch (v)
            {
                case RegexVal r:
                    return new RegexMatcher(CompileRegex(r.Pattern, st), r.Pattern);
                case CidrVal c:
                    if (!IpText.TryParseNetwork(c.Text, out var net, out var mask, out var error))
                        throw new RuleException(ErrorCodes.InvalidValue, error!);
                    return new CidrMatcher(net, mask, c.Text);
                case NumVal n when st.Op == Op.Time:
                    return new TimePartMatcher(st.Part, (int)n.Number);
                case NumVal n when st.Op != Op.Eq:
                    return new NumberMatcher(st.Op switch { Op.Lt => CompareOp.Lt, Op.Lte => CompareOp.Lte, Op.Gt => CompareOp.Gt, _ => CompareOp.Gte }, n.Number);
                default:
                    if (st.Op != Op.Eq) throw new RuleException(ErrorCodes.InvalidValue, "comparison needs a number");
                    return new StringMatcher(Glob.FromTokens(AsString(v, "value").Tokens), st.Cased);
            }
        }
        catch (RuleException e) { throw e.At(at); }
    }

    private static readonly TimeSpan RegexBudget = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// Linear-time matching first (log content is untrusted; NonBacktracking cannot be made to
    /// backtrack catastrophically). Patterns that need backtracking features (lookaround,
    /// backreferences) fall back to the backtracking engine with a time budget per match.
    /// </summary>
    private static Regex CompileRegex(string pattern, State st)
    {
        var options = RegexOptions.CultureInvariant;
        if (st.Ignorecase) options |= RegexOptions.IgnoreCase;
        if (st.Multiline) options |= RegexOptions.Multiline;
        if (st.Dotall) options |= RegexOptions.Singleline;
        try
        {
            return new Regex(pattern, options | RegexOptions.NonBacktracking);
        }
        catch (NotSupportedException) { }
        catch (ArgumentException e) { throw new RuleException(ErrorCodes.InvalidRegex, $"regular expression '{pattern}': {e.Message}"); }
        try
        {
            return new Regex(pattern, options | RegexOptions.Compiled, RegexBudget);
        }
        catch (ArgumentException e) { throw new RuleException(ErrorCodes.InvalidRegex, $"regular expression '{pattern}': {e.Message}"); }
    }
}

using System.Text;
using Redoubt.Detection.Events;

namespace Redoubt.Graph.Extraction;

/// <summary>A filter applied to a value in a key template (<c>{user|user}</c>); null = the value cannot be used.</summary>
public delegate string? ValueFilter(ReadOnlySpan<char> value);

/// <summary>
/// A node key or property template, compiled once: literal text and <c>{name|filter|filter}</c> parts.
/// <c>{a,b|host}</c> takes the first of fields a, b that has a value (not empty, "-", N/A...).
/// A part with no usable value, or a filter that refuses it, makes the whole template unresolved.
/// </summary>
public sealed class KeyTemplate
{
    public static readonly IReadOnlyDictionary<string, ValueFilter> Filters = new Dictionary<string, ValueFilter>(StringComparer.Ordinal)
    {
        ["host"] = GraphKeys.Host,
        ["fqdn"] = GraphKeys.Fqdn,
        ["ip"] = v => GraphKeys.Ip(v),
        ["ip_any"] = v => GraphKeys.Ip(v, keepLocal: true),
        ["addr"] = GraphKeys.Address,
        ["user"] = GraphKeys.User,
        ["netbios"] = GraphKeys.NetBios,
        ["domain"] = GraphKeys.Domain,
        ["port"] = GraphKeys.Port,
        ["proto"] = GraphKeys.Protocol,
        ["lower"] = v => v.IsEmpty ? null : v.ToString().ToLowerInvariant(),
        ["word"] = v => { v = v.Trim(); var sp = v.IndexOf(' '); return (sp < 0 ? v : v[..sp]).ToString() is { Length: > 0 } w ? w : null; },
        ["unquote"] = v => { v = v.Trim(); if (v.Length >= 2 && v[0] is '"' or '\'' && v[^1] == v[0]) v = v[1..^1]; return v.IsEmpty ? null : v.ToString(); },
    };

    internal readonly record struct Part(string? Literal, int[] Slots, ValueFilter[] Filters);

    private readonly Part[] _parts;

    public string Text { get; }
    /// <summary>Field names the template reads (each part's fallbacks), for load-time slot allocation.</summary>
    public IReadOnlyList<string> Fields { get; }

    private KeyTemplate(string text, Part[] parts, IReadOnlyList<string> fields)
    {
        Text = text;
        _parts = parts;
        Fields = fields;
    }

    /// <summary>Compiles a template; <paramref name="slotOf"/> maps a field (or capture) name to its slot. Throws FormatException.</summary>
    public static KeyTemplate Compile(string text, Func<string, int> slotOf)
    {
        var parts = new List<Part>();
        var fields = new List<string>();
        var literal = new StringBuilder();
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c != '{')
            {
                if (c == '}') throw new FormatException($"'}}' at {i} closes nothing");
                literal.Append(c);
                continue;
            }
            var close = text.IndexOf('}', i + 1);
            if (close < 0) throw new FormatException($"'{{' at {i} is not closed");
            var spec = text[(i + 1)..close].Split('|', StringSplitOptions.TrimEntries);
            var names = spec[0].Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            if (names.Length == 0) throw new FormatException($"'{{{text[(i + 1)..close]}}}' names no field");
            var filters = new List<ValueFilter>();
            foreach (var f in spec.Skip(1))
            {
                if (!Filters.TryGetValue(f, out var filter))
                    throw new FormatException($"unknown filter '{f}' (known: {string.Join(", ", Filters.Keys)})");
                filters.Add(filter);
            }
            if (literal.Length > 0) { parts.Add(new Part(literal.ToString(), [], [])); literal.Clear(); }
            parts.Add(new Part(null, names.Select(slotOf).ToArray(), filters.ToArray()));
            fields.AddRange(names);
            i = close;
        }
        if (literal.Length > 0) parts.Add(new Part(literal.ToString(), [], []));
        if (!parts.Any(p => p.Literal is null)) throw new FormatException($"'{text}' reads no field: every event would give the same key");
        return new KeyTemplate(text, parts.ToArray(), fields);
    }

    /// <summary>The key for the event in <paramref name="fields"/>, or null. <paramref name="overrideSlot"/> reads <paramref name="overrideValue"/> instead (one value of a list).</summary>
    public string? Resolve(EventFields fields, StringBuilder scratch, int overrideSlot = -1, ReadOnlySpan<char> overrideValue = default)
    {
        if (_parts.Length == 1) return Value(_parts[0], fields, overrideSlot, overrideValue);
        scratch.Clear();
        foreach (var part in _parts)
        {
            if (part.Literal is { } lit) { scratch.Append(lit); continue; }
            if (Value(part, fields, overrideSlot, overrideValue) is not { } v) return null;
            scratch.Append(v);
        }
        return scratch.ToString();
    }

    private static string? Value(in Part part, EventFields fields, int overrideSlot, ReadOnlySpan<char> overrideValue)
    {
        foreach (var slot in part.Slots)
        {
            ReadOnlySpan<char> raw;
            if (slot == overrideSlot) raw = overrideValue;
            else
            {
                var entry = fields.First(slot);
                if (entry < 0) continue;
                raw = fields.Text(entry);
            }
            raw = raw.Trim();
            if (GraphKeys.IsMissing(raw)) continue;
            if (part.Filters.Length == 0) return raw.ToString();
            var value = part.Filters[0](raw);
            for (var f = 1; value is not null && f < part.Filters.Length; f++) value = part.Filters[f](value);
            if (value is { Length: > 0 }) return value;
            return null; // the field had a value and the filter refused it: do not fall back to another field
        }
        return null;
    }
}

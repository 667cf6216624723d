namespace Redoubt.Detection.Compile;

/// <summary>
/// The Sigma field names used by a rule set (as rules spell them, before log-source mapping),
/// each with an id. Per log source, ids map to the slots where that feed keeps the field.
/// </summary>
public sealed class FieldTable
{
    private readonly Dictionary<string, int> _ids = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<string> _names = [];

    public int Count => _names.Count;
    public IReadOnlyList<string> Names => _names;

    public int Intern(string name)
    {
        if (_ids.TryGetValue(name, out var id)) return id;
        id = _names.Count;
        _names.Add(name);
        _ids[name] = id;
        return id;
    }
}

/// <summary>What compiling needs besides the rule: the shared field table and configured placeholders.</summary>
public sealed class CompileContext(FieldTable fields, IReadOnlyDictionary<string, IReadOnlyList<string>> placeholders)
{
    public FieldTable Fields { get; } = fields;
    public IReadOnlyDictionary<string, IReadOnlyList<string>> Placeholders { get; } = placeholders;
}

using Redoubt.Detection.Compile;
using Redoubt.Detection.Engine;
using Redoubt.Detection.LogSources;
using Redoubt.Detection.Rules;
using Redoubt.Storage.State;
using MessagePack;

namespace Redoubt.Detection;

/// <summary>An admin's choice for one rule (state store collection "rule-state"): disabled rules are not evaluated.</summary>
[MessagePackObject]
public sealed class RuleStateRecord
{
    [Key(0)] public bool Enabled { get; set; } = true;
    [Key(1)] public string? ChangedBy { get; set; }
    [Key(2)] public long ChangedAtMs { get; set; }
}

/// <summary>The outcome of loading rules: what loaded, and every error.</summary>
public sealed record LoadResult(RuleSet Set, IReadOnlyList<RuleLoadError> Errors);

/// <summary>
/// Owns the current compiled rule set and swaps in a new one on reload or upload. Building
/// happens off the detection task; the swap is one reference write, so ingestion and detection
/// never stop (the detection task picks the new set up at its next event).
/// </summary>
public sealed class DetectionEngine
{
    private readonly DetectionOptions _options;
    private readonly string _uploadDir;
    private readonly ILogger<DetectionEngine> _logger;
    private readonly StateStore? _state;
    public const string RuleStateCollection = "rule-state";
    private readonly SemaphoreSlim _reloading = new(1, 1);
    private volatile RuleSet? _current;
    private readonly Task<RuleSet> _firstLoad;

    public const string UploadLabel = "uploaded";

    public DetectionEngine(DetectionOptions options, string dataDir, ILogger<DetectionEngine> logger, StateStore? state = null)
    {
        _options = options;
        _uploadDir = Path.Combine(dataDir, "rules", UploadLabel);
        _logger = logger;
        _state = state;
        // The log source map is read now, so a broken one still stops the start with its one-line
        // error. Reading and compiling the rules (seconds for the SigmaHQ set) runs beside the rest of
        // the start: ingestion is accepting and durable meanwhile, and the detection sink's first
        // event waits for the rules (it resumes from its checkpoint, so nothing goes unevaluated).
        var map = LogSourceMap.Load(_options.LogSourcesFile);
        _firstLoad = Task.Run(() =>
        {
            var set = Build(null, map).Set;
            Interlocked.CompareExchange(ref _current, set, null); // a reload or upload that finished first holds a newer set
            Log(set);
            return set;
        });
    }

    /// <summary>The rule set in force; until the first load has finished, waits for it.</summary>
    public RuleSet Current => _current ?? _firstLoad.GetAwaiter().GetResult();

    /// <summary>Completes when the rules read at start are compiled (health and start-up reporting).</summary>
    public Task FirstLoad => _firstLoad;
    public string? RulesFolder => _options.Rules;

    /// <summary>Re-reads the rules folder, the uploads and the log-source map; swaps in the result.</summary>
    public async Task<RuleSet> ReloadAsync()
    {
        await _reloading.WaitAsync();
        try
        {
            var set = await Task.Run(() => Build(null).Set);
            _current = set;
            Log(set);
            return set;
        }
        finally { _reloading.Release(); }
    }

    /// <summary>
    /// Adds (or replaces, by id) rules from uploaded YAML. Nothing is kept unless every rule and
    /// filter in the upload loads; the errors say why.
    /// </summary>
    public async Task<(IReadOnlyList<string> Loaded, IReadOnlyList<RuleLoadError> Errors)> UploadAsync(string yaml)
    {
        await _reloading.WaitAsync();
        try
        {
            var probe = SigmaReader.Read(yaml, UploadLabel);
            var ids = probe.Rules.Select(r => r.Id).Concat(probe.Filters.Select(f => f.Id)).Concat(probe.Correlations.Select(c => c.Id)).ToList();
            if (probe.Errors.Count > 0) return ([], probe.Errors);
            if (ids.Count == 0)
                return ([], [new RuleLoadError(UploadLabel, 0, 0, ErrorCodes.MissingField, "the upload holds no rule or filter", null, null)]);
            var name = FileNameFor(ids[0]);
            var label = Path.Combine(UploadLabel, name);
            var (set, errors) = await Task.Run(() => Build((label, yaml)));
            var own = errors.Where(e => e.File == label).ToList();
            if (own.Count > 0) return ([], own);
            Directory.CreateDirectory(_uploadDir);
            var path = Path.Combine(_uploadDir, name);
            await File.WriteAllTextAsync(path + ".tmp", yaml);
            File.Move(path + ".tmp", path, overwrite: true);
            _current = set;
            Log(set);
            return (ids, []);
        }
        finally { _reloading.Release(); }
    }

    private void ApplyRuleStates(RuleSet set)
    {
        if (_state is null) return;
        foreach (var r in set.Rules) r.Enabled = !_state.TryGet<RuleStateRecord>(RuleStateCollection, r.Rule.Id, out var s) || s.Enabled;
        foreach (var c in set.Correlations) c.Enabled = !_state.TryGet<RuleStateRecord>(RuleStateCollection, c.Rule.Id, out var s) || s.Enabled;
    }

    /// <summary>State of a rule or correlation as the admin set it (enabled unless disabled).</summary>
    public RuleStateRecord? RuleState(string id) =>
        _state is not null && _state.TryGet<RuleStateRecord>(RuleStateCollection, id, out var s) ? s : null;

    /// <summary>Enables or disables a loaded rule or correlation, durably; false when no loaded rule has the id.</summary>
    public async Task<bool> SetEnabledAsync(string id, bool enabled, string who)
    {
        if (_state is null) throw new InvalidOperationException("rule state needs the state store");
        await _reloading.WaitAsync();
        try
        {
            var set = Current;
            var rule = set.Rules.FirstOrDefault(r => r.Rule.Id == id);
            var correlation = set.Correlations.FirstOrDefault(c => c.Rule.Id == id);
            if (rule is null && correlation is null) return false;
            await _state.PutAsync(RuleStateCollection, id, new RuleStateRecord { Enabled = enabled, ChangedBy = who, ChangedAtMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() });
            if (rule is not null) rule.Enabled = enabled;
            if (correlation is not null) correlation.Enabled = enabled;
            _logger.LogInformation("rule {Id} {State} by {Who}", id, enabled ? "enabled" : "disabled", who);
            return true;
        }
        finally { _reloading.Release(); }
    }

    /// <summary>One folder, or several separated by ':' as in PATH.</summary>
    public static string[] Folders(string? rules) =>
        rules is null ? [] : rules.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static string FileNameFor(string id)
    {
        var safe = new string(id.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '_').ToArray());
        return safe + ".yml";
    }

    private LoadResult Build((string Label, string Yaml)? extra, LogSourceMap? loaded = null)
    {
        var map = loaded ?? LogSourceMap.Load(_options.LogSourcesFile);
        var files = new List<SigmaFile>();
        foreach (var folder in Folders(_options.Rules)) files.AddRange(RuleFolder.Read(folder));
        if (Directory.Exists(_uploadDir))
        {
            var uploads = RuleFolder.Read(_uploadDir, UploadLabel);
            if (extra is { } e) uploads.RemoveAll(f => f.Rules.Select(r => r.Id).Concat(f.Filters.Select(x => x.Id)).Concat(f.Correlations.Select(x => x.Id))
                .Any(id => Path.Combine(UploadLabel, FileNameFor(id)) == e.Label)); // re-upload replaces
            files.AddRange(uploads);
        }
        if (extra is { } x) files.Add(SigmaReader.Read(x.Yaml, x.Label));
        var placeholders = _options.Placeholders.ToDictionary(p => p.Key, p => (IReadOnlyList<string>)p.Value, StringComparer.Ordinal);
        var set = RuleSetBuilder.Build(map, files, placeholders);
        ApplyRuleStates(set);
        return new LoadResult(set, set.Errors);
    }

    private void Log(RuleSet set)
    {
        _logger.LogInformation("detection: {Loaded} rules and {Correlations} correlations loaded, {Failed} not loaded (GET /api/v1/rules lists why), {Sources} log sources from {Map}",
            set.RuleCount, set.Correlations.Count, set.Errors.Count, set.SourceCount, set.Map.Origin);
        foreach (var e in set.Errors.Take(20))
            _logger.LogWarning("rule not loaded: {File}:{Line}: {Code}: {Message}", e.File, e.Line, e.Code, e.Message);
    }
}

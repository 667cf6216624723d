using Redoubt.Detection.Compile;
using Redoubt.Detection.Events;
using Redoubt.Detection.LogSources;
using Redoubt.Detection.Matching;
using Redoubt.Detection.Rules;

namespace Redoubt.Detection.Engine;

/// <summary>A filter as loaded: the rules it found and the ones it named that are not loaded.</summary>
public sealed record FilterState(SigmaFilter Filter, IReadOnlyList<string> AppliedTo, IReadOnlyList<string> Missing);

/// <summary>
/// An immutable compiled rule set: log sources and rules compiled once, the slot table every event
/// is read into, and the literal indexes. Reloading builds a new set and swaps it in whole.
/// </summary>
public sealed class RuleSet
{
    internal sealed class Source
    {
        public required LogSourceEntry Entry;
        public required Node When;
        /// <summary>Sigma field id → slot, with this source's field names.</summary>
        public required int[] SlotOf;
        /// <summary>Rules that apply under this source (bitset over rule indices).</summary>
        public required ulong[] Rules;
        /// <summary>Some rule of this source uses keywords: its events keep every string value.</summary>
        public bool KeywordRules;
    }

    public required LogSourceMap Map { get; init; }
    public required IReadOnlyList<CompiledRule> Rules { get; init; }
    public required IReadOnlyList<RuleLoadError> Errors { get; init; }
    public required IReadOnlyList<FilterState> Filters { get; init; }
    public IReadOnlyList<Correlation.CompiledCorrelation> Correlations { get; init; } = [];
    public required FieldNames Slots { get; init; }
    public required FieldTable SigmaFields { get; init; }
    public DateTimeOffset LoadedAt { get; init; } = DateTimeOffset.UtcNow;
    /// <summary>Whether any rule uses keywords (then every string value of an event is kept).</summary>
    public bool Keywords { get; init; }

    internal Source[] Sources { get; init; } = [];
    internal int[] IdentitySlots { get; init; } = [];
    internal LiteralIndex SourceIndex { get; init; } = null!;
    internal ulong[] UngatedSources { get; init; } = [];
    internal LiteralIndex RuleIndex { get; init; } = null!;
    internal ulong[] UngatedRules { get; init; } = [];
    internal int[] EntitySlots { get; init; } = [];
    /// <summary>Slots of the fields IOCs are looked up in, with what each holds.</summary>
    internal (int Slot, string Field, Iocs.IocField Kind)[] IocSlots { get; init; } = [];
    /// <summary>A log source's own condition uses keywords, so every event must keep all string values.</summary>
    internal bool KeywordsInSources { get; init; }

    /// <summary>Entity name → field names that carry it, first present wins (Computer over the syslog host).</summary>
    public static readonly (string Entity, string[] Fields)[] EntityFields =
    [
        ("host", ["Computer", "Hostname", "host.name", "redoubt.host"]),
        ("user", ["User", "TargetUserName", "SubjectUserName", "user.name", "user"]),
        ("process", ["Image", "NewProcessName", "ProcessName", "exe", "process.executable"]),
        ("src_ip", ["SourceIp", "SourceAddress", "IpAddress", "src_ip", "id.orig_h", "source.ip"]),
        ("dst_ip", ["DestinationIp", "DestAddress", "dst_ip", "id.resp_h", "destination.ip"]),
    ];

    public int RuleCount => Rules.Count;
    public int SourceCount => Sources.Length;
    public int GatedRules => Rules.Count(r => r.Gate.Count > 0);
    public int IndexPatterns => RuleIndex.Patterns;
    public IEnumerable<(int Slot, int States, int Patterns, long Bytes)> RuleIndexDescribe() => RuleIndex.Describe();
    public long IndexBytes => RuleIndex.AutomatonBytes + SourceIndex.AutomatonBytes;
}

namespace Redoubt.Graph.Engine;

/// <summary>What a write sets on a node; null leaves a field as it is.</summary>
public sealed record NodeUpdate
{
    public Criticality? Criticality { get; init; }
    /// <summary>Flags to set (tags crown_jewel, internet_facing, compromised; known-exploited).</summary>
    public NodeFlags SetFlags { get; init; }
    public NodeFlags ClearFlags { get; init; }
    /// <summary>CVSS base score 0..10 of a Vulnerability.</summary>
    public double? Cvss { get; init; }
    /// <summary>Free-form tags other than the flag tags; replaces the node's list.</summary>
    public IReadOnlyList<string>? Tags { get; init; }
    /// <summary>String properties merged into the node's (a null value removes one).</summary>
    public IReadOnlyDictionary<string, string?>? Properties { get; init; }
    public long? FirstSeenMs { get; init; }
    public long? LastSeenMs { get; init; }
}

/// <summary>The tags that are flags, by their API names.</summary>
public static class NodeTags
{
    public const string CrownJewel = "crown_jewel";
    public const string InternetFacing = "internet_facing";
    public const string Compromised = "compromised";

    public static NodeFlags FlagOf(string tag) => tag.ToLowerInvariant() switch
    {
        CrownJewel => NodeFlags.CrownJewel,
        InternetFacing => NodeFlags.InternetFacing,
        Compromised => NodeFlags.Compromised,
        _ => NodeFlags.None,
    };

    /// <summary>Flag tags as names, in a fixed order.</summary>
    public static IEnumerable<string> Names(NodeFlags flags)
    {
        if ((flags & NodeFlags.CrownJewel) != 0) yield return CrownJewel;
        if ((flags & NodeFlags.InternetFacing) != 0) yield return InternetFacing;
        if ((flags & NodeFlags.Compromised) != 0) yield return Compromised;
    }
}

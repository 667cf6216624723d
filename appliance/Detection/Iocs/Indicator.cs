using MessagePack;

namespace Redoubt.Detection.Iocs;

/// <summary>Kinds of indicator. Stored and shown by name (<see cref="IocTypes"/>): never rename.</summary>
public enum IocType : byte { Ipv4 = 1, Ipv6 = 2, Cidr = 3, Domain = 4, Url = 5, Md5 = 6, Sha1 = 7, Sha256 = 8, Sha512 = 9 }

public static class IocTypes
{
    public static string Name(IocType t) => t switch
    {
        IocType.Ipv4 => "ipv4", IocType.Ipv6 => "ipv6", IocType.Cidr => "cidr", IocType.Domain => "domain",
        IocType.Url => "url", IocType.Md5 => "md5", IocType.Sha1 => "sha1", IocType.Sha256 => "sha256", _ => "sha512",
    };

    /// <summary>CSV type names (and common spellings) to a type.</summary>
    public static IocType? Parse(string text) => text.Trim().ToLowerInvariant() switch
    {
        "ip" or "ipv4" or "ipv4-addr" or "ip-dst" or "ip-src" => IocType.Ipv4,
        "ipv6" or "ipv6-addr" => IocType.Ipv6,
        "cidr" or "network" or "subnet" => IocType.Cidr,
        "domain" or "domain-name" or "hostname" or "fqdn" => IocType.Domain,
        "url" or "uri" => IocType.Url,
        "md5" => IocType.Md5,
        "sha1" or "sha-1" => IocType.Sha1,
        "sha256" or "sha-256" => IocType.Sha256,
        "sha512" or "sha-512" => IocType.Sha512,
        _ => null,
    };
}

/// <summary>One indicator of a list as stored (state store, MessagePack: keys frozen).</summary>
[MessagePackObject]
public sealed class Indicator
{
    [Key(0)] public IocType Type { get; set; }
    /// <summary>Normalized: lower-case hashes and domains, canonical addresses, CIDR as network/length.</summary>
    [Key(1)] public string Value { get; set; } = "";
    /// <summary>Where the indicator comes from (CSV source column, STIX created_by_ref or bundle).</summary>
    [Key(2)] public string? Source { get; set; }
    /// <summary>Unix ms after which the indicator no longer matches; null = never expires.</summary>
    [Key(3)] public long? ExpiresMs { get; set; }
    /// <summary>STIX indicator id, or "line N" of a CSV.</summary>
    [Key(4)] public string? Ref { get; set; }
    [Key(5)] public string? Name { get; set; }
}

/// <summary>A list's description (collection "ioc-lists"); its indicators are stored in chunks (collection "ioc-items").</summary>
[MessagePackObject]
public sealed class IocListRecord
{
    [Key(0)] public string Name { get; set; } = "";
    [Key(1)] public string Format { get; set; } = "";
    [Key(2)] public long ImportedAtMs { get; set; }
    [Key(3)] public string? ImportedBy { get; set; }
    [Key(4)] public int Count { get; set; }
    [Key(5)] public int Chunks { get; set; }
    /// <summary>Indicators that did not import, first 200.</summary>
    [Key(6)] public List<IocImportError> Errors { get; set; } = [];
    [Key(7)] public int ErrorCount { get; set; }
    /// <summary>Import generation, so chunks of an older import of the same list are told apart.</summary>
    [Key(8)] public long Generation { get; set; }
}

[MessagePackObject]
public sealed class IocChunk
{
    [Key(0)] public List<Indicator> Items { get; set; } = [];
}

/// <summary>An indicator that did not import: where (line or STIX id) and why.</summary>
[MessagePackObject]
public sealed record IocImportError
{
    [Key(0)] public string Where { get; init; } = "";
    [Key(1)] public string Code { get; init; } = "";
    [Key(2)] public string Message { get; init; } = "";
}

/// <summary>What an IOC hit says: which list and indicator, and where in the event it was seen.</summary>
public sealed record IocMatch(string List, string Type, string Indicator, string? Ref, string? Source, string Field, string Observed, long? ExpiresMs);

using System.Net;
using System.Net.Sockets;
using Redoubt.Configuration;

namespace Redoubt.Ingest.Listeners;

/// <summary>
/// Who may send to a listener and which tags their events carry. Networks are
/// <see cref="IPNetwork"/> (built into .NET, IPv4 and IPv6 CIDR), so no third-party parser is needed.
/// Tag dictionaries are built once here and shared by every event they apply to.
/// </summary>
public sealed class SenderPolicy
{
    private readonly IPNetwork[] _allowed;
    private readonly (IPNetwork Network, Dictionary<string, string> Tags)[] _sources; // most specific first
    private readonly Dictionary<string, string>? _tags;

    public IReadOnlyList<string> AllowedNetworks { get; }
    public IReadOnlyDictionary<string, string>? ListenerTags => _tags;

    private SenderPolicy(IPNetwork[] allowed, (IPNetwork, Dictionary<string, string>)[] sources, Dictionary<string, string>? tags)
    {
        _allowed = allowed;
        _sources = sources;
        _tags = tags;
        AllowedNetworks = allowed.Select(n => n.ToString()).ToArray();
    }

    public static readonly SenderPolicy AnyoneNoTags = new([], [], null);

    /// <summary>Builds the policy of one listener; a malformed network or tag is a start-up error naming the listener.</summary>
    public static SenderPolicy From(ListenerCommonOptions options, string listener)
    {
        var allowed = options.AllowedNetworks.Where(s => !string.IsNullOrWhiteSpace(s))
            .Select(s => ParseNetwork(s, $"{listener}: AllowedNetworks")).ToArray();
        var tags = CheckTags(options.Tags, listener);
        var sources = options.Sources
            .Select(s =>
            {
                var network = ParseNetwork(s.Network, $"{listener}: Sources");
                var merged = new Dictionary<string, string>(tags ?? [], StringComparer.Ordinal);
                foreach (var (k, v) in CheckTags(s.Tags, listener) ?? []) merged[k] = v;
                return (network, merged);
            })
            .OrderByDescending(s => s.network.PrefixLength)
            .ToArray();
        return new SenderPolicy(allowed, sources, tags);
    }

    public bool IsAllowed(IPAddress address)
    {
        if (_allowed.Length == 0) return true;
        address = Normalize(address);
        foreach (var n in _allowed)
            if (n.Contains(address)) return true;
        return false;
    }

    /// <summary>The tags for events from <paramref name="address"/>: its most specific source entry, else the listener's.</summary>
    public Dictionary<string, string>? TagsFor(IPAddress? address)
    {
        if (_sources.Length == 0 || address is null) return _tags;
        address = Normalize(address);
        foreach (var (network, tags) in _sources)
            if (network.Contains(address)) return tags;
        return _tags;
    }

    /// <summary>A dual-stack socket reports IPv4 senders as ::ffff:a.b.c.d; networks are written as a.b.c.d/n.</summary>
    private static IPAddress Normalize(IPAddress address) =>
        address.AddressFamily == AddressFamily.InterNetworkV6 && address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;

    internal static IPNetwork ParseNetwork(string text, string what)
    {
        var t = text.Trim();
        if (!t.Contains('/') && IPAddress.TryParse(t, out var single))
            return new IPNetwork(single, single.AddressFamily == AddressFamily.InterNetwork ? 32 : 128);
        if (!IPNetwork.TryParse(t, out var network))
            throw new StartupException($"{what}: '{text}' is not a network (write it as 10.0.0.0/8, 2001:db8::/32 or a single address)");
        // .NET masks host bits silently; 10.0.0.1/8 is more often a typo than a wish, so say so.
        if (!network.BaseAddress.Equals(IPAddress.Parse(t[..t.IndexOf('/')])))
            throw new StartupException($"{what}: '{text}' has bits set after the prefix; did you mean {network}?");
        return network;
    }

    private static Dictionary<string, string>? CheckTags(Dictionary<string, string> tags, string listener)
    {
        if (tags.Count == 0) return null;
        foreach (var (k, v) in tags)
            if (string.IsNullOrWhiteSpace(k) || v is null)
                throw new StartupException($"{listener}: tag '{k}' needs a name and a value");
        return new Dictionary<string, string>(tags, StringComparer.Ordinal);
    }
}

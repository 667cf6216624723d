using System.Net;
using Redoubt.Detection.Events;
using Redoubt.Detection.Matching;

namespace Redoubt.Detection.Iocs;

/// <summary>Which event fields are looked up in which indicator tables.</summary>
public enum IocField : byte { Ip, Domain, Url, Hash, Hashes }

/// <summary>
/// Every imported indicator, compiled for lookups at ingestion speed: addresses in a hash table of
/// 128-bit values (IPv4 as IPv4-mapped), networks in one table per prefix length present (a lookup
/// masks the address once per length: at most 129 probes, usually a handful), domains, URLs and hashes
/// in case-insensitive hash sets probed with spans. Immutable: an import builds a new index and swaps
/// it in. Matching allocates only when something matches.
/// </summary>
public sealed class IocIndex
{
    public static readonly IocIndex Empty = new([]);

    /// <summary>Field names (as feeds spell them; compared case-insensitively) and what they hold.</summary>
    public static readonly (string Field, IocField Kind)[] Fields =
    [
        .. new[] { "SourceIp", "DestinationIp", "IpAddress", "SourceAddress", "DestAddress", "DestinationAddress", "src_ip", "dst_ip",
            "src", "dst", "id.orig_h", "id.resp_h", "id_orig_h", "id_resp_h", "answers", "source.ip", "destination.ip", "client.ip", "server.ip", "c-ip", "s-ip",
            "ClientIP", "RemoteAddress", "remote_addr", "ClientAddress", "QueryResults" }.Select(f => (f, IocField.Ip)),
        .. new[] { "QueryName", "query", "DestinationHostname", "dns.question.name", "cs-host", "r-dns", "server_name",
            "url.domain", "destination.domain", "TargetDomain", "host_header", "c-host" }.Select(f => (f, IocField.Domain)),
        .. new[] { "url", "c-uri", "cs-uri", "url.full", "request_url", "uri", "c-useragent-url", "TargetUrl" }.Select(f => (f, IocField.Url)),
        .. new[] { "md5", "sha1", "sha256", "sha512", "hash.md5", "hash.sha1", "hash.sha256", "file.hash.md5", "file.hash.sha1",
            "file.hash.sha256", "process.hash.sha256", "Hash", "FileHash", "sha1_hash" }.Select(f => (f, IocField.Hash)),
        ("Hashes", IocField.Hashes),
    ];

    private readonly Indicator[] _indicators;
    private readonly string[] _listOf;
    private readonly Dictionary<UInt128, int[]> _addresses = [];
    private readonly (int Bits, UInt128 Mask, Dictionary<UInt128, int[]> Networks)[] _networks;
    private readonly Dictionary<string, int[]> _domains = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, int[]>.AlternateLookup<ReadOnlySpan<char>> _domainLookup;
    private readonly Dictionary<string, int[]> _urls = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, int[]>.AlternateLookup<ReadOnlySpan<char>> _urlLookup;
    private readonly Dictionary<string, int[]> _hashes = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, int[]>.AlternateLookup<ReadOnlySpan<char>> _hashLookup;

    public int Count => _indicators.Length;
    public bool IsEmpty => _indicators.Length == 0;
    public bool HasDomains => _domains.Count > 0;

    /// <param name="lists">(list name, its indicators).</param>
    public IocIndex(IReadOnlyList<(string List, IReadOnlyList<Indicator> Items)> lists)
    {
        var all = new List<Indicator>();
        var listOf = new List<string>();
        foreach (var (name, items) in lists)
            foreach (var item in items) { all.Add(item); listOf.Add(name); }
        _indicators = all.ToArray();
        _listOf = listOf.ToArray();
        var addresses = new Dictionary<UInt128, List<int>>();
        var networks = new Dictionary<int, Dictionary<UInt128, List<int>>>();
        var domains = new Dictionary<string, List<int>>(StringComparer.OrdinalIgnoreCase);
        var urls = new Dictionary<string, List<int>>(StringComparer.OrdinalIgnoreCase);
        var hashes = new Dictionary<string, List<int>>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < _indicators.Length; i++)
        {
            var x = _indicators[i];
            switch (x.Type)
            {
                case IocType.Ipv4 or IocType.Ipv6 when IpText.TryParse(x.Value, out var a, out _):
                    Add(addresses, a, i);
                    break;
                case IocType.Cidr:
                {
                    var slash = x.Value.IndexOf('/');
                    if (!IpText.TryParse(x.Value.AsSpan(0, slash), out var network, out var v4)) break;
                    var bits = int.Parse(x.Value.AsSpan(slash + 1)) + (v4 ? 96 : 0);
                    if (!networks.TryGetValue(bits, out var table)) networks[bits] = table = [];
                    Add(table, network & MaskOf(bits), i);
                    break;
                }
                case IocType.Domain: Add(domains, x.Value, i); break;
                case IocType.Url: Add(urls, x.Value, i); break;
                case IocType.Md5 or IocType.Sha1 or IocType.Sha256 or IocType.Sha512: Add(hashes, x.Value, i); break;
            }
        }
        // One lookup answers everything an address is part of: an exact entry also carries the networks
        // that contain it, and a network the shorter networks that contain it.
        var ordered = networks.OrderByDescending(n => n.Key).ToList();
        List<int> Covering(UInt128 address, int longerThan)
        {
            var found = new List<int>();
            foreach (var (bits, table) in ordered)
                if (bits < longerThan && table.TryGetValue(address & MaskOf(bits), out var inside)) found.AddRange(inside);
            return found;
        }
        foreach (var (k, v) in addresses) _addresses[k] = [.. v, .. Covering(k, 129)];
        _networks = ordered.Select(n => (n.Key, MaskOf(n.Key), n.Value.ToDictionary(e => e.Key, e => (int[])[.. e.Value, .. Covering(e.Key, n.Key)]))).ToArray();
        foreach (var (k, v) in domains) _domains[k] = v.ToArray();
        foreach (var (k, v) in urls) _urls[k] = v.ToArray();
        foreach (var (k, v) in hashes) _hashes[k] = v.ToArray();
        _domainLookup = _domains.GetAlternateLookup<ReadOnlySpan<char>>();
        _urlLookup = _urls.GetAlternateLookup<ReadOnlySpan<char>>();
        _hashLookup = _hashes.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    private static void Add<TKey>(Dictionary<TKey, List<int>> d, TKey key, int i) where TKey : notnull
    {
        if (!d.TryGetValue(key, out var list)) d[key] = list = [];
        list.Add(i);
    }

    private static UInt128 MaskOf(int bits) => bits == 0 ? UInt128.Zero : UInt128.MaxValue << (128 - bits);

    public Indicator IndicatorAt(int i) => _indicators[i];
    public string ListOf(int i) => _listOf[i];

    /// <summary>Indicators for an address (exact, then networks from the longest prefix); -1 when none.</summary>
    public int[]? MatchIp(ReadOnlySpan<char> text)
    {
        if (!IpText.TryParse(text, out var address, out _)) return null;
        if (_addresses.TryGetValue(address, out var hit)) return hit;
        foreach (var (_, mask, table) in _networks.AsSpan())
            if (table.TryGetValue(address & mask, out hit)) return hit;
        return null;
    }

    /// <summary>The domain or any parent domain (evil.example matches www.evil.example).</summary>
    public int[]? MatchDomain(ReadOnlySpan<char> text)
    {
        if (_domains.Count == 0) return null;
        var d = text.Trim().TrimEnd('.');
        while (d.Length > 0)
        {
            if (_domainLookup.TryGetValue(d, out var hit)) return hit;
            var dot = d.IndexOf('.');
            if (dot < 0) return null;
            d = d[(dot + 1)..];
        }
        return null;
    }

    public int[]? MatchUrl(ReadOnlySpan<char> text)
    {
        if (_urls.Count == 0) return null;
        var u = text.Trim().TrimEnd('/');
        return _urlLookup.TryGetValue(u, out var hit) ? hit : null;
    }

    public int[]? MatchHash(ReadOnlySpan<char> text)
    {
        if (_hashes.Count == 0) return null;
        var h = text.Trim();
        return h.Length is 32 or 40 or 64 or 128 && _hashLookup.TryGetValue(h, out var hit) ? hit : null;
    }

    /// <summary>A host name from an event field: tried as an address first, then as a domain.</summary>
    public int[]? MatchHostOrAddress(ReadOnlySpan<char> text) => MatchIp(text) ?? MatchDomain(text);

    /// <summary>
    /// Free text (a syslog message): the next token from <paramref name="i"/> on that reads as an
    /// address, URL, hash or (when domain indicators exist) a dotted name and is an indicator; null when none is left.
    /// </summary>
    public int[]? ScanText(ReadOnlySpan<char> text, ref int i, out int start, out int length)
    {
        while (i < text.Length)
        {
            while (i < text.Length && !IsTokenChar(text[i])) i++;
            start = i;
            if (IsUrlStart(text[i..]))
                while (i < text.Length && !char.IsWhiteSpace(text[i]) && text[i] is not ('"' or '\'' or '<' or '>')) i++;
            else
                while (i < text.Length && IsTokenChar(text[i])) i++;
            if (i == start) continue;
            var token = text[start..i].TrimEnd('.').TrimEnd(':');
            length = token.Length;
            if (token.Length < 3) continue;
            int[]? hit = null;
            if (IsUrlStart(token))
            {
                hit = MatchUrl(token);
                if (hit is null && _domains.Count > 0)
                {
                    var rest = token[(token.IndexOf("://") + 3)..];
                    var end = rest.IndexOfAny('/', ':', '?');
                    hit = MatchDomain(end < 0 ? rest : rest[..end]);
                }
            }
            else if (LooksLikeAddress(token)) hit = MatchIp(token);
            else if (token.Length is 32 or 40 or 64 or 128 && IsHex(token)) hit = MatchHash(token);
            else if (_domains.Count > 0 && token.Contains('.')) hit = MatchDomain(token);
            if (hit is not null) return hit;
        }
        start = length = 0;
        return null;
    }

    private static bool IsTokenChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '.' or ':' or '-' or '_';

    private static bool IsUrlStart(ReadOnlySpan<char> t) =>
        t.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || t.StartsWith("https://", StringComparison.OrdinalIgnoreCase) || t.StartsWith("ftp://", StringComparison.OrdinalIgnoreCase);

    private static bool LooksLikeAddress(ReadOnlySpan<char> t)
    {
        var colon = false;
        foreach (var c in t)
        {
            if (c == ':') colon = true;
            else if (!(char.IsAsciiHexDigit(c) || c == '.')) return false;
        }
        return colon || t.Count('.') == 3;
    }

    private static bool IsHex(ReadOnlySpan<char> t)
    {
        foreach (var c in t) if (!char.IsAsciiHexDigit(c)) return false;
        return true;
    }

    /// <summary>Sysmon's Hashes field: "SHA1=…,MD5=…,SHA256=…,IMPHASH=…".</summary>
    public int[]? MatchHashes(ReadOnlySpan<char> text, out int at, out int length)
    {
        at = length = 0;
        var rest = text;
        var offset = 0;
        while (!rest.IsEmpty)
        {
            var comma = rest.IndexOf(',');
            var part = comma < 0 ? rest : rest[..comma];
            var eq = part.IndexOf('=');
            var value = eq < 0 ? part : part[(eq + 1)..];
            if (MatchHash(value) is { } hit) { at = offset + (eq + 1); length = value.Length; return hit; }
            if (comma < 0) break;
            rest = rest[(comma + 1)..];
            offset += comma + 1;
        }
        return null;
    }

    public static string Canonical(IocType type, ReadOnlySpan<char> observed) =>
        type is IocType.Ipv4 or IocType.Ipv6 or IocType.Cidr && IPAddress.TryParse(observed, out var a) ? a.ToString() : observed.ToString();
}

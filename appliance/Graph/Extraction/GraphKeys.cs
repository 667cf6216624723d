using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Redoubt.Graph.Extraction;

/// <summary>
/// How node keys are normalised, shared by the extraction rules, the inventory imports and alert
/// linking, so that one host, account or address is one node whichever source named it
/// (docs/graph.md, "Node keys"). Each returns null when the value cannot be a key of that kind.
/// </summary>
public static class GraphKeys
{
    /// <summary>
    /// A host: an address in canonical form, else the name lower-cased up to its first dot (syslog
    /// senders, Windows NetBIOS names and DHCP clients use the short name; Windows Computer fields and
    /// inventories often the full one). Empty, "-" and names with spaces are not hosts.
    /// </summary>
    public static string? Host(ReadOnlySpan<char> value)
    {
        value = value.Trim().TrimEnd('.');
        if (value.IsEmpty || IsMissing(value) || value.ContainsAny(' ', '\t', '/')) return null;
        if (Ip(value, keepLocal: true) is { } ip) return ip;
        var dot = value.IndexOf('.');
        if (dot == 0) return null;
        return Lower(dot > 0 ? value[..dot] : value);
    }

    /// <summary>A host by its full name, lower-cased (for sites where short names collide).</summary>
    public static string? Fqdn(ReadOnlySpan<char> value)
    {
        value = value.Trim().TrimEnd('.');
        if (value.IsEmpty || IsMissing(value) || value.ContainsAny(' ', '\t', '/')) return null;
        return Ip(value, keepLocal: true) ?? Lower(value);
    }

    /// <summary>
    /// An address in canonical form (IPv4 dotted, IPv6 compressed lower-case, IPv4-mapped IPv6 as IPv4,
    /// zone dropped). Unless <paramref name="keepLocal"/>, addresses that name no one host across the
    /// site are refused: unspecified, loopback, link-local, multicast and the limited broadcast
    /// (every host's 127.0.0.1 would otherwise be one node joining them all).
    /// </summary>
    public static string? Ip(ReadOnlySpan<char> value, bool keepLocal = false)
    {
        value = value.Trim();
        if (value.Length >= 2 && value[0] == '[' && value[^1] == ']') value = value[1..^1];
        var percent = value.IndexOf('%');
        if (percent > 0) value = value[..percent];
        if (value.IsEmpty || !char.IsAsciiHexDigit(value[0]) && value[0] != ':') return null;
        if (!IPAddress.TryParse(value, out var address)) return null;
        // IPAddress.TryParse takes "1" or "1.2" as IPv4 shorthand; a log's address always has four parts.
        if (address.AddressFamily == AddressFamily.InterNetwork && value.Count('.') != 3) return null;
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        if (address.AddressFamily == AddressFamily.InterNetworkV6 && address.ScopeId != 0) address.ScopeId = 0;
        if (!keepLocal && !IsSiteUnique(address)) return null;
        return address.ToString();
    }

    private static bool IsSiteUnique(IPAddress a)
    {
        if (IPAddress.IsLoopback(a) || a.Equals(IPAddress.Any) || a.Equals(IPAddress.IPv6Any) || a.Equals(IPAddress.Broadcast)) return false;
        if (a.AddressFamily == AddressFamily.InterNetworkV6) return !(a.IsIPv6LinkLocal || a.IsIPv6Multicast);
        Span<byte> b = stackalloc byte[4];
        a.TryWriteBytes(b, out _);
        if (b[0] == 169 && b[1] == 254) return false; // link-local
        if (b[0] >= 224 && b[0] <= 239) return false; // multicast
        return b[0] != 0;
    }

    /// <summary>"IP" or "[IPv6]" — the form used before ":port" in Service keys.</summary>
    public static string? Address(ReadOnlySpan<char> value) =>
        Ip(value) is { } ip ? ip.Contains(':') ? "[" + ip + "]" : ip : null;

    /// <summary>
    /// An account: lower-cased, DOMAIN\user written user@domain. The domain part is kept as given
    /// (rules choose what follows the @: the host for local Linux accounts, the NetBIOS domain for Windows).
    /// </summary>
    public static string? User(ReadOnlySpan<char> value)
    {
        value = value.Trim();
        if (value.IsEmpty || IsMissing(value)) return null;
        var slash = value.IndexOf('\\');
        if (slash > 0 && slash < value.Length - 1)
            return Lower(value[(slash + 1)..]) + "@" + Lower(value[..slash]);
        return Lower(value);
    }

    /// <summary>The first label of a DNS domain (THESHIRE.LOCAL → theshire): Windows names a domain either way.</summary>
    public static string? NetBios(ReadOnlySpan<char> value)
    {
        value = value.Trim().TrimEnd('.');
        if (value.IsEmpty || IsMissing(value)) return null;
        var dot = value.IndexOf('.');
        return Lower(dot > 0 ? value[..dot] : value);
    }

    /// <summary>A DNS name: lower-cased, without its trailing dot.</summary>
    public static string? Domain(ReadOnlySpan<char> value)
    {
        value = value.Trim().TrimEnd('.');
        if (value.IsEmpty || IsMissing(value) || value.ContainsAny(' ', '\t', '/')) return null;
        return Lower(value);
    }

    /// <summary>A port number 1..65535 (0 is "no port": ICMP, or unknown).</summary>
    public static string? Port(ReadOnlySpan<char> value) =>
        int.TryParse(value.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var p) && p is >= 1 and <= 65535
            ? p.ToString(CultureInfo.InvariantCulture) : null;

    /// <summary>An IP protocol by name: numbers become names (6 → tcp), names are lower-cased.</summary>
    public static string? Protocol(ReadOnlySpan<char> value)
    {
        value = value.Trim();
        if (value.IsEmpty || IsMissing(value)) return null;
        if (int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n))
            return n switch
            {
                1 => "icmp", 6 => "tcp", 17 => "udp", 47 => "gre", 50 => "esp", 58 => "ipv6-icmp", 132 => "sctp",
                _ => n.ToString(CultureInfo.InvariantCulture),
            };
        var lower = Lower(value);
        return lower is "icmp6" or "icmpv6" ? "ipv6-icmp" : lower;
    }

    /// <summary>Values that feeds write for "none": empty, "-", N/A, null, (null).</summary>
    public static bool IsMissing(ReadOnlySpan<char> value) =>
        value.IsEmpty || value is "-" || value.Equals("N/A", StringComparison.OrdinalIgnoreCase)
        || value.Equals("null", StringComparison.OrdinalIgnoreCase) || value is "(null)";

    private static string Lower(ReadOnlySpan<char> value)
    {
        Span<char> lower = value.Length <= 256 ? stackalloc char[value.Length] : new char[value.Length];
        value.ToLowerInvariant(lower);
        return new string(lower);
    }
}

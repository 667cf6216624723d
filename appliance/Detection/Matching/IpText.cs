using System.Buffers.Binary;
using System.Globalization;

namespace Redoubt.Detection.Matching;

/// <summary>
/// IP addresses read from event text without allocating (IPAddress.TryParse allocates an object per
/// call). IPv4 is kept as the IPv4-mapped IPv6 value so one 128-bit compare serves both families.
/// </summary>
public static class IpText
{
    private static readonly UInt128 MappedPrefix = (UInt128)0xFFFF << 32;

    public static bool TryParse(ReadOnlySpan<char> text, out UInt128 address, out bool isV4)
    {
        text = text.Trim();
        if (text.Length >= 2 && text[0] == '[' && text[^1] == ']') text = text[1..^1];
        var zone = text.IndexOf('%');
        if (zone >= 0) text = text[..zone];
        if (TryParseV4(text, out var v4))
        {
            address = MappedPrefix | v4;
            isV4 = true;
            return true;
        }
        isV4 = false;
        return TryParseV6(text, out address);
    }

    public static bool TryParseV4(ReadOnlySpan<char> text, out uint value)
    {
        value = 0;
        var octets = 0;
        var i = 0;
        while (true)
        {
            var start = i;
            uint octet = 0;
            while (i < text.Length && text[i] is >= '0' and <= '9' && i - start < 3)
            {
                octet = octet * 10 + (uint)(text[i] - '0');
                i++;
            }
            if (i == start || octet > 255 || (i - start > 1 && text[start] == '0')) return false;
            value = (value << 8) | octet;
            octets++;
            if (octets == 4) return i == text.Length;
            if (i >= text.Length || text[i] != '.') return false;
            i++;
        }
    }

    public static bool TryParseV6(ReadOnlySpan<char> text, out UInt128 value)
    {
        value = 0;
        if (text.Length < 2 || text.Length > 45) return false;
        Span<ushort> groups = stackalloc ushort[8];
        var count = 0;
        var gap = -1;
        var i = 0;
        if (text.StartsWith("::"))
        {
            gap = 0;
            i = 2;
            if (i == text.Length) return true;
        }
        while (i < text.Length)
        {
            if (count == 8) return false;
            var end = i;
            while (end < text.Length && text[end] != ':') end++;
            var part = text[i..end];
            if (part.Contains('.'))
            {
                // Embedded IPv4 in the last 32 bits (::ffff:10.0.0.1).
                if (end != text.Length || count > 6 || !TryParseV4(part, out var v4)) return false;
                groups[count++] = (ushort)(v4 >> 16);
                groups[count++] = (ushort)v4;
                i = end;
                break;
            }
            if (part.Length is 0 or > 4 || !ushort.TryParse(part, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var g))
                return false;
            groups[count++] = g;
            if (end == text.Length) { i = end; break; }
            // end is ':'
            if (end + 1 < text.Length && text[end + 1] == ':')
            {
                if (gap >= 0) return false;
                gap = count;
                i = end + 2;
                if (i == text.Length) break;
            }
            else
            {
                i = end + 1;
                if (i == text.Length) return false;
            }
        }
        if (gap < 0 && count != 8) return false;
        if (gap >= 0 && count == 8) return false;
        Span<ushort> full = stackalloc ushort[8];
        if (gap < 0) groups.CopyTo(full);
        else
        {
            full.Clear();
            for (var k = 0; k < gap; k++) full[k] = groups[k];
            var tail = count - gap;
            for (var k = 0; k < tail; k++) full[8 - tail + k] = groups[gap + k];
        }
        UInt128 v = 0;
        for (var k = 0; k < 8; k++) v = (v << 16) | full[k];
        value = v;
        return true;
    }

    /// <summary>A CIDR block from a rule, via the framework's parser (load time, allocation is fine).</summary>
    public static bool TryParseNetwork(string text, out UInt128 network, out UInt128 mask, out string? error)
    {
        network = 0; mask = 0; error = null;
        if (!System.Net.IPNetwork.TryParse(text.Trim(), out var net))
        {
            error = $"'{text}' is not a CIDR block (e.g. 10.0.0.0/8 or fe80::/10)";
            return false;
        }
        var bytes = net.BaseAddress.MapToIPv6().GetAddressBytes();
        var value = BinaryPrimitives.ReadUInt128BigEndian(bytes);
        var prefix = net.BaseAddress.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? net.PrefixLength + 96 : net.PrefixLength;
        mask = prefix == 0 ? 0 : UInt128.MaxValue << (128 - prefix);
        network = value & mask;
        return true;
    }
}

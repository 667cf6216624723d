using System.Buffers;
using System.IO.Hashing;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Text;

namespace Redoubt.Storage.Events;

/// <summary>
/// Case-insensitive text work on the UTF-8 bytes of a stored event, with exactly the answers of
/// .NET's <see cref="StringComparison.OrdinalIgnoreCase"/> on the decoded strings.
/// It rests on one fact of that comparison, checked over every char by a test
/// (Utf8TextTests): no non-ASCII char equals an ASCII char ignoring case. So an ASCII needle can
/// only match ASCII bytes, folded ASCII-wise, and a UTF-8 multi-byte sequence (all bytes &gt;= 0x80)
/// never takes part in such a match.
/// </summary>
internal static class Utf8Text
{
    /// <summary>Whether <paramref name="haystack"/> holds <paramref name="needleLower"/> (ASCII, letters lower-cased), ASCII case ignored.</summary>
    public static bool ContainsAsciiIgnoreCase(ReadOnlySpan<byte> haystack, ReadOnlySpan<byte> needleLower)
    {
        var m = needleLower.Length;
        if (m == 0) return true;
        var lastStart = haystack.Length - m;
        if (lastStart < 0) return false;
        var first = needleLower[0];
        if (m == 1) return IsLower(first) ? haystack.IndexOfAny(first, (byte)(first - 0x20)) >= 0 : haystack.IndexOf(first) >= 0;

        // Candidates are positions where the first and the last byte of the needle both match (case
        // folded by OR 0x20 when that byte is a letter); only those are compared whole. Two anchors
        // sixteen positions at a time leave few candidates in ordinary text (W. Muła's SIMD search).
        var last = needleLower[m - 1];
        byte orFirst = IsLower(first) ? (byte)0x20 : (byte)0, orLast = IsLower(last) ? (byte)0x20 : (byte)0;
        var middle = needleLower.Slice(1, m - 2);
        var i = 0;
        if (Vector128.IsHardwareAccelerated && lastStart >= Vector128<byte>.Count - 1)
        {
            ref var h = ref MemoryMarshal.GetReference(haystack);
            Vector128<byte> vFirst = Vector128.Create(first), vLast = Vector128.Create(last);
            Vector128<byte> oFirst = Vector128.Create(orFirst), oLast = Vector128.Create(orLast);
            for (; i <= lastStart - (Vector128<byte>.Count - 1); i += Vector128<byte>.Count)
            {
                var a = Vector128.LoadUnsafe(ref h, (nuint)i) | oFirst;
                var b = Vector128.LoadUnsafe(ref h, (nuint)(i + m - 1)) | oLast;
                var mask = (Vector128.Equals(a, vFirst) & Vector128.Equals(b, vLast)).ExtractMostSignificantBits();
                while (mask != 0)
                {
                    var at = i + BitOperations.TrailingZeroCount(mask);
                    if (Ascii.EqualsIgnoreCase(haystack.Slice(at + 1, m - 2), middle)) return true;
                    mask &= mask - 1;
                }
            }
        }
        for (; i <= lastStart; i++)
        {
            if ((haystack[i] | orFirst) == first && (haystack[i + m - 1] | orLast) == last
                && Ascii.EqualsIgnoreCase(haystack.Slice(i + 1, m - 2), middle))
                return true;
        }
        return false;
    }

    private static bool IsLower(byte b) => b is >= (byte)'a' and <= (byte)'z';

    /// <summary>The needle's bytes with ASCII letters lower-cased, or null when it is not all ASCII.</summary>
    public static byte[]? AsciiLower(string needle)
    {
        if (!Ascii.IsValid(needle)) return null;
        var bytes = new byte[needle.Length];
        Ascii.ToLower(needle, bytes, out _);
        return bytes;
    }

    /// <summary>
    /// A stable 64-bit hash of <paramref name="value"/> under OrdinalIgnoreCase equality: strings equal
    /// ignoring case hash alike (the persisted host/app sketches depend on it, so it never changes).
    /// Equal strings have the same length; ASCII chars are folded to upper case, and every non-ASCII
    /// UTF-16 unit hashes as one placeholder (it can only equal another non-ASCII unit).
    /// </summary>
    public static ulong FoldedHash(string value)
    {
        const int StackChars = 128;
        char[]? rented = null;
        var folded = value.Length <= StackChars ? stackalloc char[StackChars] : (rented = ArrayPool<char>.Shared.Rent(value.Length));
        folded = folded[..value.Length];
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            folded[i] = c < 0x80 ? (char)(c is >= 'a' and <= 'z' ? c - 0x20 : c) : '\uFFFF';
        }
        var hash = XxHash3.HashToUInt64(MemoryMarshal.AsBytes(folded));
        if (rented is not null) ArrayPool<char>.Shared.Return(rented);
        return hash;
    }
}

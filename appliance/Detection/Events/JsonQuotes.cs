using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Redoubt.Detection.Events;

/// <summary>
/// One vectorised pass over a JSON text that marks, 64 bytes to a word, where its unescaped quotes
/// and its backslashes are. A string's end is then the next quote bit: no search call per string,
/// and no new search after each escape (a rendered Windows Message has dozens of \r\n\t).
/// </summary>
internal static class JsonQuotes
{
    /// <summary>Words needed for <paramref name="length"/> bytes.</summary>
    public static int Words(int length) => (length + 63) >> 6;

    /// <summary>
    /// Bit i of <paramref name="quotes"/>: byte i is a quote no backslash escapes; of <paramref name="backslashes"/>: byte i is a backslash.
    /// Escapes are followed from the start of the text (outside strings a backslash is invalid JSON anyway).
    /// </summary>
    public static void Build(ReadOnlySpan<byte> json, Span<ulong> quotes, Span<ulong> backslashes)
    {
        var words = Words(json.Length);
        ulong carry = 0; // 1: the first byte of the next word is escaped
        ref var start = ref MemoryMarshal.GetReference(json);
        Span<byte> tail = stackalloc byte[64];
        for (var w = 0; w < words; w++)
        {
            var at = w << 6;
            ulong q, b;
            if (at + 64 <= json.Length) (q, b) = Block(ref Unsafe.Add(ref start, at));
            else
            {
                tail.Clear();
                json[at..].CopyTo(tail);
                (q, b) = Block(ref MemoryMarshal.GetReference(tail));
            }
            var escaped = carry;
            carry = 0;
            // Backslashes in order: one not itself escaped escapes the next byte.
            var pending = b;
            while (pending != 0)
            {
                var p = BitOperations.TrailingZeroCount(pending);
                pending &= pending - 1;
                if ((escaped >> p & 1) != 0) continue;
                if (p == 63) carry = 1;
                else escaped |= 1UL << (p + 1);
            }
            quotes[w] = q & ~escaped;
            backslashes[w] = b;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (ulong Quotes, ulong Backslashes) Block(ref byte at)
    {
        if (Vector256.IsHardwareAccelerated)
        {
            var a = Vector256.LoadUnsafe(ref at);
            var c = Vector256.LoadUnsafe(ref at, 32);
            var quote = Vector256.Create((byte)'"');
            var slash = Vector256.Create((byte)'\\');
            var q = Vector256.Equals(a, quote).ExtractMostSignificantBits() | (ulong)Vector256.Equals(c, quote).ExtractMostSignificantBits() << 32;
            var b = Vector256.Equals(a, slash).ExtractMostSignificantBits() | (ulong)Vector256.Equals(c, slash).ExtractMostSignificantBits() << 32;
            return (q, b);
        }
        if (Vector128.IsHardwareAccelerated)
        {
            var quote = Vector128.Create((byte)'"');
            var slash = Vector128.Create((byte)'\\');
            ulong q = 0, b = 0;
            for (var k = 0; k < 4; k++)
            {
                var v = Vector128.LoadUnsafe(ref at, (nuint)(k * 16));
                q |= (ulong)Vector128.Equals(v, quote).ExtractMostSignificantBits() << (k * 16);
                b |= (ulong)Vector128.Equals(v, slash).ExtractMostSignificantBits() << (k * 16);
            }
            return (q, b);
        }
        ulong sq = 0, sb = 0;
        for (var k = 0; k < 64; k++)
        {
            var c = Unsafe.Add(ref at, k);
            if (c == '"') sq |= 1UL << k;
            else if (c == '\\') sb |= 1UL << k;
        }
        return (sq, sb);
    }

    /// <summary>The index of the first unescaped quote at or after <paramref name="from"/>, or -1; whether a backslash comes before it.</summary>
    public static int End(ReadOnlySpan<ulong> quotes, ReadOnlySpan<ulong> backslashes, int from, out bool escaped)
    {
        var w = from >> 6;
        if (w >= quotes.Length) { escaped = false; return -1; }
        var bits = quotes[w] & (ulong.MaxValue << (from & 63));
        while (bits == 0)
        {
            if (++w == quotes.Length) { escaped = false; return -1; }
            bits = quotes[w];
        }
        var end = (w << 6) + BitOperations.TrailingZeroCount(bits);
        escaped = AnyBetween(backslashes, from, end);
        return end;
    }

    /// <summary>Whether a bit in [<paramref name="from"/>, <paramref name="to"/>) is set.</summary>
    private static bool AnyBetween(ReadOnlySpan<ulong> bits, int from, int to)
    {
        if (from >= to) return false;
        int first = from >> 6, last = (to - 1) >> 6;
        var low = ulong.MaxValue << (from & 63);
        var high = ulong.MaxValue >> (63 - ((to - 1) & 63));
        if (first == last) return (bits[first] & low & high) != 0;
        if ((bits[first] & low) != 0 || (bits[last] & high) != 0) return true;
        for (var w = first + 1; w < last; w++) if (bits[w] != 0) return true;
        return false;
    }
}

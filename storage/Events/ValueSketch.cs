using System.Buffers.Binary;

namespace Redoubt.Storage.Events;

/// <summary>
/// Which host (or app) values an index block may hold, so a <c>host=</c> / <c>app=</c> search skips
/// blocks that cannot match. Persisted in time.idx beside the block's time ranges as a small blob:
/// <list type="bullet">
/// <item>kind 1, a list: the <see cref="Utf8Text.FoldedHash"/> of each distinct value (8 bytes each,
///   sorted), when the block holds at most <see cref="MaxListed"/>;</item>
/// <item>kind 2, a Bloom filter: byte 1 = number of probes, then the bit array (~10 bits per distinct
///   value, about 1 % false positives), when it holds more.</item>
/// </list>
/// No blob (a block written before sketches existed, or one with more than <see cref="MaxDistinct"/>
/// values) and an unknown kind mean "may hold anything": the block is scanned. A sketch answers
/// "maybe" for every value it saw, never "no" (the hash folds case as the search compares).
/// </summary>
internal static class ValueSketch
{
    public const int MaxListed = 16;
    public const int MaxDistinct = 8192;
    private const byte ListKind = 1, BloomKind = 2;
    private const int BitsPerValue = 10, Probes = 7;

    /// <summary>Whether a block with sketch <paramref name="sketch"/> may hold a value with <paramref name="hash"/>.</summary>
    public static bool MayContain(byte[]? sketch, ulong hash)
    {
        if (sketch is not { Length: > 0 }) return true;
        switch (sketch[0])
        {
            case ListKind:
                for (var i = 1; i + 8 <= sketch.Length; i += 8)
                    if (BinaryPrimitives.ReadUInt64LittleEndian(sketch.AsSpan(i)) == hash) return true;
                return false;
            case BloomKind when sketch.Length > 2:
                var bits = (ulong)(sketch.Length - 2) * 8;
                for (var i = 0; i < sketch[1]; i++)
                {
                    var bit = Probe(hash, i) % bits;
                    if ((sketch[2 + (int)(bit >> 3)] & (1 << (int)(bit & 7))) == 0) return false;
                }
                return true;
            default:
                return true;
        }
    }

    // Double hashing (Kirsch and Mitzenmacher): the i-th probe from the two halves of one 64-bit hash.
    private static ulong Probe(ulong hash, int i) => (uint)hash + (ulong)i * ((uint)(hash >> 32) | 1);

    /// <summary>The blob for a block whose distinct value hashes are <paramref name="hashes"/>.</summary>
    public static byte[] Build(IReadOnlyCollection<ulong> hashes)
    {
        if (hashes.Count <= MaxListed)
        {
            var sorted = hashes.Order().ToArray();
            var list = new byte[1 + 8 * sorted.Length];
            list[0] = ListKind;
            for (var i = 0; i < sorted.Length; i++) BinaryPrimitives.WriteUInt64LittleEndian(list.AsSpan(1 + 8 * i), sorted[i]);
            return list;
        }
        var bytes = (hashes.Count * BitsPerValue + 7) / 8;
        var bloom = new byte[2 + bytes];
        bloom[0] = BloomKind;
        bloom[1] = Probes;
        var m = (ulong)bytes * 8;
        foreach (var h in hashes)
            for (var i = 0; i < Probes; i++)
            {
                var bit = Probe(h, i) % m;
                bloom[2 + (int)(bit >> 3)] |= (byte)(1 << (int)(bit & 7));
            }
        return bloom;
    }
}

/// <summary>Collects the distinct values of one open block; <see cref="Seal"/> makes its <see cref="ValueSketch"/>.</summary>
internal sealed class SketchBuilder
{
    private readonly HashSet<ulong> _hashes = [];
    private string? _last;
    private bool _overflow;

    public void Add(string? value)
    {
        // Null never equals a searched value, so it needs no room; runs of one value cost a compare.
        if (value is null || _overflow || string.Equals(value, _last, StringComparison.Ordinal)) return;
        _last = value;
        _hashes.Add(Utf8Text.FoldedHash(value));
        if (_hashes.Count > ValueSketch.MaxDistinct)
        {
            _overflow = true;
            _hashes.Clear();
        }
    }

    /// <summary>The sketch of every value added, or null (scan always) when there were too many.</summary>
    public byte[]? Seal() => _overflow ? null : ValueSketch.Build(_hashes);
}

/// <summary>The host and app a query looks for, hashed once for the block sketches (null: that filter is not set).</summary>
public readonly record struct SketchProbe(ulong? Host, ulong? App)
{
    public static SketchProbe For(EventQuery query) =>
        new(query.Host is { } h ? Utf8Text.FoldedHash(h) : null, query.App is { } a ? Utf8Text.FoldedHash(a) : null);
}

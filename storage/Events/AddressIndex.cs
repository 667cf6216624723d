namespace Redoubt.Storage.Events;

/// <summary>
/// Append-only list of committed event addresses, one writer and many readers without locks:
/// the writer fills a slot, then publishes the new count; a reader takes the count first and then
/// the array, which always holds at least that many slots (growth copies before it swaps).
/// 8 bytes per event in memory; the sparse on-disk time index replaces it when stores get large.
/// </summary>
internal sealed class AddressIndex
{
    private long[] _items = new long[1024];
    private int _count;

    public int Count => Volatile.Read(ref _count);

    public void Add(long address)
    {
        var n = _count;
        if (n == _items.Length)
        {
            var bigger = new long[n * 2];
            Array.Copy(_items, bigger, n);
            Volatile.Write(ref _items, bigger);
        }
        _items[n] = address;
        Volatile.Write(ref _count, n + 1);
    }

    /// <summary>Index of the last address strictly below <paramref name="address"/>, or -1.</summary>
    public int LastBelow(long address, int count)
    {
        var items = Volatile.Read(ref _items);
        int lo = 0, hi = count - 1, found = -1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            if (items[mid] < address) { found = mid; lo = mid + 1; }
            else hi = mid - 1;
        }
        return found;
    }

    public long this[int i] => Volatile.Read(ref _items)[i];
}

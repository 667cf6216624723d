using System.Buffers;

namespace Redoubt.Storage.Events;

/// <summary>
/// An entry read in place from a FasterLog page (<c>UnsafeGetNext</c>) as <see cref="ReadOnlyMemory{T}"/>,
/// which MessagePackReader needs: one instance per scan, pointed at each entry in turn, so a scan does
/// not copy every entry into a new array. Valid only until the iterator's <c>UnsafeRelease</c>:
/// whatever outlives that (a decoded record) must not refer to it.
/// </summary>
internal sealed unsafe class PageEntry : MemoryManager<byte>
{
    private byte* _pointer;
    private int _length;

    public ReadOnlyMemory<byte> Point(byte* pointer, int length)
    {
        _pointer = pointer;
        _length = length;
        return Memory;
    }

    public override Span<byte> GetSpan() => new(_pointer, _length);

    // FasterLog pages are pinned for the log's life; nothing to pin here.
    public override MemoryHandle Pin(int elementIndex = 0) => new(_pointer + elementIndex);

    public override void Unpin() { }

    protected override void Dispose(bool disposing) { }
}

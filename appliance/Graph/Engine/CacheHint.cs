using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace Redoubt.Graph.Engine;

/// <summary>
/// Asks the CPU to start loading a cache line that will be read soon. Traversals that know their
/// next nodes (a layer's frontier) use it to overlap the memory latency of the next node's runs with
/// the work on this one. A hint only: it never faults and changes no result; where the CPU has no
/// such instruction it does nothing. (The one reason this project allows unsafe code: a prefetch
/// takes an address.)
/// </summary>
internal static class CacheHint
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void Prefetch<T>(ref T location)
    {
        if (Sse.IsSupported) Sse.Prefetch0(Unsafe.AsPointer(ref location));
    }
}

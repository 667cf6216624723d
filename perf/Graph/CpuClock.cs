using System.Runtime.InteropServices;

namespace Redoubt.Perf.Graph;

/// <summary>
/// CPU time of the calling thread (clock_gettime CLOCK_THREAD_CPUTIME_ID). The machine is shared:
/// with other builds running, wall time mostly measures waiting for a core, while a query's own CPU
/// time does not. Queries and SQLite both run on the calling thread, so the two compare fairly.
/// </summary>
internal static partial class CpuClock
{
    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec { public long Seconds; public long Nanoseconds; }

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clock, out Timespec time);

    private const int ThreadCpuTime = 3;

    public static double NowMs()
    {
        ClockGetTime(ThreadCpuTime, out var t);
        return t.Seconds * 1000.0 + t.Nanoseconds / 1e6;
    }
}

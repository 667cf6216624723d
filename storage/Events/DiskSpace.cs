namespace Redoubt.Storage.Events;

/// <summary>
/// Free space on the filesystem holding the log, measured at most once per interval. Below the
/// reserve the log refuses writes instead of letting FasterLog run into ENOSPC mid-page.
/// </summary>
internal sealed class DiskSpace(string directory, long minFreeBytes, TimeSpan interval, TimeProvider clock)
{
    private long _lastCheck = long.MinValue;
    private long _free = long.MaxValue;

    public long MinFreeBytes => minFreeBytes;
    public long FreeBytes => Interlocked.Read(ref _free);
    public bool IsLow => FreeBytes < minFreeBytes;

    /// <summary>Measures again if the last reading is older than the interval (or always, when forced).</summary>
    public bool Refresh(bool force = false)
    {
        var now = clock.GetTimestamp();
        if (!force && _lastCheck != long.MinValue && clock.GetElapsedTime(_lastCheck, now) < interval) return IsLow;
        _lastCheck = now;
        try { Interlocked.Exchange(ref _free, new DriveInfo(directory).AvailableFreeSpace); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException) { /* keep the last reading */ }
        return IsLow;
    }

    public string Describe() =>
        $"disk full: {FreeBytes:N0} bytes free on the filesystem of {directory}, below the {minFreeBytes:N0}-byte reserve " +
        "(Storage:MinFreeBytes); writes resume by themselves once space is freed";
}

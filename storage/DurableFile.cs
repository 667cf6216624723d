using System.Runtime.InteropServices;

namespace Redoubt.Storage;

/// <summary>Whole-file replacement that a crash cannot tear: the old file or the new one, never a mix.</summary>
public static class DurableFile
{
    /// <summary>Writes a temporary file beside <paramref name="path"/>, fsyncs it, renames it over the old one, fsyncs the directory.</summary>
    public static void Replace(string path, ReadOnlySpan<byte> bytes)
    {
        var temp = path + ".tmp";
        using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            file.Write(bytes);
            file.Flush(flushToDisk: true);
        }
        File.Move(temp, path, overwrite: true);
        FsyncDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
    }

    /// <summary>Makes a rename or a new file in <paramref name="dir"/> durable (Linux; elsewhere a no-op).</summary>
    public static void FsyncDirectory(string dir)
    {
        if (!OperatingSystem.IsLinux()) return;
        var fd = open(dir, 0 /* O_RDONLY */);
        if (fd < 0) return;
        try { fsync(fd); } finally { close(fd); }
    }

    [DllImport("libc", SetLastError = true)] private static extern int open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);
    [DllImport("libc", SetLastError = true)] private static extern int fsync(int fd);
    [DllImport("libc", SetLastError = true)] private static extern int close(int fd);
}

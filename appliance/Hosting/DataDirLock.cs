using Redoubt.Configuration;

namespace Redoubt.Hosting;

/// <summary>
/// One process at a time per data directory: the running appliance holds an exclusive lock on
/// DATA/redoubt.lock (flock on Linux, released by the kernel even on kill -9), and the admin
/// commands that open the stores (`redoubt token`, `redoubt admin`) take the same lock, so they
/// refuse to run beside a running appliance instead of corrupting its write-ahead logs.
/// </summary>
public sealed class DataDirLock : IDisposable
{
    public const string FileName = "redoubt.lock";
    private readonly FileStream _file;

    private DataDirLock(FileStream file) => _file = file;

    /// <summary>Takes the lock or throws a <see cref="StartupException"/> saying who holds it.</summary>
    public static DataDirLock Acquire(string dataDir, string purpose)
    {
        var path = Path.Combine(dataDir, FileName);
        try
        {
            var file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            file.SetLength(0);
            using (var w = new StreamWriter(file, leaveOpen: true)) w.Write($"{Environment.ProcessId} {purpose}\n");
            file.Flush();
            return new DataDirLock(file);
        }
        catch (IOException e)
        {
            // .NET cannot read a file another process holds locked; `cat` can, so the message points there.
            throw new StartupException($"data directory {dataDir} is in use by another redoubt process (its pid is in {path}); " +
                "stop the appliance first (systemctl stop redoubt)", e);
        }
    }

    public void Dispose() => _file.Dispose();
}

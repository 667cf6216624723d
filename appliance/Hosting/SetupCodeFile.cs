using Redoubt.Api.Access;

namespace Redoubt.Hosting;

/// <summary>
/// Appliance:SetupCodeFile: the pending setup code in a file (0640, the code alone on one line) so a
/// root unit of the VM image can show it on the console banner; removed when setup is done or the
/// appliance stops. The directory is the service's runtime directory (/run/redoubt), which only
/// root and the service user can read.
/// </summary>
public static class SetupCodeFile
{
    public static void Write(string path, string code)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var tmp = path + ".tmp";
        File.Delete(tmp);
        var mode = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) mode.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead;
        using (var f = new FileStream(tmp, mode))
        using (var w = new StreamWriter(f))
            w.Write(code + "\n");
        File.Move(tmp, path, overwrite: true); // the banner never reads half a code
    }

    public static void Remove(string path)
    {
        try { File.Delete(path); } catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }

    /// <summary>Keeps the file in step with <paramref name="code"/>: written now if a code is pending, removed when it is consumed or at stop.</summary>
    public static void Attach(WebApplication app, SetupCode code, string path)
    {
        try
        {
            if (code.Current is { } pending) Write(path, pending);
            else Remove(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The banner is a convenience; the code is in the log either way.
            app.Logger.LogWarning("cannot write the setup code file {Path}: {Error}", path, e.Message);
        }
        code.Consumed += () => Remove(path);
        app.Lifetime.ApplicationStopped.Register(() => Remove(path));
    }
}

namespace Redoubt.Tests.Support;

/// <summary>
/// The real test corpora live outside the repo in ../shared/data (several licences are test-only):
/// found by walking up from the test binaries, or named by REDOUBT_SHARED_DATA.
/// </summary>
public static class SharedData
{
    public static string Root { get; } = Find();

    public static string PathOf(params string[] parts) => Path.Combine([Root, .. parts]);

    private static string Find()
    {
        if (Environment.GetEnvironmentVariable("REDOUBT_SHARED_DATA") is { Length: > 0 } env) return env;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared", "data");
            if (Directory.Exists(candidate)) return candidate;
        }
        throw new DirectoryNotFoundException(
            "shared/data not found above " + AppContext.BaseDirectory + "; set REDOUBT_SHARED_DATA to the corpus folder");
    }
}

/// <summary>Repository paths, for tests that start the real appliance binary.</summary>
public static class Repo
{
    public static string Root { get; } = Find();

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Appliance.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException("Appliance.sln not found above " + AppContext.BaseDirectory);
    }

    /// <summary>The appliance built in the same configuration as these tests.</summary>
    public static string ApplianceDll
    {
        get
        {
            var configuration = new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory)).Parent!.Name; // bin/<Configuration>/net10.0
            var path = Path.Combine(Root, "appliance", "bin", configuration, "net10.0", "redoubt.dll");
            return File.Exists(path) ? path : throw new FileNotFoundException("build the appliance first", path);
        }
    }
}

using Redoubt.Detection.Compile;

namespace Redoubt.Detection.Rules;

/// <summary>Reads every .yml/.yaml file under a folder, recursively, in a stable order.</summary>
public static class RuleFolder
{
    public static List<SigmaFile> Read(string directory, string? label = null)
    {
        var files = new List<SigmaFile>();
        if (!Directory.Exists(directory))
        {
            var missing = new SigmaFile();
            missing.Errors.Add(new RuleLoadError(directory, 0, 0, ErrorCodes.ReadFailed, $"rules folder {directory} does not exist", null, null));
            files.Add(missing);
            return files;
        }
        var paths = Directory.EnumerateFiles(directory, "*", new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = false })
            .Where(p => p.EndsWith(".yml", StringComparison.OrdinalIgnoreCase) || p.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase))
            .Order(StringComparer.Ordinal);
        foreach (var path in paths)
        {
            var name = Path.Combine(label ?? directory, Path.GetRelativePath(directory, path));
            try
            {
                files.Add(SigmaReader.Read(File.ReadAllText(path), name));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                var failed = new SigmaFile();
                failed.Errors.Add(new RuleLoadError(name, 0, 0, ErrorCodes.ReadFailed, "cannot read the file: " + e.Message, null, null));
                files.Add(failed);
            }
        }
        return files;
    }
}

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
        // Rules under a folder that carries the Detection Rule License text are SigmaHQ's: alerts credit them.
        var drlRoot = RuleLicence.FindDrlRoot(directory);
        foreach (var path in paths)
        {
            var name = Path.Combine(label ?? directory, Path.GetRelativePath(directory, path));
            try
            {
                var file = SigmaReader.Read(File.ReadAllText(path), name);
                if (drlRoot is not null)
                {
                    var licence = RuleLicence.Drl(Path.GetRelativePath(drlRoot, path));
                    foreach (var rule in file.Rules) rule.Licence ??= licence;
                    foreach (var correlation in file.Correlations) correlation.Licence ??= licence;
                }
                files.Add(file);
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

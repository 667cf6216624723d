using Redoubt.Detection.Engine;
using Redoubt.Detection.LogSources;
using Redoubt.Detection.Rules;

namespace Redoubt.Detection;

/// <summary>`redoubt check-rules DIR… [--logsources FILE]`: what the appliance would load, offline.</summary>
public static class RuleCheck
{
    public static Task<int> RunAsync(string[] args)
    {
        var folders = new List<string>();
        string? map = null;
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == "--logsources" && i + 1 < args.Length) map = args[++i];
            else folders.Add(args[i]);
        }
        if (folders.Count == 0)
        {
            System.Console.Error.WriteLine("usage: redoubt check-rules DIR... [--logsources FILE]");
            return Task.FromResult(2);
        }
        RuleSet set;
        try
        {
            set = RuleSetBuilder.Build(map is null ? LogSourceMap.Embedded() : LogSourceMap.Parse(File.ReadAllText(map), map),
                folders.SelectMany(f => RuleFolder.Read(f)));
        }
        catch (LogSourceMapException e)
        {
            System.Console.Error.WriteLine("redoubt: log source map: " + e.Message);
            return Task.FromResult(2);
        }
        foreach (var e in set.Errors)
            System.Console.WriteLine($"{e.File}:{e.Line}:{e.Column}: {e.Code}: {e.Message}");
        var total = set.RuleCount + set.Errors.Count;
        System.Console.WriteLine($"{set.RuleCount} of {total} rules loaded ({(total == 0 ? 0 : 100.0 * set.RuleCount / total):F1}%), {set.Errors.Count} not loaded, {set.Filters.Count} filters");
        return Task.FromResult(set.Errors.Count == 0 ? 0 : 1);
    }
}

using Redoubt.Graph.Extraction;

namespace Redoubt.Cli;

/// <summary>
/// <c>redoubt extraction show [NAME]</c> prints the shipped graph extraction rule files (copy one to
/// /etc/redoubt/extraction to change it); <c>redoubt extraction check DIR</c> loads a rules folder as
/// the appliance would (shipped files, replaced or extended by DIR's) and lists every rule that did not load.
/// </summary>
public static class ExtractionCommand
{
    private const string Usage = "usage: redoubt extraction show [FILE.yaml] | redoubt extraction check DIR";

    public static async Task<int> RunAsync(string[] args)
    {
        switch (args)
        {
            case ["show"]:
                foreach (var (name, text) in ExtractionRuleSet.Shipped()) System.Console.Write($"# ---- {name}\n{text}\n");
                return 0;
            case ["show", var file]:
                if (ExtractionRuleSet.Shipped().FirstOrDefault(f => f.Name == file) is { Text: { } t }) { System.Console.Write(t); return 0; }
                await System.Console.Error.WriteLineAsync($"redoubt: no shipped file '{file}' (shipped: {string.Join(", ", ExtractionRuleSet.Shipped().Select(f => f.Name))})");
                return 1;
            case ["check", var dir]:
                if (!Directory.Exists(dir)) { await System.Console.Error.WriteLineAsync($"redoubt: no folder {dir}"); return 1; }
                var set = ExtractionRuleSet.Load(dir);
                foreach (var (name, origin, rules) in set.Files) System.Console.WriteLine($"{(origin == "built in" ? name + " (built in)" : origin)}: {rules} rules");
                foreach (var e in set.Errors) System.Console.WriteLine($"{e.File}:{e.Line}: {e.Rule ?? "-"}: {e.Message}");
                System.Console.WriteLine($"{set.Rules.Count} rules loaded, {set.Errors.Count} not loaded");
                return set.Errors.Count == 0 ? 0 : 1;
            default:
                await System.Console.Error.WriteLineAsync("redoubt: " + Usage);
                return 2;
        }
    }
}

using System.Text;
using Redoubt.Detection;
using Redoubt.Detection.Engine;
using Redoubt.Tests.Support;

namespace Redoubt.Tests.Detection;

/// <summary>
/// The real attack datasets (OTRF Security-Datasets) replayed through all shared rules; which rules
/// fire, how often, per dataset, is a golden file a person reviews. A change in detection shows up
/// here as a diff.
/// </summary>
public class AttackDatasetGoldenTests
{
    private static readonly string GoldenPath = Path.Combine(Repo.Root, "tests", "Detection", "golden", "otrf-detections.tsv");

    private static readonly string[] Folders = ["windows", "log4shell", "golden-saml", "zeek-json-apt29-day1"];

    public static string Render()
    {
        var set = SigmaCorpus.RuleSet;
        var sb = new StringBuilder();
        sb.AppendLine("# Sigma rules (shared SigmaHQ subset) firing on the OTRF attack datasets in shared/data/agent-events.");
        sb.AppendLine("# dataset\trule id\thits\ttitle   (events / hits per dataset on its header line)");
        sb.AppendLine("# Regenerate: REDOUBT_UPDATE_GOLDEN=1 dotnet test Appliance.sln --filter AttackDatasetGoldenTests, then review the diff.");
        foreach (var folder in Folders)
        {
            var dir = SharedData.PathOf("agent-events", "otrf-security-datasets", folder);
            foreach (var file in Directory.GetFiles(dir).Where(f => f.EndsWith(".json") || f.EndsWith(".log")).Order(StringComparer.Ordinal))
            {
                var evaluator = new Evaluator(set);
                var hits = new HitList();
                long id = 0, events = 0;
                foreach (var line in File.ReadLines(file))
                {
                    if (line.Length == 0 || line[0] != '{') continue; // the TSV Zeek folder is not here; one OTRF file has an empty line
                    events++;
                    evaluator.Evaluate(id++, Sigma.Json(line), hits);
                }
                var name = folder + "/" + Path.GetFileName(file);
                var all = hits.Hits;
                sb.AppendLine($"## {name}\t{events} events\t{all.Count} hits");
                foreach (var g in all.GroupBy(h => (h.RuleId, h.RuleTitle)).OrderBy(g => g.Key.RuleTitle, StringComparer.Ordinal).ThenBy(g => g.Key.RuleId, StringComparer.Ordinal))
                    sb.AppendLine($"{name}\t{g.Key.RuleId}\t{g.Count()}\t{g.Key.RuleTitle}");
            }
        }
        return sb.ToString();
    }

    [Fact]
    public void Detections_on_the_attack_datasets_match_the_reviewed_golden_file()
    {
        var actual = Render();
        if (Environment.GetEnvironmentVariable("REDOUBT_UPDATE_GOLDEN") == "1")
        {
            File.WriteAllText(GoldenPath, actual);
            return;
        }
        Assert.True(File.Exists(GoldenPath), $"no golden file at {GoldenPath}: run with REDOUBT_UPDATE_GOLDEN=1 and review it");
        var expected = File.ReadAllText(GoldenPath);
        if (expected == actual) return;
        var e = expected.Split('\n').ToHashSet();
        var a = actual.Split('\n').ToHashSet();
        var diff = string.Join('\n', e.Except(a).Select(l => "- " + l).Concat(a.Except(e).Select(l => "+ " + l)));
        Assert.Fail($"detections on the OTRF datasets changed (- golden, + now):\n{diff}\n\n" +
                    "If the change is intended: REDOUBT_UPDATE_GOLDEN=1 dotnet test Appliance.sln --filter AttackDatasetGoldenTests, and review the diff of " + GoldenPath);
    }
}

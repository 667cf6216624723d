using System.Text;
using System.Text.RegularExpressions;

namespace Redoubt.Tests.Graph.Cypher.Tck;

public sealed record GherkinStep(string Keyword, string Text, string? DocString, IReadOnlyList<string[]>? Table, int Line);

public sealed record GherkinScenario(string Feature, string File, string Name, IReadOnlyList<string> Tags, IReadOnlyList<GherkinStep> Steps, int Line)
{
    public string Id => $"{Feature} {Name}";
}

/// <summary>
/// The part of Gherkin the openCypher TCK uses: Feature, Background, Scenario, Scenario Outline with
/// Examples, tags, steps with doc strings (""") and tables (| a | b |, \| and \\ escaped).
/// Outlines are expanded into one scenario per example row.
/// </summary>
public static partial class Gherkin
{
    private static readonly string[] StepKeywords = ["Given", "When", "Then", "And", "But"];

    public static List<GherkinScenario> Parse(string path)
    {
        var lines = File.ReadAllLines(path);
        var file = Path.GetFileName(path);
        var feature = Path.GetFileNameWithoutExtension(path);
        var scenarios = new List<GherkinScenario>();
        var background = new List<GherkinStep>();
        List<GherkinStep>? steps = null;
        List<string[]>? examples = null;
        var examplesTables = new List<List<string[]>>();
        string? name = null;
        var outline = false;
        var tags = new List<string>();
        var pendingTags = new List<string>();
        var scenarioLine = 0;
        var inBackground = false;

        void Flush()
        {
            if (name is null || steps is null) return;
            if (!outline) scenarios.Add(new GherkinScenario(feature, file, name, tags, [.. background, .. steps], scenarioLine));
            else
            {
                var n = 0;
                foreach (var table in examplesTables)
                {
                    if (table.Count == 0) continue;
                    var header = table[0];
                    foreach (var row in table.Skip(1))
                    {
                        n++;
                        string Sub(string s)
                        {
                            for (var i = 0; i < header.Length; i++) s = s.Replace("<" + header[i] + ">", row[i]);
                            return s;
                        }
                        var expanded = steps.Select(st => st with
                        {
                            Text = Sub(st.Text),
                            DocString = st.DocString is null ? null : Sub(st.DocString),
                            Table = st.Table?.Select(r => r.Select(Sub).ToArray()).ToList(),
                        }).ToList();
                        scenarios.Add(new GherkinScenario(feature, file, $"{name} #{n}", tags, [.. background, .. expanded], scenarioLine));
                    }
                }
            }
            name = null;
            steps = null;
            examplesTables = [];
            examples = null;
        }

        for (var i = 0; i < lines.Length; i++)
        {
            var raw = lines[i];
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            if (line.StartsWith('@'))
            {
                pendingTags.AddRange(line.Split(' ', StringSplitOptions.RemoveEmptyEntries));
                continue;
            }
            if (line.StartsWith("Feature:", StringComparison.Ordinal))
            {
                feature = line["Feature:".Length..].Trim();
                pendingTags.Clear();
                continue;
            }
            if (line.StartsWith("Background:", StringComparison.Ordinal))
            {
                inBackground = true;
                continue;
            }
            if (line.StartsWith("Scenario:", StringComparison.Ordinal) || line.StartsWith("Scenario Outline:", StringComparison.Ordinal))
            {
                Flush();
                inBackground = false;
                outline = line.StartsWith("Scenario Outline:", StringComparison.Ordinal);
                name = line[(line.IndexOf(':') + 1)..].Trim();
                tags = pendingTags;
                pendingTags = [];
                steps = [];
                scenarioLine = i + 1;
                continue;
            }
            if (line.StartsWith("Examples:", StringComparison.Ordinal))
            {
                examples = [];
                examplesTables.Add(examples);
                pendingTags.Clear();
                continue;
            }
            if (line.StartsWith('|'))
            {
                var cells = Cells(line);
                if (examples is not null) examples.Add(cells);
                else
                {
                    var target = inBackground ? background : steps!;
                    var last = target[^1];
                    var table = (List<string[]>?)last.Table ?? [];
                    table.Add(cells);
                    target[^1] = last with { Table = table };
                }
                continue;
            }
            if (line.StartsWith("\"\"\"", StringComparison.Ordinal))
            {
                var indent = raw.IndexOf('"');
                var sb = new StringBuilder();
                for (i++; i < lines.Length && !lines[i].Trim().StartsWith("\"\"\"", StringComparison.Ordinal); i++)
                {
                    var l = lines[i];
                    sb.Append(l.Length >= indent && string.IsNullOrWhiteSpace(l[..indent]) ? l[indent..] : l.TrimStart()).Append('\n');
                }
                var target = inBackground ? background : steps!;
                target[^1] = target[^1] with { DocString = sb.ToString().TrimEnd('\n') };
                continue;
            }
            var keyword = StepKeywords.FirstOrDefault(k => line.StartsWith(k + " ", StringComparison.Ordinal));
            if (keyword is not null)
            {
                var step = new GherkinStep(keyword, line[(keyword.Length + 1)..].Trim(), null, null, i + 1);
                if (inBackground) background.Add(step); else steps?.Add(step);
                continue;
            }
            throw new FormatException($"{file}:{i + 1}: unexpected line '{line}'");
        }
        Flush();
        return scenarios;
    }

    /// <summary>| a | b\|c | → ["a", "b|c"]: cells split at unescaped bars, \\ and \| unescaped.</summary>
    public static string[] Cells(string line)
    {
        var cells = new List<string>();
        var sb = new StringBuilder();
        var i = line.IndexOf('|') + 1;
        for (; i < line.Length; i++)
        {
            var c = line[i];
            if (c == '\\' && i + 1 < line.Length)
            {
                var n = line[i + 1];
                if (n == '|') { sb.Append('|'); i++; continue; }
                if (n == '\\') { sb.Append('\\'); i++; continue; }
                if (n == 'n') { sb.Append('\n'); i++; continue; }
                sb.Append(c);
                continue;
            }
            if (c == '|')
            {
                cells.Add(sb.ToString().Trim());
                sb.Clear();
                continue;
            }
            sb.Append(c);
        }
        return cells.ToArray();
    }

    [GeneratedRegex(@"^an? (\w+) should be raised at (compile time|runtime|any time): (\S+)$")]
    public static partial Regex ErrorStep();
}

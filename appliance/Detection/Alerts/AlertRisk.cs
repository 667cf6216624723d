namespace Redoubt.Detection.Alerts;

/// <summary>
/// Risk score 0..100 of an alert: what the rule says, raised by what the graph knows of its entities.
///   risk = min(100, level + criticality + crown-jewel path + blast radius), where
///   level            informational 5, low 15, medium 35, high 55, critical 70 (unknown: medium)
///   criticality      of the most critical entity: unknown 0, low 2, medium 5, high 10, critical 15
///   crown-jewel path the entity is a crown jewel: 15; else a path of h hops exists: max(5, 15 − 2·(h − 1)); none: 0
///   blast radius     of the entity that reaches most: min(10, round(2.5 · log10(1 + nodes reached)))  (10 at ~10,000 nodes)
/// So a critical rule alone scores 70, a medium one on a crown jewel's path with a wide blast radius can
/// outrank a lone high one, and nothing the graph says can lift an informational hit above a high rule on its own.
/// </summary>
public static class AlertRisk
{
    public static int LevelPoints(int severity) => severity switch { 1 => 5, 2 => 15, 3 => 35, 4 => 55, _ => 70 };

    public static int CriticalityPoints(string criticality) => criticality switch
    {
        "low" => 2, "medium" => 5, "high" => 10, "critical" => 15, _ => 0,
    };

    public static int PathPoints(int? hops) => hops switch
    {
        null => 0,
        0 => 15,
        var h => Math.Max(5, 15 - 2 * (h.Value - 1)),
    };

    public static int BlastPoints(int reached) => (int)Math.Min(10, Math.Round(2.5 * Math.Log10(1 + reached)));

    public static int Score(int severity, AlertContext? context)
    {
        var score = LevelPoints(severity);
        if (context is { Entities.Count: > 0 } c)
        {
            score += c.Entities.Max(e => CriticalityPoints(e.Criticality));
            score += c.Entities.Max(e => PathPoints(e.CrownJewelHops));
            score += c.Entities.Max(e => BlastPoints(e.BlastRadius));
        }
        return Math.Min(100, score);
    }
}

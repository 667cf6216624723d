namespace Redoubt.Detection;

/// <summary>Configuration section "Detection".</summary>
public sealed class DetectionOptions
{
    /// <summary>Rules folder, read recursively (`--rules DIR`; several as DIR:DIR). Default: /etc/redoubt/rules when it exists.</summary>
    public string? Rules { get; set; }
    /// <summary>The log-source map. Default: /etc/redoubt/logsources.yaml when it exists, else the shipped one.</summary>
    public string? LogSourcesFile { get; set; }
    /// <summary>Values of `expand` placeholders (%Admins% → Placeholders:Admins).</summary>
    public Dictionary<string, string[]> Placeholders { get; set; } = new(StringComparer.Ordinal);
    /// <summary>How many recent detection hits are kept in memory for GET /api/v1/detections.</summary>
    public int RecentHits { get; set; } = 10_000;
    /// <summary>Evaluate the whole stored log at start (default: only events committed after start).</summary>
    public bool ReplayOnStart { get; set; }
}

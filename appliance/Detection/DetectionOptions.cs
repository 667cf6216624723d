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
    /// <summary>On the first start with a data directory, evaluate the events already stored (default: only new ones). Later starts resume from the detection checkpoint.</summary>
    public bool ReplayOnStart { get; set; }
    /// <summary>Detection state (alerts durable, correlation windows, cursor) is checkpointed this often while events flow...</summary>
    public int CheckpointSeconds { get; set; } = 5;
    /// <summary>...or after this many events, bounding what a restart re-evaluates.</summary>
    public long CheckpointAfterEvents { get; set; } = 100_000;
    public Correlation.CorrelationOptions Correlation { get; set; } = new();
    public Alerts.AlertOptions Alerts { get; set; } = new();
    /// <summary>Level (and so severity) of alerts raised by IOC matches.</summary>
    public string IocLevel { get; set; } = "high";
}

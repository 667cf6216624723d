namespace Redoubt.Detection.Correlation;

/// <summary>Counters of one correlation rule, written by the detection task, read by the API.</summary>
public sealed class CorrelationCounters
{
    internal long Inputs, Fired, Late, Evicted, Windows;
    /// <summary>Windows (groups) this correlation holds now.</summary>
    public long WindowCount => Volatile.Read(ref Windows);
    public long InputCount => Volatile.Read(ref Inputs);
    public long FiredCount => Volatile.Read(ref Fired);
    /// <summary>Hits older than the correlation's window allows (event time), ignored.</summary>
    public long LateCount => Volatile.Read(ref Late);
    /// <summary>Windows dropped to keep state within its caps (not expiry).</summary>
    public long EvictedCount => Volatile.Read(ref Evicted);
}

/// <summary>One input of a correlation: a Sigma rule or another correlation, and which fields of its hits carry each group-by value.</summary>
public sealed record CorrelationInput(bool IsCorrelation, int Index, string Reference, string RuleId, string[] GroupFields, string[] ValueFields);

/// <summary>A correlation with its references resolved against the loaded rules.</summary>
public sealed class CompiledCorrelation
{
    public required int Index { get; init; }
    public required CorrelationRule Rule { get; init; }
    public required CorrelationInput[] Inputs { get; init; }
    /// <summary>Whether its own hits raise alerts (false when only other correlations use it).</summary>
    public bool Generates { get; set; } = true;
    /// <summary>Correlations that take this one's hits as input.</summary>
    public List<(int Correlation, int Input)> Consumers { get; } = [];
    public CorrelationCounters Counters { get; } = new();
    public bool Enabled { get; set; } = true;
}

using System.Diagnostics;

namespace Redoubt.Hosting;

/// <summary>
/// Where the start went, for the "redoubt ready" line: the time since the process started and the
/// phases that are known to grow with the data (state store, graph store, event log recovery).
/// A restart that got slow then says why in the log an admin already reads.
/// </summary>
public sealed class StartupTimeline
{
    private readonly List<(string Phase, TimeSpan Took)> _phases = [];
    private (string Phase, long Started)? _open;

    /// <summary>Runs <paramref name="open"/> and records how long it took under <paramref name="phase"/>.</summary>
    public T Time<T>(string phase, Func<T> open)
    {
        var started = Stopwatch.GetTimestamp();
        try { return open(); }
        finally { lock (_phases) _phases.Add((phase, Stopwatch.GetElapsedTime(started))); }
    }

    /// <summary>Runs <paramref name="step"/> and records how long it took under <paramref name="phase"/>.</summary>
    public void Time(string phase, Action step) => Time(phase, () => { step(); return 0; });

    /// <summary>Records the time from the process's start until now under <paramref name="phase"/> (the runtime's own start).</summary>
    public void SinceStart(string phase)
    {
        lock (_phases) _phases.Add((phase, TimeSpan.FromSeconds(SinceProcessStart())));
    }

    /// <summary>Starts <paramref name="phase"/>; it ends when the next one starts or when <see cref="Describe"/> is called.</summary>
    public void Begin(string phase)
    {
        lock (_phases)
        {
            EndOpen();
            _open = (phase, Stopwatch.GetTimestamp());
        }
    }

    /// <summary>Ends the phase <see cref="Begin"/> started.</summary>
    public void End()
    {
        lock (_phases) EndOpen();
    }

    private void EndOpen()
    {
        if (_open is { } o) _phases.Add((o.Phase, Stopwatch.GetElapsedTime(o.Started)));
        _open = null;
    }

    /// <summary>Seconds since the process started (runtime start-up included).</summary>
    public static double SinceProcessStart()
    {
        using var self = Process.GetCurrentProcess();
        return (DateTime.Now - self.StartTime).TotalSeconds;
    }

    /// <summary>"started in 4.2 s (state store 0.3 s, graph store 0.5 s, event log 1.1 s)".</summary>
    public string Describe()
    {
        lock (_phases)
        {
            EndOpen();
            return FormattableString.Invariant($"started in {SinceProcessStart():F1} s") +
                   (_phases.Count == 0 ? "" : " (" + string.Join(", ", _phases.Select(p => FormattableString.Invariant($"{p.Phase} {p.Took.TotalSeconds:F1} s"))) + ")");
        }
    }
}

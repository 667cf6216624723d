using System.Diagnostics;
using Redoubt.Perf.Fuzz;

// dotnet run -c Release --project perf/Fuzz -- [inputs=5000000] [seed=1] [minutes=60]
long inputs = args.Length > 0 ? long.Parse(args[0]) : 5_000_000;
int seed = args.Length > 1 ? int.Parse(args[1]) : 1;
double minutes = args.Length > 2 ? double.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 60;

string data = FindData();
var fuzzer = new ParserFuzzer(seed, ParserFuzzer.RealSeeds(data).ToList());
var clock = Stopwatch.StartNew();
long peakHeap = 0;
Exception? failure = null;
var worker = new Thread(() =>
{
    try { fuzzer.Run(inputs, TimeSpan.FromMinutes(minutes)); }
    catch (Exception ex) { failure = ex; }
}, 16 * 1024 * 1024) { IsBackground = true };
worker.Start();

// Watchdog: progress every 10 s, or the current input is reported as a hang.
long last = -1;
while (!worker.Join(TimeSpan.FromSeconds(10)))
{
    peakHeap = Math.Max(peakHeap, GC.GetTotalMemory(false));
    long now = fuzzer.Inputs;
    Console.WriteLine($"{clock.Elapsed:hh\\:mm\\:ss} {now:N0} inputs, heap {GC.GetTotalMemory(false) / 1024 / 1024} MB");
    if (now == last)
    {
        Console.WriteLine("HANG: no progress in 10 s on input (base64) " + Convert.ToBase64String(fuzzer.Current));
        return 3;
    }
    last = now;
}
peakHeap = Math.Max(peakHeap, GC.GetTotalMemory(false));
if (failure is not null)
{
    Console.WriteLine("FAIL after " + fuzzer.Inputs + " inputs: " + failure);
    return 1;
}
// The slowest input once more, warm: a pause of the GC or the JIT is not a slow parser.
var events = new Redoubt.Ingest.Syslog.SyslogEvents(TimeZoneInfo.Utc, TimeProvider.System);
events.FromFrame(fuzzer.SlowestInput, false, Redoubt.Storage.Events.Transport.SyslogTcp, null);
var again = Stopwatch.StartNew();
for (int i = 0; i < 10; i++) events.FromFrame(fuzzer.SlowestInput, false, Redoubt.Storage.Events.Transport.SyslogTcp, null);
Console.WriteLine($"slowest input parsed again, warm: {again.Elapsed.TotalMilliseconds / 10:F3} ms each");
Console.WriteLine($"OK seed={seed}: {fuzzer.Inputs:N0} inputs ({fuzzer.Frames:N0} frames) in {clock.Elapsed.TotalSeconds:F0} s, " +
                  $"{fuzzer.Inputs / clock.Elapsed.TotalSeconds:N0} inputs/s; parse errors {fuzzer.ParseErrors:N0}, decoder errors {fuzzer.DecoderErrors:N0}; " +
                  $"slowest input {fuzzer.Slowest.TotalMilliseconds:F1} ms ({fuzzer.SlowestInput.Length} bytes); peak managed heap {peakHeap / 1024 / 1024} MB; " +
                  $"exceptions 0");
return 0;

static string FindData()
{
    if (Environment.GetEnvironmentVariable("REDOUBT_SHARED_DATA") is { Length: > 0 } env) return env;
    for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
    {
        var candidate = Path.Combine(dir.FullName, "shared", "data");
        if (Directory.Exists(candidate)) return candidate;
    }
    throw new DirectoryNotFoundException("shared/data not found; set REDOUBT_SHARED_DATA");
}

using Microsoft.Extensions.Logging.Abstractions;
using Redoubt.Commit;
using Redoubt.Storage.Events;

namespace Redoubt.Tests.Commit;

public sealed class EventFanoutTests
{
    private sealed class RecordingSink(string name, long resumeFrom) : IEventSink
    {
        public readonly List<(long Id, string? Message)> Seen = [];
        public int Idles;
        public string Name => name;
        public long ResumeFrom => resumeFrom;
        public void Apply(in StoredEvent stored) { lock (Seen) Seen.Add((stored.Id, stored.Event.Message)); }
        public void Idle() => Interlocked.Increment(ref Idles);
    }

    private static EventRecord Event(string message) => new() { Message = message, Source = "test" };

    [Fact]
    public async Task Every_sink_sees_committed_events_in_log_order_from_its_resume_point()
    {
        var dir = Directory.CreateTempSubdirectory("redoubt-fanout-").FullName;
        try
        {
            await using var log = EventLog.Open(new EventLogOptions { Directory = Path.Combine(dir, "events") });
            var first = (await log.AppendAsync([Event("a"), Event("b"), Event("c")])).Ids;

            var fresh = new RecordingSink("fresh", 0);
            var resumed = new RecordingSink("resumed", first[2]); // already applied a and b
            var fanout = new EventFanout(log, [fresh, resumed], NullLogger<EventFanout>.Instance);
            await fanout.StartAsync(CancellationToken.None);

            var later = (await log.AppendAsync([Event("d")])).Ids;
            await WaitUntil(() => { lock (fresh.Seen) lock (resumed.Seen) return fresh.Seen.Count == 4 && resumed.Seen.Count == 2; });
            // Idle comes after the last Apply; stopping right after the counts match raced it.
            await WaitUntil(() => Volatile.Read(ref fresh.Idles) > 0);
            await fanout.StopAsync(CancellationToken.None);

            Assert.Equal([(first[0], "a"), (first[1], "b"), (first[2], "c"), (later[0], "d")], fresh.Seen);
            Assert.Equal([(first[2], "c"), (later[0], "d")], resumed.Seen);
            var progress = fanout.Progress.Single(p => p.Name == "fresh");
            Assert.Equal(4, progress.Applied);
            Assert.Equal(log.CommittedUntil, progress.AppliedUntil);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("condition not reached");
            await Task.Delay(20);
        }
    }
}

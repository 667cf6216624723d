using Redoubt.Ingest;
using Redoubt.Storage.Events;
using Redoubt.Tests.Support;

namespace Redoubt.Tests.Ingest;

public sealed class SourceTableTests
{
    private readonly ManualClock _clock = new(new DateTimeOffset(2026, 12, 1, 10, 0, 0, TimeSpan.Zero));

    private EventRecord Event(string? host, string sender, EventFlags flags = EventFlags.None) =>
        new() { Host = host, Sender = sender, Flags = flags, ReceivedAtMs = _clock.GetUtcNow().ToUnixTimeMilliseconds() };

    [Fact]
    public void A_source_is_the_host_the_event_names_else_the_sender_address_without_its_port()
    {
        Assert.Equal("web1", SourceTable.KeyOf(Event("web1", "10.0.0.1:514")));
        Assert.Equal("10.0.0.1", SourceTable.KeyOf(Event(null, "10.0.0.1:514")));
        Assert.Equal("::1", SourceTable.KeyOf(Event("", "[::1]:514")));
    }

    [Fact]
    public void Counts_per_source_across_listeners_and_flags_a_source_quiet_after_the_configured_time()
    {
        var table = new SourceTable(100, TimeSpan.FromMinutes(10), TimeSpan.FromDays(1), _clock);
        var udp = new ListenerState("syslog", "syslog-udp", "x") { Sources = table };
        var tcp = new ListenerState("syslog", "syslog-tcp", "x") { Sources = table };
        udp.CountEvent(Event("fw1", "10.0.0.1:514"), 100);
        tcp.CountEvent(Event("fw1", "10.0.0.1:4000", EventFlags.ParseError | EventFlags.Truncated), 50);
        udp.CountEvent(Event("sw1", "10.0.0.2:514"), 10);
        udp.CountDropped(Event("sw1", "10.0.0.2:514"));

        var fw1 = table.Snapshot().Single(s => s.Counters.Key == "fw1");
        Assert.Equal((2L, 1L, 1L, 1L, 150L), (fw1.Counters.Received, fw1.Counters.Parsed, fw1.Counters.ParseErrors, fw1.Counters.Truncated, fw1.Counters.Bytes));
        Assert.Equal("syslog", fw1.Counters.LastListener);
        Assert.False(fw1.Quiet);
        Assert.Equal(1, table.Snapshot().Single(s => s.Counters.Key == "sw1").Counters.Dropped);

        _clock.Advance(TimeSpan.FromMinutes(9));
        udp.CountEvent(Event("sw1", "10.0.0.2:514"), 10);
        _clock.Advance(TimeSpan.FromMinutes(2));
        var now = table.Snapshot();
        Assert.True(now.Single(s => s.Counters.Key == "fw1").Quiet);
        Assert.False(now.Single(s => s.Counters.Key == "sw1").Quiet);
    }

    [Fact]
    public void Past_the_bound_new_sources_are_counted_together_as_other()
    {
        var table = new SourceTable(2, TimeSpan.FromHours(1), TimeSpan.FromDays(1), _clock);
        var l = new ListenerState("syslog", "syslog-udp", "x") { Sources = table };
        foreach (var h in new[] { "a", "b", "c", "d", "a" }) l.CountEvent(Event(h, "10.0.0.1:1"), 1);
        var snapshot = table.Snapshot();
        Assert.Equal([SourceTable.OtherKey, "a", "b"], snapshot.Select(s => s.Counters.Key).Order(StringComparer.Ordinal));
        Assert.Equal(2, snapshot.Single(s => s.Counters.Key == SourceTable.OtherKey).Counters.Received);
        Assert.Equal(2, table.Overflowed);
    }

    [Fact]
    public void Last_seen_times_are_restored_from_the_log_so_quiet_survives_a_restart_and_old_sources_are_forgotten()
    {
        var table = new SourceTable(100, TimeSpan.FromMinutes(10), TimeSpan.FromDays(1), _clock);
        var old = Event("gone", "10.0.0.3:1");
        old.ReceivedAtMs -= (long)TimeSpan.FromDays(2).TotalMilliseconds;
        var quiet = Event("quiet", "10.0.0.4:1");
        quiet.ReceivedAtMs -= (long)TimeSpan.FromHours(1).TotalMilliseconds;
        table.Restore(old);
        table.Restore(quiet);
        var s = Assert.Single(table.Snapshot());
        Assert.Equal("quiet", s.Counters.Key);
        Assert.True(s.Quiet);
        Assert.Equal(0, s.Counters.Received); // counters count this run only
    }
}

using System.Text.Json;
using MessagePack;
using Redoubt.Detection;
using Redoubt.Detection.Correlation;
using Redoubt.Storage.Events;
using Redoubt.Tests.Support;
using static Redoubt.Tests.Detection.Sigma;

namespace Redoubt.Tests.Detection.Correlation;

/// <summary>
/// Sigma correlation rules on real event sequences: sshd brute force in the loghub OpenSSH log, and
/// the OTRF comsvcs LSASS dump (Sysmon process creation, LSASS access, dump file; the dataset lists
/// them newest first, so they also arrive out of order).
/// </summary>
public class CorrelationTests
{
    private const string FailedLogin = """
        title: SSH failed login
        id: 7a0d7f2e-0000-4000-8000-000000000001
        name: ssh_failed_login
        logsource: { product: linux, service: sshd }
        detection:
            selection: { outcome: failure }
            condition: selection
        level: low
        """;

    private static string BruteForce(string condition = "gte: 20", string timespan = "10m", string extra = "") => $"""
        title: SSH brute force from one address
        id: 7a0d7f2e-0000-4000-8000-000000000002
        name: ssh_brute_force
        correlation:
            type: event_count
            rules: [ssh_failed_login]
            group-by: [src_ip]
            timespan: {timespan}
            condition: {"{"} {condition} {"}"}
        {extra}
        level: high
        tags: [attack.credential-access, attack.t1110.001]
        """;

    [Fact]
    public void Event_count_fires_for_every_address_with_twenty_failures_in_ten_minutes_of_the_OpenSSH_log()
    {
        var log = CorrelationRun.OpenSsh();
        var run = new CorrelationRun(Load(FailedLogin + "\n---\n" + BruteForce()));
        Assert.Empty(run.Set.Errors);
        run.Feed(log.Select(x => (x.Id, x.Event)));

        // Oracle, by brute force over the raw lines: addresses with 20 failures inside some 10-minute span.
        var failures = CorrelationRun.Failures(log);
        var expected = failures.GroupBy(f => f.Ip)
            .Where(g => g.Select(f => f.Time).Order().ToList() is var t && Enumerable.Range(0, t.Count).Any(i => t.Count(x => x >= t[i] && x <= t[i] + 600_000) >= 20))
            .Select(g => g.Key).Order().ToList();
        Assert.NotEmpty(expected);
        Assert.Equal(expected, run.Fired.Select(f => f.Entities["src_ip"]).Distinct().Order().ToList());
        foreach (var hit in run.Fired)
        {
            Assert.Equal(HitKind.Correlation, hit.Kind);
            Assert.Equal(20, hit.CorrelationCount);
            Assert.Equal(20, hit.EventIds.Count); // each firing carries its window's events
            var ids = failures.Where(f => f.Ip == hit.Entities["src_ip"]).Select(f => f.Id).ToHashSet();
            Assert.All(hit.EventIds, id => Assert.Contains(id, ids));
            Assert.True(hit.Generates);
        }
        // The counted rule raises no alerts of its own (Sigma's default, generate: false).
        Assert.Empty(run.Alerting);
        var c = Assert.Single(run.Set.Correlations);
        Assert.Equal(run.Fired.Count, c.Counters.FiredCount);
        Assert.Equal(failures.Count, c.Counters.InputCount);
    }

    [Fact]
    public void Generate_true_keeps_the_referenced_rule_alerting()
    {
        var run = new CorrelationRun(Load(FailedLogin + "\n---\n" + BruteForce(extra: "generate: true")));
        var log = CorrelationRun.OpenSsh();
        run.Feed(log.Select(x => (x.Id, x.Event)));
        Assert.Equal(CorrelationRun.Failures(log).Count, run.Alerting.Count);
    }

    [Fact]
    public void A_range_condition_is_decided_when_the_window_closes()
    {
        // Addresses that failed 2..3 times within 10 minutes of their first failure (tumbling windows).
        var log = CorrelationRun.OpenSsh();
        var run = new CorrelationRun(Load(FailedLogin + "\n---\n" + BruteForce("gte: 2, lte: 3")));
        run.Feed(log.Select(x => (x.Id, x.Event)));
        // The log's last event closes every window that ended before it.
        var end = log.Max(x => x.Event.TimeMs);
        var expected = new List<(string, int)>();
        foreach (var g in CorrelationRun.Failures(log).GroupBy(f => f.Ip))
        {
            var times = g.Select(f => f.Time).Order().ToList();
            for (var i = 0; i < times.Count;)
            {
                var start = times[i];
                var n = times.Count(t => t >= start && t <= start + 600_000);
                if (start + 600_000 < end && n is >= 2 and <= 3) expected.Add((g.Key, n));
                i += n;
            }
        }
        Assert.NotEmpty(expected);
        Assert.Equal(expected.Order().ToList(), run.Fired.Select(f => (f.Entities["src_ip"], (int)f.CorrelationCount!.Value)).Order().ToList());
    }

    [Fact]
    public void Value_count_counts_distinct_users_per_address()
    {
        const string rule = """
            title: SSH password spraying
            id: 7a0d7f2e-0000-4000-8000-000000000003
            correlation:
                type: value_count
                rules: [ssh_failed_login]
                group-by: [src_ip]
                timespan: 1h
                condition: { gte: 3, field: user }
            """;
        var log = CorrelationRun.OpenSsh();
        var run = new CorrelationRun(Load(FailedLogin + "\n---\n" + rule));
        Assert.Empty(run.Set.Errors);
        run.Feed(log.Select(x => (x.Id, x.Event)));

        // Oracle: addresses with 3 different user names (as sshd logs them) in failures inside one hour.
        var users = log.Where(x => CorrelationRun.Unrepeated(x.Event.Message!).StartsWith("Failed ")).Select(x =>
        {
            var m = CorrelationRun.Unrepeated(x.Event.Message!);
            var who = m[(m.IndexOf(" for ") + 5)..m.LastIndexOf(" from ")];
            if (who.StartsWith("invalid user ")) who = who[13..];
            var from = m.LastIndexOf(" from ") + 6;
            return (Ip: m[from..m.IndexOf(' ', from)], User: who, Time: x.Event.TimeMs);
        }).ToList();
        var expected = users.GroupBy(u => u.Ip).Where(g => g.Any(a => g.Where(b => b.Time >= a.Time && b.Time <= a.Time + 3_600_000).Select(b => b.User).Distinct().Count() >= 3))
            .Select(g => g.Key).Order().ToList();
        Assert.NotEmpty(expected);
        Assert.Equal(expected, run.Fired.Select(f => f.Entities["src_ip"]).Distinct().Order().ToList());
        Assert.All(run.Fired, f => Assert.Equal(3, f.CorrelationCount));
    }

    private const string ComsvcsRules = """
        title: comsvcs MiniDump started
        id: 7a0d7f2e-0000-4000-8000-000000000010
        name: comsvcs_minidump
        logsource: { category: process_creation, product: windows }
        detection:
            selection: { CommandLine|contains|all: [comsvcs, MiniDump] }
            condition: selection
        ---
        title: rundll32 opens LSASS
        id: 7a0d7f2e-0000-4000-8000-000000000011
        name: lsass_access
        logsource: { category: process_access, product: windows }
        detection:
            selection: { TargetImage|endswith: '\lsass.exe', SourceImage|endswith: '\rundll32.exe' }
            condition: selection
        ---
        title: dump file written
        id: 7a0d7f2e-0000-4000-8000-000000000012
        name: dump_file
        logsource: { category: file_event, product: windows }
        detection:
            selection: { TargetFilename|endswith: '.dmp' }
            condition: selection
        """;

    private static string Sequence(string type, params string[] rules) => $"""
        title: LSASS dumped with comsvcs
        id: 7a0d7f2e-0000-4000-8000-000000000013
        correlation:
            type: {type}
            rules: [{string.Join(", ", rules)}]
            group-by: [Hostname]
            timespan: 1m
        level: critical
        """;

    private static List<(long, EventRecord)> Comsvcs()
    {
        var path = SharedData.PathOf("agent-events", "otrf-security-datasets", "windows", "psh_lsass_memory_dump_comsvcs_2020-10-18T19500924.json");
        return File.ReadLines(path).Where(l => l.StartsWith('{')).Select((l, i) =>
        {
            var time = DateTimeOffset.Parse(JsonDocument.Parse(l).RootElement.GetProperty("TimeCreated").GetString()!, null, System.Globalization.DateTimeStyles.AssumeUniversal);
            var e = Json(l);
            e.TimeMs = time.ToUnixTimeMilliseconds();
            return ((long)(i + 1), e);
        }).ToList();
    }

    [Fact]
    public void Temporal_ordered_finds_the_dump_sequence_though_the_dataset_lists_it_newest_first()
    {
        var events = Comsvcs();
        Assert.True(events.First().Item2.TimeMs > events.Last().Item2.TimeMs, "the dataset is newest first");
        var run = new CorrelationRun(Load(ComsvcsRules + "\n---\n" + Sequence("temporal_ordered", "comsvcs_minidump", "lsass_access", "dump_file")));
        Assert.Empty(run.Set.Errors);
        run.Feed(events);
        Assert.True(run.Fired.Count == 1, string.Join("\n", run.Fired.Select(f => string.Join(",", f.EventIds) + " " + string.Join(",", f.Entities))) + " hits: " + run.Set.Correlations[0].Counters.InputCount);
        var hit = run.Fired[0];
        Assert.Equal("WORKSTATION5", hit.Entities["host"]); // Hostname names the host entity
        Assert.Equal(3, hit.EventIds.Count);
        var times = hit.EventIds.Select(id => events.Single(e => e.Item1 == id).Item2.TimeMs).ToList();
        Assert.Equal(times.Order(), times); // creation, access, file: in the listed order by event time

        // The same three rules in an order the events never took: no sequence.
        var wrong = new CorrelationRun(Load(ComsvcsRules + "\n---\n" + Sequence("temporal_ordered", "dump_file", "lsass_access", "comsvcs_minidump")));
        wrong.Feed(events);
        Assert.Empty(wrong.Fired);
        // temporal does not care about order.
        var any = new CorrelationRun(Load(ComsvcsRules + "\n---\n" + Sequence("temporal", "dump_file", "lsass_access", "comsvcs_minidump")));
        any.Feed(events);
        Assert.Single(any.Fired);
    }

    [Fact]
    public void Aliases_group_different_fields_of_different_rules()
    {
        // The comsvcs process creation names the host in Hostname, and so does the file event; alias them
        // through a name each rule reads differently (Computer is absent: the alias must be used).
        var rule = """
            title: LSASS dumped with comsvcs (aliased)
            id: 7a0d7f2e-0000-4000-8000-000000000014
            correlation:
                type: temporal
                rules: [comsvcs_minidump, dump_file]
                group-by: [machine]
                timespan: 1m
                aliases:
                    machine:
                        comsvcs_minidump: Hostname
                        dump_file: Hostname
            """;
        var run = new CorrelationRun(Load(ComsvcsRules + "\n---\n" + rule));
        Assert.Empty(run.Set.Errors);
        run.Feed(Comsvcs());
        Assert.Equal("WORKSTATION5", Assert.Single(run.Fired).Entities["machine"]);
    }

    [Fact]
    public void A_correlation_of_a_correlation_fires_on_its_hits()
    {
        var outer = """
            title: brute force and invalid users from one address
            id: 7a0d7f2e-0000-4000-8000-000000000020
            correlation:
                type: temporal
                rules: [ssh_brute_force, ssh_invalid_user]
                group-by: [src_ip]
                timespan: 30m
            level: critical
            ---
            title: SSH invalid user
            id: 7a0d7f2e-0000-4000-8000-000000000021
            name: ssh_invalid_user
            logsource: { product: linux, service: sshd }
            detection:
                selection: { invalid_user: 'true' }
                condition: selection
            """;
        var run = new CorrelationRun(Load(FailedLogin + "\n---\n" + BruteForce() + "\n---\n" + outer));
        Assert.Empty(run.Set.Errors);
        run.Feed(CorrelationRun.OpenSsh().Select(x => (x.Id, x.Event)));
        var inner = run.Fired.Where(f => f.RuleId.EndsWith("0002")).ToList();
        var chained = run.Fired.Where(f => f.RuleId.EndsWith("0020")).ToList();
        Assert.NotEmpty(chained);
        Assert.All(chained, c => Assert.Contains(inner, i => i.Entities["src_ip"] == c.Entities["src_ip"]));
        Assert.All(inner, i => Assert.False(i.Generates)); // used by the outer correlation only
        Assert.All(chained, c => Assert.True(c.Generates));
    }

    [Fact]
    public void State_stays_within_its_caps_and_says_so()
    {
        var log = CorrelationRun.OpenSsh();
        var run = new CorrelationRun(Load(FailedLogin + "\n---\n" + BruteForce(timespan: "1d")), new CorrelationOptions { MaxWindows = 5 });
        run.Feed(log.Select(x => (x.Id, x.Event)));
        Assert.True(run.Engine.WindowsHeld <= 5);
        Assert.True(run.Engine.Evicted > 0);
        Assert.Equal(run.Engine.Evicted, run.Set.Correlations[0].Counters.EvictedCount);
        Assert.Equal(run.Engine.WindowsHeld, run.Set.Correlations[0].Counters.WindowCount);
    }

    [Fact]
    public void Late_hits_older_than_the_window_are_counted_and_ignored()
    {
        var log = CorrelationRun.OpenSsh().Select(x => (x.Id, x.Event)).ToList();
        var run = new CorrelationRun(Load(FailedLogin + "\n---\n" + BruteForce()));
        // The log replayed backwards: every failure after the first (per address) that is more than 10
        // minutes older than the address's newest is late.
        log.Reverse();
        run.Feed(log);
        Assert.True(run.Set.Correlations[0].Counters.LateCount > 0);
    }

    [Fact]
    public void A_snapshot_restored_mid_stream_gives_the_same_firings_as_one_run()
    {
        var log = CorrelationRun.OpenSsh().Select(x => (x.Id, x.Event)).ToList();
        var yaml = FailedLogin + "\n---\n" + BruteForce() + "\n---\n" + BruteForce("gte: 2, lte: 3").Replace("0002", "0003").Replace("ssh_brute_force", "ssh_few");
        var whole = new CorrelationRun(Load(yaml));
        whole.Feed(log);

        var first = new CorrelationRun(Load(yaml));
        first.Feed(log.Take(1000));
        var bytes = MessagePackSerializer.Serialize(first.Engine.Snapshot());
        var second = new CorrelationRun(Load(yaml));
        second.Engine.Restore(MessagePackSerializer.Deserialize<CorrelationSnapshot>(bytes), second.Set);
        second.Feed(log.Skip(1000));

        static string Key(DetectionHit h) => $"{h.RuleId} {h.Entities["src_ip"]} {h.CorrelationCount} {string.Join(',', h.EventIds)}";
        Assert.Equal(whole.Fired.Select(Key), first.Fired.Concat(second.Fired).Select(Key));
    }

    [Theory]
    [InlineData("type: event_count\n    rules: [ssh_failed_login]\n    timespan: 10 minutes\n    condition: { gte: 2 }", "invalid_value")]
    [InlineData("type: event_counts\n    rules: [ssh_failed_login]\n    timespan: 10m\n    condition: { gte: 2 }", "invalid_value")]
    [InlineData("type: event_count\n    rules: [ssh_failed_login]\n    timespan: 10m", "missing_field")]
    [InlineData("type: event_count\n    rules: [ssh_failed_login]\n    timespan: 10m\n    condition: { lt: 5 }", "unsupported_feature")]
    [InlineData("type: event_count\n    rules: [ssh_failed_login]\n    timespan: 10m\n    condition: { gte: 5, lt: 3 }", "invalid_value")]
    [InlineData("type: event_count\n    rules: [ssh_failed_login]\n    timespan: 10m\n    condition: { above: 5 }", "invalid_field")]
    [InlineData("type: value_count\n    rules: [ssh_failed_login]\n    timespan: 10m\n    condition: { gte: 5 }", "missing_field")]
    [InlineData("type: temporal\n    rules: [ssh_failed_login]\n    timespan: 10m", "invalid_value")]
    [InlineData("type: event_count\n    rules: [ssh_failed_login]\n    timespan: 10m\n    condition: { gte: 2 }\n    ordered: true", "invalid_field")]
    [InlineData("type: event_count\n    rules: [nope]\n    timespan: 10m\n    condition: { gte: 2 }", "unknown_rule")]
    [InlineData("type: temporal\n    rules: [ssh_failed_login, me]\n    group-by: [x]\n    timespan: 10m\n    aliases: { x: { other: y } }", "invalid_field")]
    [InlineData("type: temporal\n    rules: [ssh_failed_login, me]\n    timespan: 10m", "invalid_field")]
    public void Invalid_correlations_are_load_errors_with_a_code(string body, string code)
    {
        var set = Load(FailedLogin + "\n---\ntitle: bad\nname: me\nid: 7a0d7f2e-0000-4000-8000-0000000000ff\ncorrelation:\n    " + body + "\n");
        var e = Assert.Single(set.Errors);
        Assert.Equal(code, e.Code);
        Assert.Equal("rule0.yml", e.File);
        Assert.True(e.Line >= 8, $"line {e.Line}: {e.Message}");
        Assert.Empty(set.Correlations);
    }

    [Fact]
    public void An_outer_correlation_cannot_group_by_a_value_the_inner_one_does_not_carry()
    {
        var outer = """
            title: outer
            id: 7a0d7f2e-0000-4000-8000-000000000030
            correlation:
                type: event_count
                rules: [ssh_brute_force]
                group-by: [user]
                timespan: 1h
                condition: { gte: 2 }
            """;
        var set = Load(FailedLogin + "\n---\n" + BruteForce() + "\n---\n" + outer);
        var e = Assert.Single(set.Errors);
        Assert.Equal("invalid_field", e.Code);
        Assert.Contains("src_ip", e.Message);
    }

    [Fact]
    public void Timespans_read_as_the_specification_writes_them()
    {
        Assert.Equal(30_000, CorrelationReader.ParseTimespan("30s"));
        Assert.Equal(5_400_000, CorrelationReader.ParseTimespan("90m"));
        Assert.Equal(3_600_000, CorrelationReader.ParseTimespan("1h"));
        Assert.Equal(172_800_000, CorrelationReader.ParseTimespan("2d"));
        Assert.Null(CorrelationReader.ParseTimespan("1y"));
        Assert.Null(CorrelationReader.ParseTimespan("0m"));
        Assert.Null(CorrelationReader.ParseTimespan("m"));
    }
}

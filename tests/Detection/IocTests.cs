using Redoubt.Detection;
using Redoubt.Detection.Engine;
using Redoubt.Detection.Iocs;
using Redoubt.Storage.Events;
using Redoubt.Tests.Detection.Correlation;
using Redoubt.Tests.Support;
using static Redoubt.Tests.Detection.Sigma;

namespace Redoubt.Tests.Detection;

/// <summary>IOC lists (CSV, STIX 2.1) read with per-indicator errors, and matched in real events: sshd lines, Sysmon hashes, Zeek DNS.</summary>
public class IocTests
{
    private static readonly string Now = DateTimeOffset.UtcNow.AddDays(30).ToString("o");
    private static readonly string Past = DateTimeOffset.UtcNow.AddDays(-1).ToString("o");

    [Fact]
    public void Csv_lists_import_each_type_and_name_every_bad_row()
    {
        var csv = $"""
            type,value,source,expiry
            # a comment line
            ipv4,183.62.140.253,honeypot,{Now}
            cidr,187.141.143.0/24,feed-a,
            ipv6,2001:DB8::1,,
            domain,Evil.Example.,feed-b,
            url,http://evil.example/payload.ps1,feed-b,
            md5,75A0B672A1333FDF07984447CB4DA048,vt,
            sha256,"4206F04FAD8000FA1CD66549A87EC2829011B7CD929DD8E59F75FFB677366AE9",vt,
            ipv4,999.1.1.1,x,
            mac,00:11:22:33:44:55,x,
            sha1,abc,x,
            ipv4,1.2.3.4,x,not a date
            """;
        var r = IocParsers.Csv(csv, "list");
        Assert.Equal(["ipv4 183.62.140.253", "cidr 187.141.143.0/24", "ipv6 2001:db8::1", "domain evil.example", "url http://evil.example/payload.ps1",
            "md5 75a0b672a1333fdf07984447cb4da048", "sha256 4206f04fad8000fa1cd66549a87ec2829011b7cd929dd8e59f75ffb677366ae9"],
            r.Indicators.Select(i => IocTypes.Name(i.Type) + " " + i.Value));
        Assert.Equal("honeypot", r.Indicators[0].Source);
        Assert.Equal("list", r.Indicators[2].Source); // no source column value: the list's name
        Assert.NotNull(r.Indicators[0].ExpiresMs);
        Assert.Equal([("line 10", "invalid_value"), ("line 11", "unknown_type"), ("line 12", "invalid_value"), ("line 13", "invalid_value")],
            r.Errors.Select(e => (e.Where, e.Code)));
        Assert.All(r.Errors, e => Assert.False(string.IsNullOrWhiteSpace(e.Message)));
    }

    [Fact]
    public void Csv_without_type_and_value_columns_is_refused()
    {
        var r = IocParsers.Csv("indicator,kind\n1.2.3.4,ip\n", "x");
        Assert.Empty(r.Indicators);
        Assert.Equal("invalid_row", Assert.Single(r.Errors).Code);
    }

    public const string Bundle = """
        {"type":"bundle","id":"bundle--1","objects":[
          {"type":"identity","id":"identity--1","name":"CERT"},
          {"type":"indicator","id":"indicator--a","name":"brute forcer","pattern":"[ipv4-addr:value = '183.62.140.253']","pattern_type":"stix","valid_from":"2016-01-01T00:00:00Z","created_by_ref":"identity--1"},
          {"type":"indicator","id":"indicator--b","pattern":"[domain-name:value = 'dmevals.local'] OR [url:value = 'http://evil.example/x']","pattern_type":"stix","valid_from":"2016-01-01T00:00:00Z"},
          {"type":"indicator","id":"indicator--c","pattern":"[file:hashes.'SHA-256' = '4206F04FAD8000FA1CD66549A87EC2829011B7CD929DD8E59F75FFB677366AE9' OR file:hashes.MD5 = 'ad92544db12e3b50ecbd9b0f8ff1331f']","pattern_type":"stix","valid_from":"2016-01-01T00:00:00Z"},
          {"type":"indicator","id":"indicator--d","pattern":"[ipv4-addr:value = '187.141.143.0/24']","pattern_type":"stix","valid_from":"2016-01-01T00:00:00Z"},
          {"type":"indicator","id":"indicator--e","pattern":"[ipv4-addr:value = '1.1.1.1' AND ipv4-addr:value = '2.2.2.2']","pattern_type":"stix","valid_from":"2016-01-01T00:00:00Z"},
          {"type":"indicator","id":"indicator--f","pattern":"[process:name = 'evil.exe']","pattern_type":"stix","valid_from":"2016-01-01T00:00:00Z"},
          {"type":"indicator","id":"indicator--g","pattern":"[domain-name:value MATCHES '^evil']","pattern_type":"stix","valid_from":"2016-01-01T00:00:00Z"},
          {"type":"indicator","id":"indicator--h","pattern":"[ipv4-addr:value = '5.5.5.5'] FOLLOWEDBY [ipv4-addr:value = '6.6.6.6']","pattern_type":"stix","valid_from":"2016-01-01T00:00:00Z"},
          {"type":"indicator","id":"indicator--i","pattern":"alert tcp any any","pattern_type":"snort","valid_from":"2016-01-01T00:00:00Z"},
          {"type":"indicator","id":"indicator--j","pattern":"[ipv4-addr:value = '103.99.0.122']","pattern_type":"stix","valid_from":"2016-01-01T00:00:00Z","valid_until":"2017-01-01T00:00:00Z"},
          {"type":"indicator","id":"indicator--k","pattern":"[ipv4-addr:value = '9.9.9.9']","pattern_type":"stix","revoked":true,"valid_from":"2016-01-01T00:00:00Z"}
        ]}
        """;

    [Fact]
    public void Stix_bundles_import_simple_patterns_and_refuse_the_rest_one_by_one()
    {
        var r = IocParsers.Stix(Bundle, "cert");
        Assert.Equal(["indicator--a", "indicator--b", "indicator--b", "indicator--c", "indicator--c", "indicator--d", "indicator--j"], r.Indicators.Select(i => i.Ref));
        Assert.Equal("identity--1", r.Indicators[0].Source);
        Assert.Equal("brute forcer", r.Indicators[0].Name);
        Assert.Equal(IocType.Cidr, r.Indicators[5].Type);
        Assert.NotNull(r.Indicators[6].ExpiresMs);
        Assert.Equal([("indicator--e", "unsupported_pattern"), ("indicator--f", "unsupported_pattern"), ("indicator--g", "unsupported_pattern"),
            ("indicator--h", "unsupported_pattern"), ("indicator--i", "unsupported_pattern"), ("indicator--k", "revoked")], r.Errors.Select(e => (e.Where, e.Code)));
        Assert.Contains("AND", r.Errors[0].Message);
        Assert.Equal("not_a_bundle", Assert.Single(IocParsers.Stix("""{"type":"indicator"}""", "x").Errors).Code);
        Assert.Equal("invalid_json", Assert.Single(IocParsers.Stix("{", "x").Errors).Code);
    }

    private static (Evaluator, HitList) Matcher(string bundle)
    {
        var set = Load(); // no rules: IOC matching runs on its own
        var parsed = IocParsers.Stix(bundle, "cert");
        var evaluator = new Evaluator(set) { Iocs = new IocIndex([("cert", parsed.Indicators)]) };
        return (evaluator, new HitList());
    }

    [Fact]
    public void Addresses_in_sshd_lines_match_once_per_event_and_expired_indicators_do_not()
    {
        var (evaluator, hits) = Matcher(Bundle);
        var log = CorrelationRun.OpenSsh();
        foreach (var (id, e, _) in log) evaluator.Evaluate(id, e, hits);
        var byIndicator = hits.Hits.GroupBy(h => h.Ioc!.Indicator).ToDictionary(g => g.Key, g => g.ToList());
        // Every line naming the address (in its text), once each: the decoded src_ip and the message are one sighting.
        var lines = log.Where(x => x.Event.Message!.Contains("183.62.140.253")).Select(x => x.Id).ToList();
        Assert.Equal(lines, byIndicator["183.62.140.253"].Select(h => h.EventId));
        var network = log.Where(x => x.Event.Message!.Contains("187.141.143.")).Select(x => x.Id).ToList();
        Assert.NotEmpty(network);
        Assert.Equal(network, byIndicator["187.141.143.0/24"].Select(h => h.EventId));
        Assert.False(byIndicator.ContainsKey("103.99.0.122"), "an expired indicator matched");
        Assert.Contains(log, x => x.Event.Message!.Contains("103.99.0.122"));
        var hit = byIndicator["183.62.140.253"][0];
        Assert.Equal(HitKind.Ioc, hit.Kind);
        Assert.Equal("ioc:cert", hit.RuleId);
        Assert.Equal("indicator--a", hit.Ioc!.Ref);
        Assert.Equal("183.62.140.253", hit.Entities["indicator"]);
        Assert.Equal("LabSZ", hit.Entities["host"]);
    }

    [Fact]
    public void Sysmon_hashes_and_zeek_dns_queries_match_their_indicators()
    {
        var (evaluator, hits) = Matcher(Bundle);
        var sysmon = File.ReadLines(SharedData.PathOf("agent-events", "otrf-security-datasets", "windows", "psh_lsass_memory_dump_comsvcs_2020-10-18T19500924.json"))
            .Where(l => l.StartsWith('{')).ToList();
        long id = 0;
        foreach (var line in sysmon) evaluator.Evaluate(++id, Json(line), hits);
        var hashHits = hits.Hits.Where(h => h.Ioc!.Type is "sha256" or "md5").ToList();
        Assert.Equal(sysmon.Count(l => l.Contains("4206F04FAD8000FA1CD66549A87EC2829011B7CD929DD8E59F75FFB677366AE9") || l.Contains("AD92544DB12E3B50ECBD9B0F8FF1331F")), hashHits.Count);
        Assert.NotEmpty(hashHits);
        Assert.All(hashHits, h => Assert.Equal("Hashes", h.Ioc!.Field));

        hits.Hits.Clear();
        var dns = File.ReadLines(SharedData.PathOf("agent-events", "otrf-security-datasets", "zeek-json-apt29-day1", "NASHUA_dns.log")).ToList();
        foreach (var line in dns) evaluator.Evaluate(++id, Json(line), hits);
        var domainHits = hits.Hits.Where(h => h.Ioc!.Type == "domain").ToList();
        // dmevals.local and every name under it (newyork.dmevals.local…).
        Assert.Equal(dns.Count(l => l.Contains("dmevals.local\"")), domainHits.Count);
        Assert.NotEmpty(domainHits);
        Assert.All(domainHits, h => Assert.EndsWith("dmevals.local", h.Ioc!.Observed, StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public void Matching_an_event_with_no_indicator_allocates_nothing()
    {
        var (evaluator, hits) = Matcher(Bundle);
        var log = CorrelationRun.OpenSsh().Where(x => !x.Event.Message!.Contains("183.62.140.253") && !x.Event.Message!.Contains("187.141.143.")).Select(x => x.Event).Take(200).ToList();
        foreach (var e in log) evaluator.Evaluate(1, e, hits); // warm up
        var before = GC.GetAllocatedBytesForCurrentThread();
        foreach (var e in log) evaluator.Evaluate(1, e, hits);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}

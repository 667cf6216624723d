using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Text;
using Redoubt.Ingest.Http;
using Redoubt.Ingest.Syslog;
using Redoubt.Storage.Events;
using Redoubt.Tests.Support;

namespace Redoubt.Tests.Storage;

/// <summary>
/// A search matches stored entries on their encoded bytes (<see cref="EventFilter"/>) and decodes only
/// the matches. It must answer exactly as the old path, decode then <see cref="EventQuery.Matches"/>:
/// both run here side by side over the real corpora (syslog through the appliance's parser, agent JSON
/// through the NDJSON ingest) with many filters drawn from those events, and must pick the same events.
/// </summary>
public sealed class EventFilterTests
{
    private static readonly Lazy<List<EventRecord>> Corpus = new(LoadCorpus);

    private static List<EventRecord> LoadCorpus()
    {
        var syslog = new SyslogEvents(TimeZoneInfo.Utc, TimeProvider.System);
        var sender = new IPEndPoint(IPAddress.Parse("10.1.2.3"), 5140);
        var logs = SharedData.PathOf("logs");
        var files = Directory.GetFiles(Path.Combine(logs, "loghub"), "*_2k.log", SearchOption.AllDirectories)
            .Concat(Directory.GetFiles(Path.Combine(logs, "wazuh-ruleset-tests", "by-vendor-log"), "*.log"))
            .Concat(Directory.GetFiles(Path.Combine(logs, "cef"), "*.log", SearchOption.AllDirectories))
            .Order(StringComparer.Ordinal).ToList();
        var events = new List<EventRecord>();
        foreach (var file in files)
            foreach (var line in File.ReadLines(file).Where(l => l.Length > 0).Take(600))
                events.Add(syslog.FromFrame(Encoding.UTF8.GetBytes(line), truncated: false, Transport.SyslogTcp, sender));
        var json = string.Join('\n', Otrf.Take(0, 1500)) + "\n";
        var agent = NdjsonIngest.ReadAsync(PipeReader.Create(new MemoryStream(Encoding.UTF8.GetBytes(json))), 1 << 22, "10.9.9.9:443",
            TimeProvider.System, CancellationToken.None).GetAwaiter().GetResult();
        events.AddRange(agent.Events);
        // Values the corpora lack: no host or app, non-ASCII and case-tricky text (Turkish I, Kelvin sign, sharp s).
        events.Add(new EventRecord { TimeMs = 5, Message = "Überprüfung fehlgeschlagen für BENUTZER straße" });
        events.Add(new EventRecord { TimeMs = 6, Host = "İstanbul-gw", App = "ſshd", Severity = 3, Message = "KELVIN 300\u212A reached; ıI" });
        events.Add(new EventRecord { TimeMs = 7, Host = "ÉCOLE-01", App = "Kern", Severity = 0, Json = "{\"msg\":\"Ärger mit dem Server\"}" });
        events.Add(new EventRecord { TimeMs = 8, Host = "", App = "", Severity = -1, Message = "" });
        // Text only in structured data, host or app (q searches those too).
        events.Add(new EventRecord { TimeMs = 9, Host = "fw-edge-07", App = "pf", StructuredData = "[meta sequenceId=\"SDONLY12345\" origin=\"Zürich\"]", Message = "blocked" });
        return events;
    }

    private static List<byte[]> Encode(IEnumerable<EventRecord> events)
    {
        var buffer = new ArrayBufferWriter<byte>();
        return events.Select(e => { buffer.ResetWrittenCount(); EventCodec.Encode(e, buffer); return buffer.WrittenSpan.ToArray(); }).ToList();
    }

    /// <summary>Filters drawn from the corpus: present, re-cased and absent hosts, apps, severities, time bounds, texts (ASCII and not), and mixes.</summary>
    private static List<EventQuery> Filters(List<EventRecord> events, int count, int seed)
    {
        var rng = new Random(seed);
        var hosts = events.Select(e => e.Host).OfType<string>().Distinct().ToList();
        var apps = events.Select(e => e.App).OfType<string>().Distinct().ToList();
        var texts = events.SelectMany(e => new[] { e.Message, e.Json, e.Host, e.App, e.StructuredData }).OfType<string>().Where(t => t.Length > 0).ToList();
        var times = events.Select(e => e.TimeMs).Order().ToList();
        string Recase(string s) => string.Concat(s.Select(c => rng.Next(2) == 0 ? char.ToUpperInvariant(c) : char.ToLowerInvariant(c)));
        string Piece()
        {
            switch (rng.Next(12))
            {
                case 0: return "no-such-text-anywhere";
                case 1: return new[] { "ü", "STRASSE", "straße", "İ", "ı", "\u212A", "k", "ÄRGER", "é", "ſ", "s" }[rng.Next(11)];
                case 2: return "";
                default: return Excerpt(texts[rng.Next(texts.Count)]);
            }
        }
        string Excerpt(string t)
        {
            if (t.Length == 0) return t;
            var at = rng.Next(t.Length);
            var piece = t.Substring(at, Math.Min(t.Length - at, 1 + rng.Next(24)));
            return rng.Next(3) == 0 ? Recase(piece) : piece;
        }
        var filters = new List<EventQuery>
        {
            new(),
            new() { Text = "failed password" },
            new() { Text = "FAILED PASSWORD", Host = hosts[0] },
            new() { Host = "İSTANBUL-GW" }, new() { Host = "istanbul-gw" }, new() { Host = "école-01" }, new() { App = "SSHD" }, new() { App = "kern" },
            new() { Host = "" }, new() { Text = "" }, new() { MaxSeverity = 0 }, new() { FromMs = 6, ToMs = 8 },
            new() { Text = "sdonly12345" }, new() { Text = "zürich" }, new() { Text = "EDGE-07" }, new() { Text = "EDGE-07", Host = "fw-edge-07" },
        };
        while (filters.Count < count)
        {
            // Each criterion taken from one anchor event (so a conjunction still picks something),
            // sometimes re-cased, sometimes replaced by a value no event has.
            var e = events[rng.Next(events.Count)];
            var kinds = rng.Next(1, 32);
            bool Pick(int bit) => (kinds & bit) != 0;
            filters.Add(new EventQuery
            {
                Host = Pick(1) ? rng.Next(6) switch { 0 => "no-such-host", 1 => hosts[rng.Next(hosts.Count)], 2 => e.Host is null ? null : Recase(e.Host), _ => e.Host } : null,
                App = Pick(2) ? rng.Next(5) switch { 0 => apps[rng.Next(apps.Count)], 1 => e.App is null ? null : Recase(e.App), _ => e.App } : null,
                MaxSeverity = Pick(4) ? Math.Max(-1, e.Severity + rng.Next(-1, 3)) : null,
                FromMs = Pick(8) && rng.Next(2) == 0 ? e.TimeMs - rng.Next(0, 3) * 3_600_000L : null,
                ToMs = Pick(8) && rng.Next(2) == 0 ? e.TimeMs + rng.Next(0, 3) * 3_600_000L : null,
                Text = Pick(16) ? (rng.Next(4) == 0 || (e.Message ?? e.Json) is null ? Piece() : Excerpt(rng.Next(3) == 0 && e.Json is not null ? e.Json : e.Message ?? e.Json!)) : null,
            });
        }
        return filters;
    }

    [Fact]
    public void The_encoded_match_picks_the_same_events_as_decode_then_match_on_real_events()
    {
        var events = Corpus.Value;
        var entries = Encode(events);
        var decoded = entries.Select(e => EventCodec.Decode(e)).ToList();
        var filters = Filters(events, 600, seed: 7);
        int positive = 0, negative = 0, partial = 0;
        foreach (var query in filters)
        {
            var filter = new EventFilter(query);
            var expected = new List<int>();
            var actual = new List<int>();
            for (var i = 0; i < entries.Count; i++)
            {
                if (query.Matches(decoded[i])) expected.Add(i);
                if (filter.Matches(entries[i].AsMemory(EventCodec.HeaderBytes))) actual.Add(i);
            }
            Assert.True(expected.SequenceEqual(actual),
                $"{query}: decoded path picks {expected.Count}, encoded path {actual.Count}; first differences: " +
                string.Join(", ", expected.Except(actual).Concat(actual.Except(expected)).Take(5).Select(i => $"#{i} host={decoded[i].Host} app={decoded[i].App} msg={decoded[i].Message?[..Math.Min(60, decoded[i].Message!.Length)]}")));
            if (expected.Count == entries.Count) positive++;
            else if (expected.Count == 0) negative++;
            else partial++;
        }
        // The filters are not vacuous: most pick some events and leave others.
        Assert.True(partial > filters.Count / 2, $"{partial} of {filters.Count} filters picked some events but not all ({positive} all, {negative} none)");
        Assert.True(negative > 10, $"{negative} filters picked nothing");
        Assert.True(events.Count(e => e.Json is not null) > 1000 && events.Count(e => e.Fields is not null) > 100);
    }

    [Fact]
    public async Task Text_search_finds_text_that_sits_only_in_the_host_the_app_or_the_structured_data()
    {
        using var store = new TempStore();
        await using var log = store.Open(blockEvents: 256, segmentBits: 20);
        await log.AppendAsync(
        [
            new EventRecord { TimeMs = 1, Host = "web-1", App = "nginx", Message = "GET / 200" },
            new EventRecord { TimeMs = 2, Host = "fw-edge-07", App = "pf", StructuredData = "[meta sequenceId=\"SDONLY12345\"]", Message = "blocked" },
            new EventRecord { TimeMs = 3, Host = "db-2", App = "postgres-audit", Message = "login" },
        ]);
        async Task<string[]> HostsFor(string text) =>
            (await log.QueryAsync(new EventQuery { Text = text })).Events.Select(e => e.Event.Host!).ToArray();
        Assert.Equal(["fw-edge-07"], await HostsFor("sdonly12345"));
        Assert.Equal(["fw-edge-07"], await HostsFor("EDGE-07"));
        Assert.Equal(["db-2"], await HostsFor("audit"));
        Assert.Equal(["web-1"], await HostsFor("GET /"));
        Assert.Empty(await HostsFor("nowhere"));
    }

    [Fact]
    public void A_short_array_holds_defaults_and_is_matched_as_the_decoder_reads_it()
    {
        // An entry of an older, shorter layout: [received, time] only (the decoder leaves the rest at their defaults).
        var payload = new ArrayBufferWriter<byte>();
        var w = new MessagePack.MessagePackWriter(payload);
        w.WriteArrayHeader(2);
        w.Write(100L);
        w.Write(200L);
        w.Flush();
        var entry = new byte[EventCodec.HeaderBytes + payload.WrittenCount];
        payload.WrittenSpan.CopyTo(entry.AsSpan(EventCodec.HeaderBytes));
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(entry, System.IO.Hashing.Crc32.HashToUInt32(entry.AsSpan(EventCodec.HeaderBytes)));
        var record = EventCodec.Decode(entry);
        foreach (var q in new EventQuery[]
                 {
                     new(), new() { FromMs = 200 }, new() { FromMs = 201 }, new() { ToMs = 200 }, new() { Host = "" }, new() { App = "x" },
                     new() { MaxSeverity = 7 }, new() { Text = "" }, new() { Text = "x" },
                 })
            Assert.Equal(q.Matches(record), new EventFilter(q).Matches(entry.AsMemory(EventCodec.HeaderBytes)));
    }

    [Fact]
    public void A_garbled_payload_is_reported_as_a_damaged_event()
    {
        var entry = Encode([Corpus.Value[0]])[0];
        entry[EventCodec.HeaderBytes] = 0xc1; // never used in MessagePack
        var e = Assert.Throws<EventCorruptException>(() => new EventFilter(new EventQuery { Host = "x" }).Matches(entry.AsMemory(EventCodec.HeaderBytes), 4096));
        Assert.Equal(4096, e.Address);
    }

    [Fact]
    public async Task Search_and_export_through_the_log_return_exactly_the_events_brute_force_finds()
    {
        using var store = new TempStore();
        await using var log = store.Open(blockEvents: 256, segmentBits: 20);
        var events = Corpus.Value;
        for (var i = 0; i < events.Count; i += 500) await log.AppendAsync(events.Skip(i).Take(500).ToList());
        var all = await TempStore.AllAsync(log);
        Assert.Equal(events.Count, all.Count);
        foreach (var query in Filters(events, 40, seed: 11))
        {
            var expected = all.Where(e => query.Matches(e.Event)).Select(e => e.Id).ToList();
            var exported = new List<long>();
            await foreach (var e in log.ExportAsync(query)) exported.Add(e.Id);
            Assert.Equal(expected, exported);
            // Newest first, in pages of 37 followed by their cursors.
            var paged = new List<long>();
            long? cursor = null;
            do
            {
                var page = await log.QueryAsync(query with { Limit = 37, BeforeId = cursor });
                paged.AddRange(page.Events.Select(e => e.Id));
                Assert.All(page.Events, e => Assert.True(query.Matches(e.Event)));
                cursor = page.NextCursor;
            } while (cursor is not null);
            Assert.Equal(Enumerable.Reverse(expected), paged);
        }
    }
}

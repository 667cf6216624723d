using System.Text;
using Redoubt.Detection.Events;
using Redoubt.Detection.LogSources;
using Redoubt.Tests.Support;

namespace Redoubt.Tests.Detection.Events;

/// <summary>
/// The detection JSON scanner reads exactly what the Utf8JsonReader-based reader it replaced read:
/// the same values in the same slots, in the same order, with the same kinds, and the same verdict
/// on malformed input — on every real event of the shared corpora and on hand-made edge cases.
/// </summary>
public class JsonEventReaderTests
{
    private static readonly JsonFlattening Flattening = LogSourceMap.Embedded().Json;

    /// <summary>Every JSON event of the OTRF datasets and of SigmaHQ's regression data.</summary>
    public static IEnumerable<string> CorpusEvents()
    {
        foreach (var folder in new[] { "windows", "log4shell", "golden-saml", "zeek-json-apt29-day1" })
        {
            var dir = SharedData.PathOf("agent-events", "otrf-security-datasets", folder);
            if (!Directory.Exists(dir)) continue;
            foreach (var file in Directory.GetFiles(dir).Where(f => f.EndsWith(".json") || f.EndsWith(".log")).Order(StringComparer.Ordinal))
                foreach (var line in File.ReadLines(file))
                    if (line.Length > 0 && line[0] == '{') yield return line;
        }
        foreach (var c in SigmaCorpus.RegressionCases.Where(c => c.JsonPath is not null).DistinctBy(c => c.JsonPath))
            foreach (var e in SigmaCorpus.Events(c)) yield return e;
    }

    private static string Snapshot(EventFields fields)
    {
        var sb = new StringBuilder();
        for (var slot = 0; slot < fields.Names.Count; slot++)
            for (var e = fields.First(slot); e >= 0; e = fields.Next(e))
                sb.Append(fields.Names.NameOf(slot)).Append('=').Append(fields.KindOf(e)).Append(':').Append(fields.Text(e)).Append('|')
                  .Append(fields.Folded(e)).Append('\n');
        return sb.ToString();
    }

    private static (bool Ok, string Fields) ReadNew(JsonEventReader reader, EventFields fields, string json)
    {
        fields.Reset();
        var ok = reader.Read(json, fields);
        return (ok, Snapshot(fields));
    }

    private static (bool Ok, string Fields) ReadOld(ReferenceJsonEventReader reader, EventFields fields, string json)
    {
        fields.Reset();
        var ok = reader.Read(json, fields);
        return (ok, Snapshot(fields));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Reads_every_real_event_as_the_Utf8JsonReader_reader_did(bool keywords)
    {
        var names = SigmaCorpus.RuleSet.Slots;
        var fast = new JsonEventReader(Flattening);
        var reference = new ReferenceJsonEventReader(Flattening);
        var a = new EventFields(names) { CollectKeywords = keywords };
        var b = new EventFields(names) { CollectKeywords = keywords };
        var count = 0;
        var withValues = 0;
        foreach (var json in CorpusEvents())
        {
            var expected = ReadOld(reference, b, json);
            var actual = ReadNew(fast, a, json);
            Assert.True(expected == actual, $"event {count} differs:\n{json}\nexpected ok={expected.Ok}\n{expected.Fields}\nactual ok={actual.Ok}\n{actual.Fields}");
            count++;
            if (expected.Fields.Length > 0) withValues++;
        }
        Assert.True(count > 10_000, $"only {count} corpus events");
        Assert.True(withValues > count * 9 / 10); // the comparison is about fields actually read
    }

    private static readonly string[] EdgeNames =
    [
        "a", "b", "n", "t", "f", "z", "arr", "arr.b", "e", "Source Name", "SourceName", "Image", "CommandLine", "EventID",
        "Provider_Name", "EventID_Qualifiers", "Qualifiers", "Data", "Data_Name", "EventData.Image", "EventData", "deep", "x.y", "x_y",
        "Event.EventData.Image", "Event.System.EventID",
    ];

    public static TheoryData<string> EdgeCases() => new(EdgeJson);

    private static readonly string[] EdgeJson =
    [
        """{"a":"x\u00e9\ud83d\ude00\/\b\f\n\r\t\"\\y","b":"\u0041BC"}""",
        """{"a":"","b":"plain é ü 漢字 😀"}""",
        """{"Event":{"System":{"Provider":{"#attributes":{"Name":"P"}},"EventID":{"#text":"1","#attributes":{"Qualifiers":"16384"}}},"EventData":{"Data":[{"#attributes":{"Name":"Image"},"#text":"c:\\x.exe"}],"Image":"C:\\W\\a.exe"}}}""",
        """{"Source Name":"s","n":-1.5e+3,"t":true,"f":false,"z":null,"arr":[1,"a",[true,null],{"b":"c"}],"e":{},"EventID":[]}""",
        """{"EventData":"{\"Image\":\"C:\\\\a.exe\",\"CommandLine\":\"x\"}","b":1}""",
        """{"EventData":"  not json","b":1}""",
        "{\n  \"a\" : \"x\" ,\r\n\t\"b\":[ 1 , 2 ]\n}\n",
        """{"x":{"#attributes":"s","y":{"z":1}},"x_y":2}""",
        """{"a":"x","a":"y","A":"z"}""",
        """{}""",
        """[{"a":"x"},{"a":"y"}]""",
        """ "a string" """,
        """{"a":"x"}""",
        // Malformed: the verdict is false, and what was read before the fault stays.
        """{"a":"x" """,
        """{"a":"x",}""",
        """{"a":tru}""",
        """{"a":"x"} trailing""",
        """{"a" "x"}""",
        """{"a":"x","b":"unterminated""",
        """{"a":"x","b":"bad \q escape"}""",
        """{"b":"bad \u12G4 escape"}""",
        """{"a":[1,2}""",
        """{"a":{"b":1]}""",
        """{,}""",
        """{"a":1 "b":2}""",
        "",
        "   ",
        "{\"deep\":" + string.Concat(Enumerable.Repeat("[", 70)) + string.Concat(Enumerable.Repeat("]", 70)) + ",\"a\":\"after\"}",
        "{\"deep\":" + string.Concat(Enumerable.Repeat("[", 63)) + "\"in\"" + string.Concat(Enumerable.Repeat("]", 63)) + ",\"a\":\"after\"}",
    ];

    [Theory]
    [MemberData(nameof(EdgeCases))]
    public void Reads_edge_cases_as_the_Utf8JsonReader_reader_did(string json)
    {
        var names = new FieldNames();
        foreach (var n in EdgeNames) names.Intern(n);
        names.SetAlias(names.Intern("SourceName"), names.Intern("Provider_Name"));
        foreach (var keywords in new[] { false, true })
        {
            var a = new EventFields(names) { CollectKeywords = keywords };
            var b = new EventFields(names) { CollectKeywords = keywords };
            var expected = ReadOld(new ReferenceJsonEventReader(Flattening), b, json);
            var actual = ReadNew(new JsonEventReader(Flattening), a, json);
            Assert.Equal(expected, actual);
        }
    }

    [Fact]
    public void Reads_edge_cases_again_from_its_cached_paths_as_the_first_time()
    {
        // Member names are cached as a tree of raw UTF-8 names (escaped, #attributes, #text, spaces):
        // one reader reads every edge case twice, and the second read must be the reference's too.
        var names = new FieldNames();
        foreach (var n in EdgeNames) names.Intern(n);
        names.SetAlias(names.Intern("SourceName"), names.Intern("Provider_Name"));
        var reader = new JsonEventReader(Flattening);
        var reference = new ReferenceJsonEventReader(Flattening);
        var a = new EventFields(names);
        var b = new EventFields(names);
        foreach (var json in EdgeJson.Concat(EdgeJson))
            Assert.Equal(ReadOld(reference, b, json), ReadNew(reader, a, json));
    }

    [Fact]
    public void Reads_as_the_reference_once_its_path_cache_is_full()
    {
        // A feed with ever-new member names fills the path cache; the paths past it (under cached
        // objects and under uncached ones) must still read as before.
        var names = SigmaCorpus.RuleSet.Slots;
        var reader = new JsonEventReader(Flattening);
        var reference = new ReferenceJsonEventReader(Flattening);
        var a = new EventFields(names);
        var b = new EventFields(names);
        var events = CorpusEvents().Take(3000).ToList();
        foreach (var json in events.Take(20)) Assert.Equal(ReadOld(reference, b, json), ReadNew(reader, a, json));
        for (var i = 0; i < 5000; i++)
        {
            var filler = "{\"f" + i + "\":{\"g\":\"x\"},\"Event\":{\"System\":{\"n" + i + "\":1}}}";
            Assert.Equal(ReadOld(reference, b, filler), ReadNew(reader, a, filler));
        }
        var withValues = 0;
        foreach (var json in events)
        {
            var expected = ReadOld(reference, b, json);
            Assert.Equal(expected, ReadNew(reader, a, json));
            if (expected.Fields.Length > 0) withValues++;
        }
        Assert.True(withValues > 1000);
    }

    [Fact]
    public void A_reader_reused_across_events_and_field_tables_keeps_them_apart()
    {
        // Slots are cached per path; a second field table (another rule set after a reload) must not see the first one's.
        var reader = new JsonEventReader(Flattening);
        var first = new FieldNames();
        first.Intern("a");
        var second = new FieldNames();
        second.Intern("b");
        second.Intern("a");
        var f1 = new EventFields(first);
        var f2 = new EventFields(second);
        f1.Reset();
        Assert.True(reader.Read("""{"a":"1","b":"2"}""", f1));
        f2.Reset();
        Assert.True(reader.Read("""{"a":"1","b":"2"}""", f2));
        Assert.Equal("a=String:1|1\n", Snapshot(f1));
        Assert.Equal("b=String:2|2\na=String:1|1\n", Snapshot(f2));
    }
}

using System.Text.Json.Nodes;
using Redoubt.Graph.Import;
using Redoubt.Storage.Events;
using Redoubt.Tests.Graph.Extraction;
using Redoubt.Tests.Graph.Reference;
using Microsoft.Extensions.Logging.Abstractions;

namespace Redoubt.Tests.Graph.Import;

/// <summary>Inventory files read row by row: bad rows named by line and reason, good rows kept and turned into the graph's nodes and edges.</summary>
public sealed class InventoryRowsTests
{
    /// <summary>Reads, checks and applies a file as the endpoint and the graph sink would, into a recording graph.</summary>
    private static (RecordingGraph Graph, List<InventoryError> Errors, int Stored) Import(string kind, string text, bool json, RecordingGraph? graph = null)
    {
        graph ??= new RecordingGraph();
        var (rows, errors) = InventoryReader.Read(kind, text, json);
        var extractor = new InventoryExtractor(NullLogger<InventoryExtractor>.Instance);
        var stored = 0;
        foreach (var row in rows)
        {
            RowPlan plan;
            try { plan = InventoryKinds.Plan(kind, row.Cells); }
            catch (RowException e) { errors.Add(new InventoryError(row.Line, e.Code, e.Message)); continue; }
            var ev = InventoryImport.Event(kind, "test", 1, row, plan, 1_700_000_000_000);
            extractor.Extract(new StoredEvent(1000 + stored, ev, 1001 + stored), graph);
            stored++;
        }
        errors.Sort((a, b) => a.Line.CompareTo(b.Line));
        return (graph, errors, stored);
    }

    [Fact]
    public void A_csv_of_assets_keeps_good_rows_and_names_each_bad_one_by_its_line()
    {
        const string csv = "Hostname,IP,OS,Owner,Criticality,Tags,Rack\n" +
                           "WEB1.corp.example,10.0.1.5;2001:db8::5,Debian 12,web team,high,internet_facing;DMZ,r1\n" +
                           "db1,10.0.2.7,\"PostgreSQL 16, on Debian\",\"data\nteam\",critical,crown_jewel,r2\n" +  // a quoted comma and line break
                           "app1,10.0.3.300,Debian,,low,,r3\n" +                                                  // line 5: not an address
                           "app2,10.0.3.9,Debian,,huge,,r3\n" +                                                    // line 6: criticality
                           "app3,10.0.3.10\n" +                                                                  // line 7: cells
                           "\n" +
                           ",10.0.3.11,Debian,,low,,r4\n";                                                       // line 9: no host
        var (graph, errors, stored) = Import("assets", csv, json: false);
        Assert.Equal(2, stored);
        Assert.Equal([(5, "bad_address"), (6, "bad_criticality"), (7, "column_count"), (9, "missing_host")], errors.Select(e => (e.Line, e.Code)));
        Assert.Contains("'10.0.3.300'", errors[0].Message);
        Assert.Equal(["Host:db1 -HAS_IP-> IpAddress:10.0.2.7", "Host:web1 -HAS_IP-> IpAddress:10.0.1.5", "Host:web1 -HAS_IP-> IpAddress:2001:db8::5"], graph.EdgeList);
        Assert.Equal("internet_facing,dmz", graph.Properties["Host:web1"]["tags"]);
        Assert.Equal("PostgreSQL 16, on Debian", graph.Properties["Host:db1"]["os"]);
        Assert.Equal("data\nteam", graph.Properties["Host:db1"]["owner"]);
        Assert.Equal("r2", graph.Properties["Host:db1"]["rack"]); // an extra column is a property
        Assert.DoesNotContain(graph.Nodes, n => n.Contains("app"));
    }

    [Fact]
    public void Json_rows_take_lists_as_arrays_and_report_lines_where_each_object_starts()
    {
        const string json = """
            [
              {"host": "web1", "cve": "cve-2021-44228", "cvss": 10, "known_exploited": true, "title": "Log4Shell"},
              {"host": "web1", "cve": "CVE-2014-0160", "cvss": "7.5", "kev": "yes"},
              {"host": "web1", "cve": "log4shell"},
              {"host": "web1", "cve": "CVE-2020-1472", "cvss": 11},
              {"host": "web1", "cve": "CVE-2020-1472", "known_exploited": "maybe"},
              {"host": ["a", {"b": 1}], "cve": "CVE-2020-1472"}
            ]
            """;
        var (graph, errors, stored) = Import("vulnerabilities", json, json: true);
        Assert.Equal(2, stored);
        Assert.Equal([(4, "bad_cve"), (5, "bad_cvss"), (6, "bad_boolean"), (7, "bad_value")], errors.Select(e => (e.Line, e.Code)));
        Assert.Equal(["Host:web1 -HAS_VULNERABILITY-> Vulnerability:CVE-2014-0160", "Host:web1 -HAS_VULNERABILITY-> Vulnerability:CVE-2021-44228"], graph.EdgeList);
        Assert.Equal("10.0", graph.Properties["Vulnerability:CVE-2021-44228"]["cvss"]);
        Assert.Equal("true", graph.Properties["Vulnerability:CVE-2021-44228"]["knownExploited"]);
        Assert.Equal("Log4Shell", graph.Properties["Vulnerability:CVE-2021-44228"]["title"]);
    }

    [Fact]
    public void An_unclosed_quote_is_an_error_at_its_line_not_a_cell_holding_the_rest_of_the_file()
    {
        var (graph, errors, stored) = Import("assets", "host,os\nweb1,Debian\nweb2,\"Debian\nweb3,Debian\n", json: false);
        Assert.Equal(1, stored);
        Assert.Equal((3, "unterminated_quote"), (Assert.Single(errors).Line, errors[0].Code));
        Assert.Equal(["Host:web1"], graph.Nodes);
    }

    [Fact]
    public void Broken_json_keeps_the_rows_before_the_break_and_says_where_it_broke()
    {
        var (_, errors, stored) = Import("datastores", "[\n{\"datastore\":\"payroll\",\"host\":\"db1\",\"data\":[\"PII\",\"pci\"]},\n{\"datastore\": \n", json: true);
        Assert.Equal(1, stored);
        Assert.Equal("bad_json", Assert.Single(errors).Code);
        Assert.True(errors[0].Line >= 3, errors[0].ToString());
    }

    [Fact]
    public void Reachability_rows_join_zones_and_subnets_with_ports_as_services_of_the_target_network()
    {
        const string csv = "from,to,ports,protocol,action\n" +
                           "internet,dmz,443;80,tcp,allow\n" +
                           "dmz,10.0.2.0/24,5432,,permit\n" +
                           "10.0.9.0/24,10.0.2.0/24,,,deny\n" +
                           "dmz,10.0.2.1/24,22,tcp,allow\n" +   // host bits set
                           "dmz,db zone,22,tcp,allow\n" +        // a space is no zone name
                           "dmz,corp,70000,tcp,allow\n" +
                           "dmz,corp,22,tcp,maybe\n";
        var (graph, errors, stored) = Import("reachability", csv, json: false);
        Assert.Equal(3, stored);
        Assert.Equal([(5, "bad_network"), (6, "bad_network"), (7, "bad_port"), (8, "bad_action")], errors.Select(e => (e.Line, e.Code)));
        Assert.Equal(
            ["Network:10.0.2.0/24 -RUNS-> Service:10.0.2.0/24:5432/tcp", "Network:10.0.9.0/24 -CONNECTION_DENIED-> Network:10.0.2.0/24",
             "Network:dmz -CAN_REACH-> Service:10.0.2.0/24:5432/tcp", "Network:dmz -RUNS-> Service:dmz:443/tcp", "Network:dmz -RUNS-> Service:dmz:80/tcp",
             "Network:internet -CAN_REACH-> Service:dmz:443/tcp", "Network:internet -CAN_REACH-> Service:dmz:80/tcp"],
            graph.EdgeList);
    }

    [Fact]
    public void Importing_the_same_rows_again_changes_no_count()
    {
        const string csv = "datastore,host,data,tags\npayroll,db1,PII;PCI,crown_jewel\n";
        var graph = new RecordingGraph();
        Import("datastores", csv, json: false, graph);
        Import("datastores", csv, json: false, graph);
        Assert.Equal(1, graph.Edges["Host:db1 -STORES-> DataStore:payroll"]);
        Assert.Equal("pii,pci", graph.Properties["DataStore:payroll"]["data"]);
        Assert.Equal("crown_jewel", graph.Properties["DataStore:payroll"]["tags"]);
    }

    /// <summary>The BloodHound CE fixture (TESTLAB.LOCAL) written as an identities file: users and groups with their groups and admin rights.</summary>
    [Fact]
    public void The_bloodhound_fixture_as_an_identities_file_gives_its_memberships_and_admin_rights_under_windows_account_keys()
    {
        var doc = new BloodHoundFixture().Document;
        var edges = doc["edges"]!.AsArray().Select(e => (From: e!["from"]!.GetValue<string>(), Type: e["type"]!.GetValue<string>(), To: e["to"]!.GetValue<string>())).ToList();
        var rows = new JsonArray();
        var declared = new HashSet<string>(StringComparer.Ordinal);
        foreach (var n in doc["nodes"]!.AsArray())
        {
            var kind = n!["kind"]!.GetValue<string>();
            if (kind is not ("User" or "Group")) continue;
            var self = $"{kind}:{n["key"]!.GetValue<string>()}";
            declared.Add(self);
            var memberOf = edges.Where(e => e.From == self && e.Type == "MEMBER_OF").Select(e => e.To[(e.To.IndexOf(':') + 1)..]).ToArray();
            var adminTo = edges.Where(e => e.From == self && e.Type == "ADMIN_TO" && e.To.StartsWith("Host:", StringComparison.Ordinal)).Select(e => e.To[5..]).ToArray();
            rows.Add(new JsonObject
            {
                [kind == "User" ? "user" : "group"] = n["key"]!.GetValue<string>(),
                ["member_of"] = new JsonArray(memberOf.Select(m => (JsonNode)m).ToArray()),
                ["admin_to"] = new JsonArray(adminTo.Select(m => (JsonNode)m).ToArray()),
            });
        }
        var (graph, errors, stored) = Import("identities", rows.ToJsonString(), json: true);
        Assert.Empty(errors);
        Assert.Equal(rows.Count, stored);

        // The same edges, keyed as the Windows logon rules key accounts: name@first-label-of-domain, hosts by short name.
        static string Account(string key) => key.LastIndexOf('@') is var at and > 0 ? key[..at].ToLowerInvariant() + "@" + key[(at + 1)..].Split('.')[0].ToLowerInvariant() : key.ToLowerInvariant();
        var expected = edges.Where(e => declared.Contains(e.From) && (e.Type == "MEMBER_OF" && e.To.StartsWith("Group:", StringComparison.Ordinal) || e.Type == "ADMIN_TO" && e.To.StartsWith("Host:", StringComparison.Ordinal)))
            .Select(e =>
            {
                var (fk, fkey) = (e.From[..e.From.IndexOf(':')], e.From[(e.From.IndexOf(':') + 1)..]);
                var to = e.To[(e.To.IndexOf(':') + 1)..];
                var target = e.Type == "MEMBER_OF" ? "Group:" + Account(to) : "Host:" + to.Split('.')[0].ToLowerInvariant();
                return $"{fk}:{Account(fkey)} -{e.Type}-> {target}";
            }).Distinct().Order(StringComparer.Ordinal).ToList();
        Assert.True(expected.Count > 20, "the fixture has dozens of memberships");
        Assert.Equal(expected, graph.EdgeList);
        Assert.Contains("User:administrator@testlab -MEMBER_OF-> Group:domain admins@testlab", graph.EdgeList);
    }
}

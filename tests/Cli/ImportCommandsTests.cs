using System.Text.RegularExpressions;
using Redoubt.Tests.Detection;
using Redoubt.Tests.Support;

namespace Redoubt.Tests.Cli;

/// <summary>`redoubt import iocs`, run as a real process: on a stopped appliance's data directory, and through the running one's admin socket.</summary>
public sealed class ImportCommandsTests
{
    [Fact]
    public async Task Iocs_import_on_the_stopped_data_dir_and_through_the_running_appliance_and_a_bad_file_or_kind_says_why()
    {
        var dir = Directory.CreateTempSubdirectory("redoubt-import-").FullName;
        try
        {
            // The attacking addresses of the real OpenSSH log (loghub), as a site would list them, plus a row that cannot import.
            var addresses = File.ReadLines(SharedData.PathOf("logs", "loghub", "OpenSSH", "OpenSSH_2k.log"))
                .Select(l => Regex.Match(l, @"rhost=(\d+\.\d+\.\d+\.\d+)")).Where(m => m.Success).Select(m => m.Groups[1].Value)
                .Distinct().ToList();
            Assert.True(addresses.Count >= 10, $"only {addresses.Count} addresses in the log");
            var csv = Path.Combine(dir, "ssh-attackers.csv");
            await File.WriteAllLinesAsync(csv, ["type,value,source", .. addresses.Select(a => $"ipv4,{a},loghub"), "mac,00:11:22:33:44:55,x"]);
            var empty = Path.Combine(dir, "empty.csv");
            await File.WriteAllTextAsync(empty, "type,value\nmac,00:11:22:33:44:55\n");
            var stix = Path.Combine(dir, "cert.json");
            await File.WriteAllTextAsync(stix, IocTests.Bundle);

            var (code, stdout, stderr) = await ApplianceProcess.RunCliAsync(dir, "import", "iocs", csv, "--list", "ssh-attackers", "--data", dir);
            Assert.True(code == 0, stdout + stderr);
            Assert.Contains($"list 'ssh-attackers': {addresses.Count} indicators imported, 1 not imported", stdout);
            Assert.Contains($"line {addresses.Count + 2}:", stdout); // the refused row, by line
            (code, _, stderr) = await ApplianceProcess.RunCliAsync(dir, "import", "iocs", empty, "--list", "nothing", "--data", dir);
            Assert.Equal(1, code);
            Assert.Contains("no indicator in the file could be imported, nothing changed", stderr); // and no empty list is stored (below)
            (code, _, stderr) = await ApplianceProcess.RunCliAsync(dir, "import", "events", csv, "--data", dir);
            Assert.Equal(2, code);
            Assert.Contains("unknown import kind 'events' (known: ", stderr);
            (code, _, stderr) = await ApplianceProcess.RunCliAsync(dir, "import", "iocs", Path.Combine(dir, "missing.csv"), "--list", "x", "--data", dir);
            Assert.Equal(1, code);
            Assert.Contains("cannot read", stderr);

            await using var app = await ApplianceProcess.StartAsync(dir);
            var lists = (await app.GetJsonAsync("/api/v1/iocs")).GetProperty("lists").EnumerateArray().ToList();
            var imported = Assert.Single(lists);
            Assert.Equal("ssh-attackers", imported.GetProperty("name").GetString());
            Assert.Equal(addresses.Count, imported.GetProperty("indicators").GetInt32());
            Assert.StartsWith("cli:", imported.GetProperty("importedBy").GetString());

            // Running: the data directory is locked, so this can only succeed through the admin socket, and the appliance uses it at once.
            (code, stdout, stderr) = await ApplianceProcess.RunCliAsync(dir, "import", "iocs", stix, "--list", "cert", "--data", dir);
            Assert.True(code == 0, stdout + stderr);
            Assert.Matches(@"list 'cert': \d+ indicators imported, \d+ not imported", stdout);
            var names = (await app.GetJsonAsync("/api/v1/iocs")).GetProperty("lists").EnumerateArray().Select(l => l.GetProperty("name").GetString()).ToList();
            Assert.Equal(["cert", "ssh-attackers"], names.Order());
            var audit = (await app.GetJsonAsync("/api/v1/audit?action=iocs.import")).GetProperty("entries").EnumerateArray().ToList();
            Assert.Equal(2, audit.Count);
            Assert.All(audit, e => Assert.StartsWith("cli:", e.GetProperty("actor").GetString()));
            Assert.Contains("admin socket: import.iocs by cli:", app.Output);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}

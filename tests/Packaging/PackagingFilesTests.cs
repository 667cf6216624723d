using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using Redoubt.Tests.Support;

namespace Redoubt.Tests.Packaging;

/// <summary>
/// The packaging files agree with each other and with the repository: the image's config, its
/// firewall and the Dockerfile name the same ports; the Dockerfile copies what exists; the systemd
/// units pass systemd-analyze; the rootfs check catches what must never ship.
/// </summary>
public sealed partial class PackagingFilesTests
{
    private static string ImageFile(string relative) => Path.Combine(Repo.Root, "image", relative);
    private static readonly string Config = ImageFile("rootfs/etc/redoubt/redoubt.json");

    private static (SortedSet<int> Tcp, SortedSet<int> Udp) ConfiguredPorts()
    {
        var root = JsonDocument.Parse(File.ReadAllText(Config)).RootElement;
        int Port(string bind) => int.Parse(bind[(bind.LastIndexOf(':') + 1)..]);
        var tcp = new SortedSet<int> { Port(root.GetProperty("Http").GetString()!) };
        foreach (var listener in new[] { "Syslog", "SyslogTls", "Relp", "Forward" })
            tcp.Add(Port(root.GetProperty(listener).GetProperty("Bind").GetString()!));
        return (tcp, [Port(root.GetProperty("Syslog").GetProperty("Bind").GetString()!)]); // syslog: UDP and TCP on one port
    }

    [Fact]
    public void The_firewall_opens_exactly_the_ports_the_appliance_listens_on()
    {
        var nft = File.ReadAllText(ImageFile("rootfs/etc/nftables.conf"));
        SortedSet<int> Set(string name) =>
            [.. Regex.Match(nft, @"set " + name + @" \{[^}]*elements = \{([^}]*)\}").Groups[1].Value
                .Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(int.Parse)];
        var (tcp, udp) = ConfiguredPorts();
        Assert.Equal(new SortedSet<int> { 443, 514, 2514, 6514, 24224 }, tcp); // the appliance ports of docs/DESIGN.md
        Assert.Equal(tcp, Set("tcp_in"));
        Assert.Equal(udp, Set("udp_in"));
        Assert.Contains("type filter hook input priority filter; policy drop;", nft);
        Assert.Contains("type filter hook output priority filter; policy drop;", nft); // it never calls out
        Assert.DoesNotContain("dport 22", nft); // no sshd in the image
    }

    [Fact]
    public void The_image_config_matches_the_units_directories()
    {
        var root = JsonDocument.Parse(File.ReadAllText(Config)).RootElement;
        var unit = File.ReadAllText(ImageFile("redoubt.service"));
        Assert.Equal("/var/lib/redoubt", root.GetProperty("DataDir").GetString());
        Assert.Contains("StateDirectory=redoubt\n", unit);
        Assert.StartsWith("/run/redoubt/", root.GetProperty("Appliance").GetProperty("SetupCodeFile").GetString());
        Assert.Contains("RuntimeDirectory=redoubt\n", unit);
        Assert.Contains("ConfigurationDirectory=redoubt\n", unit);
        Assert.Matches(@"(?m)^Type=notify$", unit);
        Assert.Matches(@"(?m)^WatchdogSec=\d+s$", unit);
        Assert.Matches(@"(?m)^AmbientCapabilities=CAP_NET_BIND_SERVICE$", unit);
        Assert.Matches(@"(?m)^CapabilityBoundingSet=CAP_NET_BIND_SERVICE$", unit);
        Assert.DoesNotMatch(@"(?m)^MemoryDenyWriteExecute=yes", unit); // the JIT needs W^X remapping
    }

    [Fact]
    public void The_Dockerfile_copies_what_exists_and_runs_the_same_ports_as_a_non_root_user_with_a_data_volume()
    {
        var dockerfile = File.ReadAllLines(Path.Combine(Repo.Root, "Dockerfile"));
        var ignored = File.ReadAllLines(Path.Combine(Repo.Root, ".dockerignore")).Select(l => l.Trim()).Where(l => l.Length > 0).ToList();
        var copies = dockerfile.Where(l => l.StartsWith("COPY ", StringComparison.Ordinal) && !l.Contains("--from=")).ToList();
        Assert.NotEmpty(copies);
        foreach (var copy in copies)
        {
            var parts = copy.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1..^1];
            foreach (var source in parts)
            {
                Assert.True(File.Exists(Path.Combine(Repo.Root, source)) || Directory.Exists(Path.Combine(Repo.Root, source)), $"Dockerfile: {copy}: {source} does not exist");
                Assert.DoesNotContain(ignored, i => source.TrimEnd('/').Equals(i.TrimEnd('/'), StringComparison.Ordinal));
            }
        }
        // Everything the appliance project builds from is copied (its project references and embedded web-ui).
        var copied = copies.SelectMany(c => c.Split(' ')[1..^1]).Select(s => s.TrimEnd('/')).ToHashSet();
        foreach (var needed in new[] { "storage", "appliance", "web-ui", "Directory.Build.props" }) Assert.Contains(needed, copied);
        var publish = Assert.Single(dockerfile, l => l.Contains("dotnet publish", StringComparison.Ordinal));
        Assert.True(File.Exists(Path.Combine(Repo.Root, publish.Split(' ', StringSplitOptions.RemoveEmptyEntries)[3])), publish);

        Assert.Contains("USER redoubt", dockerfile);
        Assert.Contains("VOLUME /var/lib/redoubt", dockerfile);
        var (tcp, udp) = ConfiguredPorts();
        var expose = Assert.Single(dockerfile, l => l.StartsWith("EXPOSE ", StringComparison.Ordinal)).Split(' ')[1..];
        string[] expected = [.. tcp.Select(p => $"{p}/tcp"), .. udp.Select(p => $"{p}/udp")];
        Assert.Equal(expected.Order(StringComparer.Ordinal), expose.Order(StringComparer.Ordinal));
        foreach (var (key, port) in new[] { ("REDOUBT__HTTP", 443), ("REDOUBT__SYSLOG__BIND", 514), ("REDOUBT__SYSLOGTLS__BIND", 6514), ("REDOUBT__RELP__BIND", 2514), ("REDOUBT__FORWARD__BIND", 24224) })
            Assert.Contains(dockerfile, l => l.Contains($"{key}=0.0.0.0:{port}", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_systemd_units_pass_systemd_analyze_verify_and_the_service_stays_well_hardened()
    {
        if (!File.Exists("/usr/bin/systemd-analyze")) Assert.Fail("systemd-analyze is missing (.ci/run installs systemd)");
        var dir = Directory.CreateTempSubdirectory("redoubt-units-").FullName;
        try
        {
            // The units as installed, with their programs pointed at the repository's (verify checks they exist).
            var units = Path.Combine(Repo.Root, "image/rootfs/etc/systemd/system");
            string Localise(string text) => text
                .Replace("/usr/lib/redoubt/redoubt", Path.ChangeExtension(Repo.ApplianceDll, null))
                .Replace("/usr/libexec/redoubt/", Path.Combine(Repo.Root, "image/rootfs/usr/libexec/redoubt/"));
            File.WriteAllText(Path.Combine(dir, "redoubt.service"), Localise(File.ReadAllText(ImageFile("redoubt.service"))));
            Directory.CreateDirectory(Path.Combine(dir, "redoubt.service.d"));
            File.WriteAllText(Path.Combine(dir, "redoubt.service.d/image.conf"), Localise(File.ReadAllText(Path.Combine(units, "redoubt.service.d/image.conf"))));
            var names = new List<string> { "redoubt.service" };
            foreach (var f in Directory.GetFiles(units, "redoubt-*"))
            {
                File.WriteAllText(Path.Combine(dir, Path.GetFileName(f)), Localise(File.ReadAllText(f)));
                names.Add(Path.GetFileName(f));
            }

            var (code, output) = await RunAsync(dir, "verify", [.. names.Select(n => "./" + n)]);
            Assert.True(code == 0 && output.Trim() == "", $"systemd-analyze verify exited {code}:\n{output}");

            (code, output) = await RunAsync(dir, "security", "--offline=true", "./redoubt.service");
            var exposure = ExposureLine().Match(output);
            Assert.True(exposure.Success, output);
            // docs/packaging.md records the report; a change that weakens the sandbox fails here first.
            Assert.True(double.Parse(exposure.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) <= 2.0, output);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public async Task The_rootfs_check_refuses_keys_passwords_and_machine_ids()
    {
        var root = Directory.CreateTempSubdirectory("redoubt-rootfs-").FullName;
        try
        {
            foreach (var d in new[] { "etc/redoubt", "etc/ssh", "var/lib/redoubt", "var/lib/systemd", "usr/lib/redoubt", "root" })
                Directory.CreateDirectory(Path.Combine(root, d));
            File.WriteAllText(Path.Combine(root, "etc/machine-id"), "");
            File.WriteAllText(Path.Combine(root, "etc/shadow"), "root:!:20000:0:99999:7:::\nredoubt:!*:20000::::::\n");
            File.WriteAllText(Path.Combine(root, "etc/redoubt/redoubt.json"), "{}");
            var (code, output) = await CheckAsync(root);
            Assert.True(code == 0, output);

            File.WriteAllText(Path.Combine(root, "etc/machine-id"), "0123456789abcdef0123456789abcdef\n");
            File.WriteAllText(Path.Combine(root, "etc/shadow"), "root:$y$j9T$salt$hash:20000:0:99999:7:::\nguest::20000::::::\n");
            File.WriteAllText(Path.Combine(root, "etc/ssh/ssh_host_ed25519_key"), "x");
            File.WriteAllText(Path.Combine(root, "var/lib/systemd/random-seed"), "x");
            File.WriteAllText(Path.Combine(root, "usr/lib/redoubt/leftover.pem"), "-----BEGIN PRIVATE KEY-----\nMIG\n-----END PRIVATE KEY-----\n");
            File.WriteAllText(Path.Combine(root, "var/lib/redoubt/redoubt.lock"), "1");
            (code, output) = await CheckAsync(root);
            Assert.Equal(1, code);
            foreach (var expected in new[] { "/etc/machine-id is not empty", "account root has a password hash", "account guest has an EMPTY password",
                         "SSH host keys ship", "random-seed ships", "private key in the image: /usr/lib/redoubt/leftover.pem", "/var/lib/redoubt is not empty" })
                Assert.Contains(expected, output);
        }
        finally { Directory.Delete(root, recursive: true); }
    }

    [Fact]
    public async Task Redoubt_version_shows_the_image_version_stamped_in_the_config_directory()
    {
        var dir = Directory.CreateTempSubdirectory("redoubt-version-").FullName;
        try
        {
            var (code, stdout, _) = await ApplianceProcess.RunCliAsync(dir, "version");
            Assert.Equal(0, code);
            Assert.StartsWith("redoubt ", stdout);
            Assert.DoesNotContain("image", stdout);

            // RunCliAsync points REDOUBT_CONFIG_DIR at DIR/no-etc, the stand-in for /etc/redoubt.
            Directory.CreateDirectory(Path.Combine(dir, "no-etc"));
            File.WriteAllText(Path.Combine(dir, "no-etc/image-version"), "a1b2c3d (2026-12-04)\n");
            (code, stdout, _) = await ApplianceProcess.RunCliAsync(dir, "version");
            Assert.Equal(0, code);
            Assert.EndsWith("\nimage a1b2c3d (2026-12-04)\n", stdout);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    private static Task<(int, string)> CheckAsync(string root) => RunAsync(Repo.Root, "bash", ImageFile("check-rootfs.sh"), root);

    private static Task<(int, string)> RunAsync(string dir, string verb, params string[] args) =>
        verb == "bash" ? Run("/bin/bash", dir, args) : Run("/usr/bin/systemd-analyze", dir, [verb, .. args]);

    private static async Task<(int, string)> Run(string program, string dir, string[] args)
    {
        var psi = new ProcessStartInfo(program) { WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await p.WaitForExitAsync(cts.Token);
        return (p.ExitCode, await stdout + await stderr);
    }

    [GeneratedRegex(@"Overall exposure level for redoubt\.service: (\d+\.\d)")]
    private static partial Regex ExposureLine();
}

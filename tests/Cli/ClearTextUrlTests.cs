using System.Net;
using System.Net.Sockets;
using Redoubt.Tests.Support;

namespace Redoubt.Tests.Cli;

/// <summary>Commands that carry a token refuse an http:// --url before sending anything (review: import sent the token in clear).</summary>
public sealed class ClearTextUrlTests
{
    [Fact]
    public async Task Import_backup_and_export_refuse_an_http_url_and_send_nothing()
    {
        var dir = Directory.CreateTempSubdirectory("redoubt-cleartext-").FullName;
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var url = $"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}";
        try
        {
            var file = Path.Combine(dir, "assets.csv");
            await File.WriteAllTextAsync(file, "host\nweb1\n");
            var tokenFile = Path.Combine(dir, "token");
            await File.WriteAllTextAsync(tokenFile, "rdt_not_a_real_token");
            foreach (var args in new[]
                     {
                         new[] { "import", "assets", file, "--url", url, "--token-file", tokenFile, "--data", dir },
                         ["backup", "--out", Path.Combine(dir, "b.tar"), "--url", url, "--token", "rdt_x", "--data", dir],
                         ["export", "--url", url, "--token", "rdt_x", "--data", dir],
                     })
            {
                var (code, stdout, stderr) = await ApplianceProcess.RunCliAsync(dir, args);
                Assert.True(code == 2, $"{args[0]}: exit {code}: {stdout}{stderr}");
                Assert.Contains("only https:// URLs", stderr);
            }
            Assert.False(listener.Pending(), "a command connected to the http:// URL");
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}

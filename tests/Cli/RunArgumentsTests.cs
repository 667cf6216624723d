using Redoubt.Configuration;
using Redoubt.Tests.Support;

namespace Redoubt.Tests.Cli;

/// <summary>
/// The appliance's own flags: a typo must stop `redoubt run` with the reason, never start an appliance
/// that quietly ignored what the operator typed (the configuration binder skips keys it does not know).
/// </summary>
public sealed class RunArgumentsTests
{
    [Theory]
    [InlineData("--data /tmp/x --http 127.0.0.1:9443")]
    [InlineData("--data=/tmp/x --demo")]
    [InlineData("--Syslog:MaxMessageBytes=1000 --Ingest:QuietAfter 00:00:10")]
    [InlineData("--storage:minfreebytes=0 --Logging:LogLevel:Default=Warning --Detection:Rules=/r")]
    [InlineData("")]
    public void Known_flags_and_settings_pass(string args) => Assert.Null(CommandLine.Check(Split(args)));

    [Theory]
    [InlineData("--bogus", "unknown option --bogus")]
    [InlineData("--dta /tmp/x", "unknown option --dta")]
    [InlineData("--Sylog:Bind=0.0.0.0:514", "unknown option --Sylog:Bind")]
    [InlineData("--data", "--data needs a value")]
    [InlineData("--data --demo", "--data needs a value")]
    [InlineData("/tmp/x", "unexpected argument '/tmp/x'")]
    public void A_typo_is_refused_with_the_reason(string args, string reason) =>
        Assert.StartsWith(reason, CommandLine.Check(Split(args)));

    private static string[] Split(string args) => args.Split(' ', StringSplitOptions.RemoveEmptyEntries);

    [Fact]
    public async Task Redoubt_with_an_unknown_flag_exits_2_without_starting()
    {
        var dir = Directory.CreateTempSubdirectory("redoubt-args-").FullName;
        try
        {
            var (code, stdout, stderr) = await ApplianceProcess.RunCliAsync(dir, "--bogus", "--data", dir);
            Assert.True(code == 2, $"exit {code}\n{stdout}\n{stderr}");
            Assert.Contains("unknown option --bogus", stderr);
            // Nothing was opened: an appliance that started would have created its stores here.
            Assert.Empty(Directory.EnumerateFileSystemEntries(dir));

            (code, _, stderr) = await ApplianceProcess.RunCliAsync(dir, "run", "--syslg", "127.0.0.1:1", "--data", dir);
            Assert.Equal(2, code);
            Assert.Contains("unknown option --syslg", stderr);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}

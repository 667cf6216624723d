using System.Text.Json;
using Redoubt.Tests.Support;

namespace Redoubt.Tests.Integration;

/// <summary>
/// A TCP syslog connection keeps several batches committing while it reads on
/// (SyslogStreamProtocol.MaxBatchesInFlight). What that must not change: the events of one
/// connection are stored in the order they were sent, and the appliance closes its side of a
/// connection only once everything the connection sent is durable.
/// </summary>
public sealed class SyslogTcpPipelineTests
{
    [Fact]
    public async Task One_connections_lines_are_stored_in_send_order_and_durable_before_the_appliance_closes_it()
    {
        // 6,000 real lines (~650 KB): many 64 KiB reads, so several batches are in flight at once.
        var truth = Loghub.Systems.SelectMany(Loghub.Load).ToList();
        await using var app = await ApplianceProcess.StartAsync();

        await Senders.SendTcpLinesAsync(app.SyslogPort, truth.Select(t => t.Raw)); // returns when the appliance closed its side
        Assert.Equal(truth.Count, (await app.StatsAsync()).GetProperty("events").GetInt64()); // no waiting: all durable already

        var stored = await app.AllEventsAsync(); // newest first
        stored.Reverse();
        Assert.Equal(truth.Count, stored.Count);
        var outOfOrder = truth.Zip(stored)
            .Select((p, i) => (Line: i + 1, Expected: p.First.ExpectedMessage, Got: Str(p.Second, "message")?.Trim()))
            .Where(x => x.Expected != x.Got)
            .ToList();
        Assert.True(outOfOrder.Count == 0,
            $"{outOfOrder.Count} events out of send order, first at line {outOfOrder.FirstOrDefault().Line}: expected '{outOfOrder.FirstOrDefault().Expected}', stored '{outOfOrder.FirstOrDefault().Got}'");
    }

    private static string? Str(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}

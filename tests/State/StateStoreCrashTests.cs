using Redoubt.Storage.State;
using Redoubt.Tests.Support;

namespace Redoubt.Tests.State;

/// <summary>
/// Acknowledged state changes survive kill -9: a child process writes and prints what is durable, is
/// SIGKILLed at different points (before any checkpoint, between checkpoints), and the reopened store
/// must hold exactly the fold of a prefix of the changes that covers every acknowledged one.
/// </summary>
public sealed class StateStoreCrashTests
{
    [Fact]
    public async Task Every_acknowledged_change_survives_sigkill_and_nothing_else_appears()
    {
        var dir = Directory.CreateTempSubdirectory("redoubt-state-crash-").FullName;
        try
        {
            long next = 0, replayed = 0;
            // Kill points: before the first checkpoint, after three, after five plus a random number of changes.
            foreach (var (checkpoints, extra) in new[] { (0, 20), (3, 0), (5, Random.Shared.Next(0, 60)) })
            {
                var lastDurable = await RunChildUntilKilled(dir, next, checkpoints, extra);
                Assert.True(lastDurable >= next, "the child acknowledged nothing");

                await using var store = StateStore.Open(StateCrashWriter.Options(dir));
                var held = store.List<Item>(StateCrashWriter.Collection).ToDictionary(kv => kv.Key, kv => kv.Value);
                // The change after the last printed one may have been durable before the kill.
                var matched = new[] { lastDurable, lastDurable + 1 }.Where(k => Same(StateCrashWriter.Fold(k), held)).ToList();
                Assert.True(matched.Count > 0,
                    $"state after kill (last durable {lastDurable}) is no prefix fold: holds {held.Count} keys, expected {StateCrashWriter.Fold(lastDurable).Count}");
                next = matched.Max() + 1;
                replayed += store.ReplayedAtOpen;
            }
            // Kills between checkpoints leave acknowledged changes only in the WAL: replay must have run.
            Assert.True(replayed > 0, "no kill left changes to replay; the WAL replay path went untested");
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    private static bool Same(Dictionary<string, Item> expected, Dictionary<string, Item> held) =>
        expected.Count == held.Count && expected.All(kv => held.TryGetValue(kv.Key, out var v) && v == kv.Value);

    private static async Task<long> RunChildUntilKilled(string dir, long start, int checkpoints, int extra)
    {
        using var child = ChildProcesses.Start("state-crash-writer", dir, start.ToString(System.Globalization.CultureInfo.InvariantCulture));
        long lastDurable = -1;
        var seenCheckpoints = 0;
        var afterTarget = -1;
        while (true)
        {
            var line = await child.ReadLineAsync(TimeSpan.FromSeconds(60))
                ?? throw new InvalidOperationException("state-crash-writer exited:\n" + child.Stderr);
            if (line.StartsWith("durable ", StringComparison.Ordinal))
            {
                lastDurable = long.Parse(line.AsSpan(8), System.Globalization.CultureInfo.InvariantCulture);
                if (afterTarget >= 0 && afterTarget++ >= extra) break;
            }
            else if (line.StartsWith("checkpoint ", StringComparison.Ordinal)) seenCheckpoints++;
            if (afterTarget < 0 && seenCheckpoints >= checkpoints && lastDurable >= start) afterTarget = 0;
        }
        await child.KillAsync();
        // Lines the child printed before it died are acknowledgements too.
        while (child.Lines.Reader.TryRead(out var line))
            if (line.StartsWith("durable ", StringComparison.Ordinal))
                lastDurable = long.Parse(line.AsSpan(8), System.Globalization.CultureInfo.InvariantCulture);
        return lastDurable;
    }
}

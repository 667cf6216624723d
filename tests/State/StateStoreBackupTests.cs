using System.Globalization;
using Redoubt.Storage.Backup;
using Redoubt.Storage.State;

namespace Redoubt.Tests.State;

/// <summary>Online backup of the state store while a writer keeps changing it, and restore into an empty directory.</summary>
public sealed class StateStoreBackupTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("redoubt-state-backup-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    // Small pages, memory and segments: the KV log spills to disk over several segment files, and
    // checkpoints truncate the WAL, so the copy has to get segments, snapshots and bounds right.
    private static StateStoreOptions Options(string dir) => new()
    {
        Directory = dir,
        WalPageSizeBits = 16,
        WalMemorySizeBits = 18,
        WalSegmentSizeBits = 17,
        KvPageSizeBytes = 1 << 16,
        KvMemorySizeBytes = 1 << 18,
        KvSegmentSizeBytes = 1 << 18,
        KvIndexSizeBytes = 1 << 16,
        MaxValueBytes = 16 * 1024,
        CheckpointAfterChanges = 500,
        CheckpointInterval = TimeSpan.FromMilliseconds(200),
    };

    private static string Value(string key, int version) => $"{key} v{version} " + new string('x', 300);

    [Fact]
    public async Task A_backup_taken_while_a_writer_runs_restores_every_change_acknowledged_before_it_and_a_prefix_of_the_rest()
    {
        var archive = Path.Combine(_dir, "state.tar");
        BackupManifest manifest;
        int duringWritten;
        await using (var state = StateStore.Open(Options(Path.Combine(_dir, "data", "state"))))
        {
            // 3,000 keys of ~330 bytes, a third overwritten, some deleted: about 1.3 MB of KV log in 256 KiB of memory.
            for (var i = 0; i < 3000; i++) await state.PutAsync("things", $"k{i}", Value($"k{i}", 1));
            for (var i = 0; i < 3000; i += 3) await state.PutAsync("things", $"k{i}", Value($"k{i}", 2));
            for (var i = 1; i < 3000; i += 10) await state.DeleteAsync("things", $"k{i}");

            using var stop = new CancellationTokenSource();
            var writer = Task.Run(async () =>
            {
                var n = 0;
                for (; !stop.IsCancellationRequested; n++) await state.PutAsync("during", $"d{n:D6}", Value($"d{n}", 1));
                return n;
            });
            while (state.Count("during") < 50) await Task.Delay(10); // the backup starts in the middle of the writes
            await using (var file = File.Create(archive))
                manifest = await Backup.WriteAsync(Path.Combine(_dir, "data"), [state], file, DateTimeOffset.UtcNow);
            await stop.CancelAsync();
            duringWritten = await writer;
        }
        Assert.True(duringWritten > 50);
        var facts = manifest.Stores.Single().Facts;
        Assert.Contains(manifest.Files, f => f.Path.StartsWith("state/kv/hlog.log.", StringComparison.Ordinal));
        Assert.Contains(manifest.Files, f => f.Path.StartsWith("state/kv/checkpoints/cpr-checkpoints/", StringComparison.Ordinal));

        var target = Path.Combine(_dir, "restored");
        await using (var input = File.OpenRead(archive)) await Backup.RestoreAsync(input, target);
        await using var back = StateStore.Open(Options(Path.Combine(target, "state")));
        Assert.Equal(0, back.ReplayedAtOpen); // the checkpoint taken for the backup covers its whole WAL copy
        Assert.Equal(long.Parse(facts["entries"], CultureInfo.InvariantCulture), back.TotalEntries);
        for (var i = 0; i < 3000; i++)
        {
            var found = back.TryGet<string>("things", $"k{i}", out var v);
            if (i % 10 == 1) Assert.False(found, $"k{i} was deleted");
            else Assert.Equal(Value($"k{i}", i % 3 == 0 ? 2 : 1), v);
        }
        // The writer awaited each change: the backup holds changes d0..dK-1 and nothing after a gap.
        var during = back.List<string>("during");
        Assert.InRange(during.Count, 50, duringWritten);
        Assert.Equal(Enumerable.Range(0, during.Count).Select(n => $"d{n:D6}"), during.Select(e => e.Key));
        Assert.All(during, e => Assert.Equal(Value("d" + int.Parse(e.Key[1..], CultureInfo.InvariantCulture), 1), e.Value));

        await back.PutAsync("things", "after", "restored stores take writes");
    }
}

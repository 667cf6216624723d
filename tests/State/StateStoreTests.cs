using MessagePack;
using Redoubt.Storage;
using Redoubt.Storage.Checkpoints;
using Redoubt.Storage.State;

namespace Redoubt.Tests.State;

public sealed class StateStoreTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("redoubt-state-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private StateStoreOptions Options(string sub = "state") => StateCrashWriter.Options(Path.Combine(_dir, sub));

    [MessagePackObject]
    public sealed record User([property: Key(0)] string Name, [property: Key(1)] string[] Roles, [property: Key(2)] long CreatedMs);

    public sealed class NotAnnotated { public string? Name { get; set; } }

    [Fact]
    public async Task Put_get_list_and_delete_round_trip_and_survive_a_reopen()
    {
        await using (var store = StateStore.Open(Options()))
        {
            await store.PutAsync("users", "bob", new User("bob", ["viewer"], 2));
            await store.PutAsync("users", "alice", new User("alice", ["admin"], 1));
            await store.PutAsync("users", "carol", new User("carol", [], 3));
            await store.PutAsync("settings", "retention-days", 90);
            await store.PutAsync("users", "bob", new User("bob", ["viewer", "triage"], 2)); // overwrite
            Assert.True(await store.DeleteAsync("users", "carol"));
            Assert.False(await store.DeleteAsync("users", "nobody"));

            Assert.True(store.TryGet<User>("users", "bob", out var bob));
            Assert.Equal(["viewer", "triage"], bob.Roles);
            Assert.False(store.TryGet<User>("users", "carol", out _));
            Assert.Equal(["alice", "bob"], store.List<User>("users").Select(kv => kv.Key));
            Assert.Empty(store.List<User>("no-such-collection"));
        }

        await using (var again = StateStore.Open(Options()))
        {
            Assert.Equal(["alice", "bob"], again.List<User>("users").Select(kv => kv.Key));
            Assert.True(again.TryGet<User>("users", "bob", out var bob));
            Assert.Equal(["viewer", "triage"], bob.Roles);
            Assert.True(again.TryGet<int>("settings", "retention-days", out var days));
            Assert.Equal(90, days);
            Assert.False(again.TryGet<User>("users", "carol", out _));
            Assert.Equal(0, again.ReplayedAtOpen); // the clean close checkpointed everything
        }
    }

    [Fact]
    public async Task Concurrent_writers_are_all_applied_and_durable()
    {
        await using (var store = StateStore.Open(Options()))
        {
            await Task.WhenAll(Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
            {
                for (var i = 0; i < 250; i++) await store.PutAsync("tokens", $"w{w}-{i}", (long)i);
            })));
            Assert.Equal(2000, store.Count("tokens"));
        }
        await using var again = StateStore.Open(Options());
        Assert.Equal(2000, again.Count("tokens"));
        Assert.True(again.TryGet<long>("tokens", "w7-249", out var v));
        Assert.Equal(249, v);
    }

    [Fact]
    public async Task Checkpoints_truncate_the_write_ahead_log()
    {
        await using var store = StateStore.Open(Options());
        var text = new string('x', 2000);
        for (var i = 0; i < 400; i++) await store.PutAsync("alerts", $"a{i % 20}", text + i);
        await store.CheckpointAsync();
        Assert.Equal(store.AppliedUntil, store.CheckpointedUntil);
        // 400 changes of ~2 KB are ~800 KB of WAL in 128 KiB segments: the old segments must be gone.
        var walFiles = Directory.GetFiles(Path.Combine(Options().Directory, "wal"), "wal.log.*");
        Assert.InRange(walFiles.Length, 1, 2);
    }

    [Fact]
    public async Task Compaction_bounds_the_kv_log_and_keeps_the_latest_values_and_deletions()
    {
        // 50 keys overwritten 60 times with growing values (never in place) in 64 KiB of KV memory.
        var options = new StateStoreOptions
        {
            Directory = Path.Combine(_dir, "compact"), KvPageSizeBytes = 1 << 14, KvMemorySizeBytes = 1 << 16, KvIndexSizeBytes = 1 << 16,
            MaxValueBytes = 4096, CheckpointAfterChanges = 200, CompactionMinBytes = 0, CompactWhenLogExceedsLive = 2.0,
        };
        await using (var store = StateStore.Open(options))
        {
            for (var round = 0; round < 60; round++)
                for (var k = 0; k < 50; k++)
                    await store.PutAsync("sessions", $"s{k}", new string('v', 10 + round * 5 + k % 3));
            for (var k = 0; k < 50; k += 5) await store.DeleteAsync("sessions", $"s{k}");
            await store.CheckpointAsync();
            Assert.True(store.Compactions > 0, "the KV log never reached the compaction threshold");
            Assert.True(store.KvLogBytes < 6 * options.KvMemorySizeBytes, $"KV log holds {store.KvLogBytes} bytes");
        }
        await using var again = StateStore.Open(options);
        var held = again.List<string>("sessions");
        Assert.Equal(40, held.Count);
        Assert.All(held, kv => Assert.Equal(10 + 59 * 5 + int.Parse(kv.Key[1..]) % 3, kv.Value.Length));
    }

    [Fact]
    public async Task A_value_over_the_limit_is_refused_and_the_store_keeps_working()
    {
        await using var store = StateStore.Open(Options());
        var e = await Assert.ThrowsAsync<ArgumentException>(async () => await store.PutAsync("x", "big", new byte[20_000]));
        Assert.Contains("limit", e.Message);
        await store.PutAsync("x", "small", new byte[10]);
        Assert.True(store.TryGet<byte[]>("x", "small", out var small));
        Assert.Equal(10, small.Length);
    }

    [Fact]
    public async Task A_type_without_message_pack_keys_is_refused_before_anything_is_written()
    {
        await using var store = StateStore.Open(Options());
        await Assert.ThrowsAnyAsync<Exception>(async () => await store.PutAsync("x", "k", new NotAnnotated { Name = "n" }));
        Assert.Equal(0, store.Count("x"));
    }

    [Fact]
    public async Task A_store_of_another_format_version_is_refused()
    {
        var options = Options();
        Directory.CreateDirectory(options.Directory);
        await File.WriteAllTextAsync(Path.Combine(options.Directory, StoreFormat.FileName), """{"Kind":"redoubt-state-store","Version":2}""");
        var e = Assert.Throws<StoreFormatException>(() => StateStore.Open(options));
        Assert.Contains("version 2", e.Message);
    }

    [Fact]
    public async Task A_damaged_checkpoint_fails_the_open_loudly_instead_of_opening_empty()
    {
        await using (var store = StateStore.Open(Options()))
            await store.PutAsync("users", "alice", new User("alice", ["admin"], 1));

        var cpr = Path.Combine(Options().Directory, "kv", "checkpoints", "cpr-checkpoints");
        foreach (var info in Directory.GetFiles(cpr, "info.dat*", SearchOption.AllDirectories))
            await File.WriteAllBytesAsync(info, new byte[16]);

        var e = Assert.Throws<StoreRecoveryException>(() => StateStore.Open(Options()));
        Assert.Contains("cannot recover its checkpoint", e.Message);
    }
}

/// <summary>The appliance opens the state store at start and refuses a broken one with one line.</summary>
public sealed class StateStoreStartupTests
{
    [Fact]
    public async Task The_appliance_refuses_a_state_store_of_another_version_with_one_line()
    {
        var dir = Directory.CreateTempSubdirectory("redoubt-state-fmt-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(dir, "state"));
            await File.WriteAllTextAsync(Path.Combine(dir, "state", "format.json"), """{"Kind":"redoubt-state-store","Version":99}""");
            await using var app = Support.ApplianceProcess.Launch(dir, Support.ApplianceProcess.FreePort(), Support.ApplianceProcess.FreePort());
            Assert.Equal(2, await app.WaitForExitAsync(TimeSpan.FromSeconds(60)));
            Assert.Contains(app.Output.Split('\n'), l => l.StartsWith("redoubt: ", StringComparison.Ordinal) && l.Contains("format version 99"));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public async Task The_appliance_creates_its_state_store_and_closes_it_cleanly()
    {
        var dir = Directory.CreateTempSubdirectory("redoubt-state-run-").FullName;
        try
        {
            await using (var app = await Support.ApplianceProcess.StartAsync(dir))
                Assert.Equal(0, await app.StopAsync());
            Assert.True(File.Exists(Path.Combine(dir, "state", "format.json")));
            await using var store = StateStore.Open(new StateStoreOptions { Directory = Path.Combine(dir, "state") });
            Assert.Equal(0, store.ReplayedAtOpen);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}

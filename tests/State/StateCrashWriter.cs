using MessagePack;
using Redoubt.Storage.State;

namespace Redoubt.Tests.State;

[MessagePackObject]
public sealed record Item([property: Key(0)] long Seq, [property: Key(1)] string Text);

/// <summary>
/// The child process of the state store crash test: applies the deterministic change sequence from
/// a start index, printing "durable N" after change N is acknowledged and "checkpoint A" whenever a
/// checkpoint lands, until it is killed.
/// </summary>
public static class StateCrashWriter
{
    public const string Collection = "items";

    /// <summary>Change <paramref name="i"/> of the sequence: mostly overwrites within 60 keys, every fifth a delete.</summary>
    public static (string Key, Item? Value) Change(long i) =>
        i % 5 == 4 ? ($"k{i * 7 % 60}", null) : ($"k{i * 3 % 60}", new Item(i, new string((char)('a' + i % 26), (int)(i % 300))));

    /// <summary>The state after changes 0..<paramref name="last"/>, as the store must hold it.</summary>
    public static Dictionary<string, Item> Fold(long last)
    {
        var state = new Dictionary<string, Item>();
        for (long i = 0; i <= last; i++)
        {
            var (key, value) = Change(i);
            if (value is null) state.Remove(key); else state[key] = value;
        }
        return state;
    }

    public static StateStoreOptions Options(string dir) => new()
    {
        Directory = dir,
        WalPageSizeBits = 16,
        WalMemorySizeBits = 18,
        WalSegmentSizeBits = 17, // small segments, so checkpoints truncate the WAL during the test
        KvPageSizeBytes = 1 << 16,
        KvMemorySizeBytes = 1 << 18,
        KvIndexSizeBytes = 1 << 16,
        MaxValueBytes = 16 * 1024,
        CheckpointAfterChanges = 64,
        CheckpointInterval = TimeSpan.FromMilliseconds(250),
    };

    public static async Task<int> RunAsync(string[] args)
    {
        var dir = args[0];
        var start = long.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture);
        await using var store = StateStore.Open(Options(dir));
        var checkpointed = store.CheckpointedUntil;
        System.Console.WriteLine($"opened replayed={store.ReplayedAtOpen}");
        for (var i = start; ; i++)
        {
            var (key, value) = Change(i);
            if (value is null) await store.DeleteAsync(Collection, key);
            else await store.PutAsync(Collection, key, value);
            System.Console.WriteLine($"durable {i}");
            if (store.CheckpointedUntil != checkpointed)
            {
                checkpointed = store.CheckpointedUntil;
                System.Console.WriteLine($"checkpoint {checkpointed}");
            }
        }
    }
}

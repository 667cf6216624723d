using Redoubt.Storage.Checkpoints;

namespace Redoubt.Tests.Storage;

/// <summary>The marker that says a derived store's (graph, state) checkpoint completed.</summary>
public sealed class KvCheckpointTests
{
    [Fact]
    public void A_marker_that_cannot_be_read_stops_the_open_instead_of_passing_for_never_checkpointed()
    {
        // "Never checkpointed" makes the caller delete the store and rebuild it from the log: a marker that is
        // there but unreadable (a directory in its place, garbage) must say so, not pass for absent.
        var root = Directory.CreateTempSubdirectory("redoubt-kvck-").FullName;
        try
        {
            var checkpoints = Path.Combine(root, "kv", "checkpoints");
            Directory.CreateDirectory(checkpoints);
            Assert.Null(KvCheckpoint.LastCompleted(checkpoints));

            var marker = Path.Combine(checkpoints, KvCheckpoint.MarkerFile);
            Directory.CreateDirectory(marker);
            var e = Assert.Throws<StoreRecoveryException>(() => KvCheckpoint.LastCompleted(checkpoints));
            Assert.Contains("a directory, not the checkpoint marker", e.Message);
            Assert.Throws<StoreRecoveryException>(() => KvCheckpoint.ResetIfNeverCheckpointed(Path.Combine(root, "kv"), checkpoints));
            Assert.True(Directory.Exists(Path.Combine(root, "kv")), "the store was deleted");

            Directory.Delete(marker);
            File.WriteAllText(marker, "{not json");
            Assert.Contains("unreadable", Assert.Throws<StoreRecoveryException>(() => KvCheckpoint.LastCompleted(checkpoints)).Message);
        }
        finally { Directory.Delete(root, recursive: true); }
    }
}
